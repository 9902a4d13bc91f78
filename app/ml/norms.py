"""Normalisation registry: what sits between a hidden Linear and its activation."""

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True, slots=True)
class Norm:
    """One normalisation choice."""

    key: str  # registry key = form value = JSON value
    label: str
    module: Callable[[int], nn.Module]  # width -> module
    params_per_unit: int  # learnable scale and shift per unit


NORMS: dict[str, Norm] = {
    n.key: n
    for n in [
        Norm("none", "None", lambda width: nn.Identity(), 0),
        Norm("batchnorm", "BatchNorm", lambda width: nn.BatchNorm1d(width), 2),
        Norm("layernorm", "LayerNorm", lambda width: nn.LayerNorm(width), 2),
    ]
}
