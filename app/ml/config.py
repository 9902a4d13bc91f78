"""RunConfig: everything that defines one training run, as typed data. Its JSON schema drives the API and UI form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.ml.activations import ACTIVATIONS
from app.ml.arch.specs import ARCHITECTURES
from app.ml.datasets import DATASETS
from app.ml.inits import INITS
from app.ml.norms import NORMS
from app.ml.optim import OPTIMIZERS

MAX_PARAMS = 5_000_000  # keeps one step on a shared 2-core CPU well under a second

# The registry keys are the allowed values: adding an entry to a registry adds it to the schema and the form.
# A checker cannot read a Literal built at run time, so it sees the registry keys' type (str).
if TYPE_CHECKING:
    DatasetName = str
    ActivationName = str
    InitName = str
    NormName = str
    OptimizerName = str
    ArchitectureName = str
else:
    DatasetName = Literal[tuple(DATASETS)]
    ActivationName = Literal[tuple(ACTIVATIONS)]
    InitName = Literal[tuple(INITS)]
    NormName = Literal[tuple(NORMS)]
    OptimizerName = Literal[tuple(OPTIMIZERS)]
    ArchitectureName = Literal[tuple(ARCHITECTURES)]
RecurrentInit = Literal["default", "orthogonal", "identity"]  # keys of app.ml.arch.recurrent.RECURRENT_INITS


class RunConfig(BaseModel):
    """One run: data, architecture, initialisation and optimisation. Every field has a default and bounds."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    # --- data
    # spiral: not linearly separable, so depth matters; the lecture's picture
    dataset: DatasetName = Field("spiral", description="Training data. 2-D sets show a decision boundary.")
    # 1,000: 800 train / 200 test, an epoch is 12 batches and an evaluation pass stays small
    n_samples: int = Field(
        1000, ge=50, le=20_000, description="Points drawn for 2-D datasets (digits always has 1,797)."
    )
    # 0.1: a visible spread that does not blur the spiral's arms together
    noise: float = Field(
        0.1, ge=0.0, le=2.0, description="Gaussian noise added to 2-D points, in data units (before scaling)."
    )
    # 0.2: the usual 80/20 split
    test_split: float = Field(0.2, ge=0.05, le=0.5, description="Fraction of the data held out for testing.")
    seed: int = Field(
        0, ge=0, le=2**31 - 1, description="Seeds data, initialisation and batch order: same seed, same run."
    )

    # --- architecture
    # mlp: the lecture's network; the others carry the same chain rule through time, convolutions and attention
    architecture: ArchitectureName = Field(
        "mlp",
        description="Network kind. rnn, lstm, gru and transformer read sequences (dataset 'adding' unless "
        "given; rnn uses tanh unless given), cnn reads the 8x8 digits. Fields a kind does not use are ignored.",
        # the form sets these when the architecture is picked (what the server fills in for fields left out)
        json_schema_extra={"architecture_defaults": {k: a.defaults for k, a in ARCHITECTURES.items()}},
    )
    # 6 x 32 with ReLU: ~5k parameters, trains to loss < 0.1 in ~300 steps; presets go to 10 and 30
    depth: int = Field(
        6, ge=1, le=64, description="Hidden layers. Deep enough to see vanishing, small enough to train."
    )
    width: int = Field(32, ge=1, le=512, description="Units per hidden layer.")
    # relu: the one that holds up; the presets show the others
    activation: ActivationName = Field("relu", description="Activation function of every hidden layer.")
    negative_slope: float = Field(
        0.01, ge=0.0, le=1.0, description="Leaky ReLU's slope for z < 0 (PyTorch's default 0.01)."
    )
    # default: what nn.Linear does when nobody chooses, the baseline the lecture starts from
    init: InitName = Field("default", description="Weight initialisation of every layer.")
    init_std: float = Field(
        0.1, ge=0.0, le=100.0, description="Standard deviation of the 'normal' init (ignored by the others)."
    )
    # none and no skips: the plain network first, the rescues are opt-in
    norm: NormName = Field("none", description="Normalisation between each hidden Linear and its activation.")
    residual: bool = Field(
        False, description="Skip connection h_k = h_(k-1) + a(z_k) around hidden layers whose widths match."
    )

    # --- sequences (rnn, lstm, gru, transformer)
    # 50: the adding problem's gap at which a tanh RNN has already lost the first value and an LSTM has not
    seq_len: int = Field(
        50, ge=10, le=400, description="Steps per sequence of the sequence datasets (adding, temporal_order)."
    )
    # default: the draw of `init` (for 'default' exactly nn.RNN's U(±1/√width)); the rescues are opt-in
    recurrent_init: RecurrentInit = Field(
        "default",
        description="W_hh of recurrent models: 'default' follows `init`, 'orthogonal' every singular value "
        "recurrent_gain, 'identity' recurrent_gain·I (Le et al. 2015). Per gate block.",
    )
    recurrent_gain: float = Field(
        1.0, ge=0.0, le=10.0, description="Scale of the 'orthogonal' and 'identity' recurrent inits."
    )
    # 1: Gers et al. (2000), Jozefowicz et al. (2015): the cell starts out remembering (σ(1) ~ 0.73 per step)
    forget_bias: float = Field(1.0, ge=-10.0, le=10.0, description="LSTM forget-gate bias at initialisation.")

    # --- transformer (depth = encoder blocks, width = d_model)
    # 4 heads of 8 on the default d_model 32: the smallest split that still has several heads
    heads: int = Field(4, ge=1, le=16, description="Attention heads; width (d_model) must divide by it.")
    # 4 x d_model: Vaswani et al. (2017)'s ratio (2048 for 512)
    ffn_width: int = Field(128, ge=1, le=2048, description="Hidden units of each block's feed-forward net.")
    # post: the original Transformer, the one Xiong et al. (2020) show needs a warm-up
    norm_position: Literal["post", "pre"] = Field(
        "post",
        description="LayerNorm after each residual add (post-LN) or before each sublayer (pre-LN, with a "
        "final LayerNorm).",
    )

    # --- optimisation
    # momentum SGD: the update follows the gradient, so a vanished gradient also stops learning
    # (Adam rescales each parameter's step and would hide it)
    optimizer: OptimizerName = Field("momentum", description="sgd, SGD with momentum, or adam.")
    # 0.05: measured on the default network, fast without oscillating
    lr: float = Field(0.05, gt=0.0, le=10.0, description="Learning rate.")
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="Momentum of the 'momentum' optimizer.")
    batch_size: int = Field(
        64, ge=1, le=4096, description="Examples per step (capped at the training set size)."
    )
    # 0 and no clipping: nothing hides a vanishing or exploding gradient
    weight_decay: float = Field(0.0, ge=0.0, le=1.0, description="L2 penalty applied by the optimizer.")
    grad_clip: float | None = Field(
        None, ge=0.0, le=1e6, description="Max global gradient norm; null or 0 turns clipping off."
    )
    # 0: no schedule, the learning rate from the first step (a warm-up is what post-LN needs: opt-in)
    warmup_steps: int = Field(
        0, ge=0, le=100_000, description="Steps over which the learning rate rises linearly from 0 to lr."
    )
    max_steps: int = Field(
        2000,
        ge=1,
        le=1_000_000,
        description="Optimizer steps before the run finishes (~100 s at 20 steps/s).",
    )

    def param_count(self) -> int:
        """Trainable parameters of the network this config builds."""
        return ARCHITECTURES[self.architecture].param_count(self)

    @model_validator(mode="before")
    @classmethod
    def _architecture_defaults(cls, data: object) -> object:
        """Fields a request leaves out take its architecture's own defaults (an 'rnn' reads 'adding')."""
        if isinstance(data, dict):
            spec = ARCHITECTURES.get(str(data.get("architecture", "mlp")))
            if spec is not None and spec.defaults:
                data = {**spec.defaults, **data}
        return data

    @model_validator(mode="after")
    def _check_size(self) -> RunConfig:
        spec = ARCHITECTURES[self.architecture]
        kind = DATASETS[self.dataset].kind
        if kind not in spec.data_kinds:
            fits = sorted(k for k, d in DATASETS.items() if d.kind in spec.data_kinds)
            raise ValueError(
                f"architecture={self.architecture!r} trains on {' or '.join(spec.data_kinds)} data "
                f"({', '.join(fits)}); dataset={self.dataset!r} is {kind} data"
            )
        if self.architecture == "transformer" and self.width % self.heads:
            raise ValueError(f"width (d_model) {self.width} must be a multiple of heads={self.heads}")
        count = self.param_count()
        if count > MAX_PARAMS:
            raise ValueError(
                f"depth={self.depth} x width={self.width} gives {count:,} parameters; "
                f"the limit is {MAX_PARAMS:,}: lower depth or width"
            )
        if self.norm == "batchnorm" and self.batch_size < 2:
            raise ValueError(
                "batch_size must be at least 2 with norm='batchnorm' (batch statistics need 2 rows)"
            )
        return self
