"""What every architecture's network offers the trainer and the probe, as the MLP does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import Tensor, nn

from app.ml.inits import INITS

if TYPE_CHECKING:
    from app.ml.config import RunConfig
    from app.ml.model import Capture


class Network(Protocol):
    """The trainer's view of a model: measured layers input -> output, and a forward that can capture.

    Besides these, the nn.Module methods the trainer, the probe and the evaluator call."""

    @property
    def layer_names(self) -> list[str]: ...

    def linears(self) -> Sequence[nn.Module]: ...  # each with .weight and .bias, in layer_names order

    def forward(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor: ...

    def __call__(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor: ...

    def train(self, mode: bool = True) -> Any: ...

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]: ...

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]: ...

    def modules(self) -> Iterator[nn.Module]: ...

    def state_dict(self) -> dict[str, Any]: ...


def weight_of(layer: nn.Module) -> Tensor:
    """A measured layer's weight (nn.Linear, nn.Conv2d): what nn.Module's attribute lookup cannot type."""
    weight = layer.weight
    assert isinstance(weight, Tensor), f"{type(layer).__name__} has no weight tensor"
    return weight


def bias_of(layer: nn.Module) -> Tensor:
    """A measured layer's bias (every measured layer here has one)."""
    bias = layer.bias
    assert isinstance(bias, Tensor), f"{type(layer).__name__} has no bias tensor"
    return bias


class TimeProfiled(Protocol):
    """A recurrent network: dL/dh_t of the last captured forward pass, after its backward pass."""

    def time_profile(self) -> dict[str, Any] | None: ...


def init_layer(layer: nn.Module, cfg: RunConfig, generator: torch.Generator) -> None:
    """`init` on one Linear or Conv2d; a conv weight (out, in, k, k) is drawn as the (out, in·k·k) matrix it is
    over its patches, so fan_in counts the kernel (as nn.Conv2d's own init does)."""
    w = weight_of(layer)
    INITS[cfg.init].apply(w.view(w.shape[0], -1), bias_of(layer), cfg, generator)


def init_in_order(layers: Iterable[nn.Module], cfg: RunConfig) -> None:
    """`init` on each layer in turn, all drawn from one generator seeded with cfg.seed: the same cfg always gives
    the same weights."""
    g = torch.Generator().manual_seed(cfg.seed)
    with torch.no_grad():
        for layer in layers:
            init_layer(layer, cfg, g)


def time_profile(model: object) -> dict[str, Any] | None:
    """{"t": [1..T], "hidden_grad_norm": [..]} for a recurrent model's last display step, else None."""
    profile = getattr(model, "time_profile", None)
    return profile() if profile is not None else None
