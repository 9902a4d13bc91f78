"""Optimizer registry."""

from __future__ import annotations

import inspect
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


def bare_step(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """optimizer.step() without torch's per-call wrappers: the same update, without their cost on every step.

    torch wraps every Optimizer.step in a profiler label, the step-hook loops and a grad-mode switch (functools
    wrappers). The engine registers no step hooks, so it runs the wrapped function itself under no_grad. Falls
    back to optimizer.step where the wrappers are not found (another torch)."""
    wrapped = type(optimizer).step
    raw = inspect.unwrap(wrapped)  # follows __wrapped__ down to torch's own step
    if raw is wrapped or optimizer.defaults.get("differentiable"):
        return optimizer.step
    no_grad = torch.no_grad

    def step() -> None:
        with no_grad():
            raw(optimizer)

    return step
