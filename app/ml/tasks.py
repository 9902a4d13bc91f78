"""Task registry: what the network's output means, its loss and when a prediction counts as correct."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

REGRESSION_TOLERANCE = 0.04  # Hochreiter & Schmidhuber (1997): an adding-problem answer is right within 0.04


def _mse(out: Tensor, y: Tensor) -> Tensor:
    return F.mse_loss(out.squeeze(-1), y)  # out (B, 1) -> (B,)


def _classify_correct(out: Tensor, y: Tensor) -> Tensor:
    return out.argmax(dim=1) == y


def _regress_correct(out: Tensor, y: Tensor) -> Tensor:
    return (out.squeeze(-1) - y).abs() < REGRESSION_TOLERANCE


@dataclass(frozen=True, slots=True)
class Task:
    """One kind of target: its loss (the number the trainer backpropagates) and its notion of correct."""

    key: str
    loss: Callable[[Tensor, Tensor], Tensor]  # (out (B, n_out), y (B,)) -> scalar
    correct: Callable[[Tensor, Tensor], Tensor]  # (out, y) -> (B,) bool
    y_dtype: torch.dtype
    loss_label: str  # for docs and the dashboard: what `loss` is measured in


TASKS: dict[str, Task] = {
    t.key: t
    for t in [
        # F.cross_entropy itself: the MLP's numbers are exactly what they were before tasks existed
        Task("classify", F.cross_entropy, _classify_correct, torch.int64, "cross-entropy (nats)"),
        Task("regress", _mse, _regress_correct, torch.float32, "mean squared error"),
    ]
}
