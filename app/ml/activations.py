"""Activation registry: each function beside its derivative a'(z), the chain rule's per-layer factor."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from app.ml.config import RunConfig

Kind = Literal["saturating", "rectifying", "smooth", "linear"]

SELU_ALPHA = 1.6732632423543772  # torch.nn.SELU's constants
SELU_SCALE = 1.0507009873554805
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_ONE = torch.ones(())  # read-only; promotes to the other operand's dtype


@dataclass(frozen=True, slots=True)
class Activation:
    """One activation: module factory, derivative formula and what the dashboard says about a'(z)."""

    key: str  # registry key = form value = JSON value = legend key
    label: str  # as written in a sentence: "sigmoid", "tanh" (the lecture's spelling), "ReLU"
    module: Callable[[RunConfig], nn.Module]  # a fresh module for one hidden layer
    deriv: Callable[[Tensor, RunConfig], Tensor]  # a'(z), elementwise, same shape as z
    deriv_bound: float  # sup_z |a'(z)|: the chain rule's per-layer ceiling (0.25 for the sigmoid)
    recommended_init: str  # an INITS key
    kind: Kind  # saturating -> saturated_frac is measured; rectifying -> dead_frac is measured
    formula: str  # a(z) and a'(z) in plain text, for the dashboard's explanation
    # a'(z) written in the output a = a(z), where that is exact: the probe then needs no second pass over z
    # (no exp, no comparison: ~3x cheaper on the display step). None: the probe uses deriv(z).
    deriv_from_output: Callable[[Tensor, RunConfig], Tensor] | None = None
    label_ko: str = ""  # the label in Korean ("" : the English label reads the same)


def _sigmoid_deriv(z: Tensor, _: RunConfig) -> Tensor:
    s = torch.sigmoid(z)
    return s * (1.0 - s)  # peaks at 0.25 at z = 0


def _tanh_deriv(z: Tensor, _: RunConfig) -> Tensor:
    return 1.0 - torch.tanh(z).square()


def _relu_deriv(z: Tensor, _: RunConfig) -> Tensor:
    return (z > 0).to(z.dtype)  # torch's convention: a'(0) = 0


def _leaky_relu_deriv(z: Tensor, cfg: RunConfig) -> Tensor:
    return torch.where(z > 0, 1.0, cfg.negative_slope).to(z.dtype)


def _elu_deriv(z: Tensor, _: RunConfig) -> Tensor:
    return torch.where(z > 0, torch.ones_like(z), torch.exp(z))  # alpha = 1


def _gelu_deriv(z: Tensor, _: RunConfig) -> Tensor:
    cdf = 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0)))
    return cdf + z * torch.exp(-0.5 * z.square()) * INV_SQRT_2PI  # Phi(z) + z phi(z)


def _silu_deriv(z: Tensor, _: RunConfig) -> Tensor:
    s = torch.sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def _selu_deriv(z: Tensor, _: RunConfig) -> Tensor:
    return torch.where(z > 0, torch.full_like(z, SELU_SCALE), SELU_SCALE * SELU_ALPHA * torch.exp(z))


def _sigmoid_deriv_from_output(a: Tensor, _: RunConfig) -> Tensor:
    return torch.addcmul(a, a, a, value=-1.0)  # a - a² = σ(z)(1 - σ(z)): what _sigmoid_deriv computes


def _tanh_deriv_from_output(a: Tensor, _: RunConfig) -> Tensor:
    return torch.addcmul(_ONE, a, a, value=-1.0)  # 1 - a² (the 0-dim one broadcasts: no ones_like)


def _relu_deriv_from_output(a: Tensor, _: RunConfig) -> Tensor:
    return a.sign()  # a > 0 exactly where z > 0; a'(0) = 0 as in torch


def _linear_deriv(z: Tensor, _: RunConfig) -> Tensor:
    return torch.ones_like(z)


ACTIVATIONS: dict[str, Activation] = {
    a.key: a
    for a in [
        Activation(
            "sigmoid", "sigmoid", lambda c: nn.Sigmoid(), _sigmoid_deriv, 0.25, "xavier_uniform",
            "saturating", "σ(z) = 1/(1+e^-z);  σ'(z) = σ(z)(1-σ(z)) ≤ 0.25", _sigmoid_deriv_from_output,
            label_ko="시그모이드",
        ),
        Activation(
            "tanh", "tanh", lambda c: nn.Tanh(), _tanh_deriv, 1.0, "xavier_normal",
            "saturating", "tanh(z);  tanh'(z) = 1 - tanh²(z) ≤ 1", _tanh_deriv_from_output,
        ),
        Activation(
            "relu", "ReLU", lambda c: nn.ReLU(), _relu_deriv, 1.0, "kaiming_normal",
            "rectifying", "max(0, z);  a'(z) = 1 if z > 0 else 0", _relu_deriv_from_output,
        ),
        Activation(
            "leaky_relu", "Leaky ReLU", lambda c: nn.LeakyReLU(c.negative_slope), _leaky_relu_deriv, 1.0,
            "kaiming_normal", "rectifying", "max(αz, z);  a'(z) = 1 if z > 0 else α",
        ),
        Activation(
            "elu", "ELU", lambda c: nn.ELU(), _elu_deriv, 1.0, "kaiming_normal",
            "smooth", "z if z > 0 else e^z - 1;  a'(z) = 1 or e^z",
        ),
        Activation(
            "gelu", "GELU", lambda c: nn.GELU(), _gelu_deriv, 1.1289, "kaiming_normal",
            "smooth", "z Φ(z);  a'(z) = Φ(z) + z φ(z) ≤ 1.129",
        ),
        Activation(
            "silu", "SiLU (Swish)", lambda c: nn.SiLU(), _silu_deriv, 1.0998, "kaiming_normal",
            "smooth", "z σ(z);  a'(z) = σ(z)(1 + z(1-σ(z))) ≤ 1.100",
        ),
        Activation(
            "selu", "SELU", lambda c: nn.SELU(), _selu_deriv, SELU_SCALE * SELU_ALPHA, "lecun_normal",
            "smooth", "λz if z > 0 else λα(e^z - 1);  a'(z) = λ or λα e^z ≤ 1.758",
        ),
        Activation(
            "linear", "linear (none)", lambda c: nn.Identity(), _linear_deriv, 1.0, "xavier_normal",
            "linear", "z;  a'(z) = 1 (the network collapses to one linear map)",
            label_ko="선형 (활성화 없음)",
        ),
    ]
}  # fmt: skip
