"""RunConfig: everything that defines one training run, as typed data. Its JSON schema drives the API and UI form."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.ml.activations import ACTIVATIONS
from app.ml.datasets import DATASETS
from app.ml.inits import INITS
from app.ml.norms import NORMS

MAX_PARAMS = 5_000_000  # keeps one step on a shared 2-core CPU well under a second

# The registry keys are the allowed values: adding an entry to a registry adds it to the schema and the form.
DatasetName = Literal[tuple(DATASETS)]  # type: ignore[valid-type]
ActivationName = Literal[tuple(ACTIVATIONS)]  # type: ignore[valid-type]
InitName = Literal[tuple(INITS)]  # type: ignore[valid-type]
NormName = Literal[tuple(NORMS)]  # type: ignore[valid-type]
OptimizerName = Literal["sgd", "momentum", "adam"]  # keys of app.ml.optim.OPTIMIZERS


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
    max_steps: int = Field(
        2000,
        ge=1,
        le=1_000_000,
        description="Optimizer steps before the run finishes (~100 s at 20 steps/s).",
    )

    def param_count(self) -> int:
        """Trainable parameters of the network this config builds."""
        data = DATASETS[self.dataset]
        d_in, w, d_out = data.input_dim, self.width, data.n_classes
        hidden = (d_in * w + w) + (self.depth - 1) * (w * w + w)
        norm = NORMS[self.norm].params_per_unit * w * self.depth
        return hidden + norm + w * d_out + d_out

    @model_validator(mode="after")
    def _check_size(self) -> RunConfig:
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
