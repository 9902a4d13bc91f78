"""Optimizer registry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from app.ml.config import RunConfig

OptimizerFactory = Callable[[Iterable[nn.Parameter], "RunConfig"], torch.optim.Optimizer]

# foreach=True: one fused update over all parameters (the fast path on CPU as well).
OPTIMIZERS: dict[str, OptimizerFactory] = {
    "sgd": lambda p, c: torch.optim.SGD(p, lr=c.lr, weight_decay=c.weight_decay, foreach=True),
    "momentum": lambda p, c: torch.optim.SGD(
        p, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay, foreach=True
    ),
    "adam": lambda p, c: torch.optim.Adam(p, lr=c.lr, weight_decay=c.weight_decay, foreach=True),
}
