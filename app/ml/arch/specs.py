"""Architecture registry, the pure half: what each kind reads, its parameter count and its own defaults.

The other half (app/ml/arch/__init__.py: BUILDERS) builds the torch modules; RunConfig imports only this one.
Fields shared with the MLP keep one meaning per kind: `depth` is hidden layers, conv layers or encoder blocks;
`width` is units, channels, the recurrent state's size or d_model. Fields a kind does not use are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from app.ml.datasets import DATASETS, DataKind
from app.ml.norms import NORMS

if TYPE_CHECKING:
    from app.ml.config import RunConfig

Family = Literal["feedforward", "recurrent", "convolutional", "transformer"]

CONV_KERNEL = 3  # 3x3 convolutions, padding 1: an 8x8 digit keeps its size through every layer
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # blocks of W_ih / W_hh: h; i, f, g, o; r, z, n


@dataclass(frozen=True, slots=True)
class ArchSpec:
    """One architecture: the data it reads and the defaults it brings when a request leaves them out."""

    key: str  # registry key = form value = JSON value
    label: str
    family: Family
    data_kinds: tuple[DataKind, ...]  # the datasets (by kind) it can train on
    param_count: Callable[[RunConfig], int]
    description: str
    # Fields set to these values when a request does not give them (a 'tanh RNN' is what 'rnn' means).
    defaults: dict[str, Any] = field(default_factory=dict[str, Any])
    # How many times one example uses each weight (1 for an MLP; every pixel for a conv, every step for a
    # sequence): multiply-adds per example ~ this x the parameter count, for the evaluation's cost model.
    uses_per_example: Callable[[RunConfig], int] = lambda cfg: 1


def macs_per_example(cfg: RunConfig) -> int:
    """Multiply-adds of one forward pass of one example, roughly: each parameter times its uses."""
    spec = ARCHITECTURES[cfg.architecture]
    return spec.param_count(cfg) * spec.uses_per_example(cfg)


def _mlp_count(cfg: RunConfig) -> int:
    data = DATASETS[cfg.dataset]
    d_in, w, d_out = data.input_dim, cfg.width, data.n_classes
    hidden = (d_in * w + w) + (cfg.depth - 1) * (w * w + w)
    norm = NORMS[cfg.norm].params_per_unit * w * cfg.depth
    return hidden + norm + w * d_out + d_out


def _recurrent_count(cfg: RunConfig) -> int:
    data = DATASETS[cfg.dataset]
    gh, h = GATES[cfg.architecture] * cfg.width, cfg.width
    return (data.input_dim * gh + gh) + (h * gh + gh) + (h * data.n_classes + data.n_classes)


def _cnn_count(cfg: RunConfig) -> int:
    c, k2 = cfg.width, CONV_KERNEL**2
    convs = (k2 * c + c) + (cfg.depth - 1) * (k2 * c * c + c)
    norm = NORMS[cfg.norm].params_per_unit * c * cfg.depth
    n_out = DATASETS[cfg.dataset].n_classes
    return convs + norm + c * n_out + n_out


def _transformer_count(cfg: RunConfig) -> int:
    data = DATASETS[cfg.dataset]
    d, f = cfg.width, cfg.ffn_width
    block = (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d) + 2 * 2 * d  # + two LayerNorms
    final_norm = 2 * d if cfg.norm_position == "pre" else 0
    return (data.input_dim * d + d) + cfg.depth * block + final_norm + d * data.n_classes + data.n_classes


_SEQUENCE = {"dataset": "adding"}  # the task of the recurrent lectures (Hochreiter & Schmidhuber 1997)
_EVERY_STEP = lambda cfg: cfg.seq_len  # noqa: E731  (a recurrent cell and a token-wise layer run once per step)
_EVERY_PIXEL = lambda cfg: 64  # noqa: E731  (a 3x3 conv on the 8x8 digits runs at each of 64 pixels)

ARCHITECTURES: dict[str, ArchSpec] = {
    a.key: a
    for a in [
        ArchSpec("mlp", "MLP", "feedforward", ("points", "image"), _mlp_count,
                 "fully connected layers: h_k = a(W_k h_(k-1) + b_k)"),
        # tanh: the vanilla RNN of Bengio et al. (1994) and Pascanu et al. (2013), whose factor is diag(a')·W_hh
        ArchSpec("rnn", "RNN", "recurrent", ("sequence",), _recurrent_count,
                 "h_t = a(W_ih x_t + W_hh h_(t-1) + b)", {**_SEQUENCE, "activation": "tanh"}, _EVERY_STEP),
        ArchSpec("lstm", "LSTM", "recurrent", ("sequence",), _recurrent_count,
                 "gated cell c_t = f_t ⊙ c_(t-1) + i_t ⊙ g_t, h_t = o_t ⊙ tanh(c_t)", _SEQUENCE, _EVERY_STEP),
        ArchSpec("gru", "GRU", "recurrent", ("sequence",), _recurrent_count,
                 "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_(t-1)", _SEQUENCE, _EVERY_STEP),
        # digits: the bundled 8x8 images, the only image set that ships without a download
        ArchSpec("cnn", "CNN", "convolutional", ("image",), _cnn_count,
                 "3x3 convolutions conv1..convN, global average pool, linear output", {"dataset": "digits"},
                 _EVERY_PIXEL),
        # xavier_uniform: the init of Vaswani et al. (2017) and of Xiong et al. (2020)'s analysis; Adam at 1e-3:
        # momentum SGD at the MLP's 0.05 diverges within 10 steps, post-LN and pre-LN alike
        ArchSpec("transformer", "Transformer", "transformer", ("sequence",), _transformer_count,
                 "encoder blocks of self-attention and a feed-forward net, LayerNorm post or pre",
                 {**_SEQUENCE, "init": "xavier_uniform", "optimizer": "adam", "lr": 1e-3}, _EVERY_STEP),
    ]
}  # fmt: skip
