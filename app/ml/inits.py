"""Weight-initialisation registry. Every draw comes from the run's own torch.Generator, never the global RNG."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from app.ml.config import RunConfig

# (weight (out, in), bias (out,), config, generator) -> None, in place
InitFn = Callable[[Tensor, Tensor, "RunConfig", torch.Generator], None]


@dataclass(frozen=True, slots=True)
class Init:
    """One initialisation scheme for a Linear layer's weight and bias."""

    key: str  # registry key = form value = JSON value
    label: str
    apply: InitFn
    description: str  # the variance it aims for, in one line


def _default(w: Tensor, b: Tensor, cfg: RunConfig, g: torch.Generator) -> None:
    # Exactly nn.Linear.reset_parameters, but drawn from our generator.
    nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
    bound = 1.0 / math.sqrt(w.shape[1])
    nn.init.uniform_(b, -bound, bound, generator=g)


def _kaiming_args(cfg: RunConfig) -> dict:
    # He init for the rectifier in use; Leaky ReLU's gain depends on its slope.
    if cfg.activation == "leaky_relu":
        return {"a": cfg.negative_slope, "nonlinearity": "leaky_relu"}
    return {"nonlinearity": "relu"}


def _weights_then_zero_bias(draw: Callable[[Tensor, RunConfig, torch.Generator], None]) -> InitFn:
    def apply(w: Tensor, b: Tensor, cfg: RunConfig, g: torch.Generator) -> None:
        draw(w, cfg, g)
        nn.init.zeros_(b)

    return apply


INITS: dict[str, Init] = {
    i.key: i
    for i in [
        Init("default", "PyTorch default", _default,
             "U(±1/√fan_in) weights and biases (kaiming_uniform with a=√5): Var(w) = 1/(3·fan_in)"),
        Init("xavier_uniform", "Xavier (Glorot) uniform",
             _weights_then_zero_bias(lambda w, c, g: nn.init.xavier_uniform_(w, generator=g)),
             "Var(w) = 2/(fan_in+fan_out): keeps the signal's variance for tanh/sigmoid near 0"),
        Init("xavier_normal", "Xavier (Glorot) normal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.xavier_normal_(w, generator=g)),
             "Var(w) = 2/(fan_in+fan_out), Gaussian"),
        Init("kaiming_uniform", "Kaiming (He) uniform",
             _weights_then_zero_bias(lambda w, c, g: nn.init.kaiming_uniform_(w, generator=g, **_kaiming_args(c))),
             "Var(w) = 2/fan_in: makes up for ReLU zeroing half the units"),
        Init("kaiming_normal", "Kaiming (He) normal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.kaiming_normal_(w, generator=g, **_kaiming_args(c))),
             "Var(w) = 2/fan_in, Gaussian"),
        Init("lecun_normal", "LeCun normal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.normal_(w, 0.0, 1.0 / math.sqrt(w.shape[1]), generator=g)),
             "Var(w) = 1/fan_in: the self-normalising SELU's partner"),
        Init("orthogonal", "Orthogonal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.orthogonal_(w, generator=g)),
             "a (semi-)orthogonal matrix: every singular value is 1"),
        Init("normal", "Normal (fixed std)",
             _weights_then_zero_bias(lambda w, c, g: nn.init.normal_(w, 0.0, c.init_std, generator=g)),
             "N(0, init_std²) whatever the layer's size: too large explodes, too small vanishes"),
        Init("zeros", "Zeros", _weights_then_zero_bias(lambda w, c, g: nn.init.zeros_(w)),
             "all zero: every unit in a layer stays identical (symmetry is never broken)"),
    ]
}  # fmt: skip
