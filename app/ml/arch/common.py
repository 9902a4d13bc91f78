"""What every architecture's network offers the trainer and the probe, as the MLP does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import torch
from torch import Tensor, nn

from app.ml.inits import INITS

if TYPE_CHECKING:
    from app.ml.config import RunConfig
    from app.ml.model import Capture


class Network(Protocol):
    """The trainer's view of a model: measured layers input -> output, and a forward that can capture."""

    @property
    def layer_names(self) -> list[str]: ...

    def linears(self) -> list[nn.Module]: ...  # each with .weight and .bias, in layer_names order

    def forward(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor: ...


class TimeProfiled(Protocol):
    """A recurrent network: dL/dh_t of the last captured forward pass, after its backward pass."""

    def time_profile(self) -> dict | None: ...


def init_layer(layer: nn.Module, cfg: RunConfig, generator: torch.Generator) -> None:
    """`init` on one Linear or Conv2d; a conv weight (out, in, k, k) is drawn as the (out, in·k·k) matrix it is
    over its patches, so fan_in counts the kernel (as nn.Conv2d's own init does)."""
    w = layer.weight
    INITS[cfg.init].apply(w.view(w.shape[0], -1), layer.bias, cfg, generator)


def time_profile(model: nn.Module) -> dict | None:
    """{"t": [1..T], "hidden_grad_norm": [..]} for a recurrent model's last display step, else None."""
    profile = getattr(model, "time_profile", None)
    return profile() if profile is not None else None
