"""The baseline of every training-speed figure: what a person writes without GradCast.

A bare `nn.Sequential` of the same shapes as a RunConfig's network (Linear, activation, ..., Linear), the
optimizer as torch builds it by default (no foreach flag), and the usual four lines per step. It starts from
the engine's own initial weights and draws its batches the way the trainer does (an epoch of a seeded
permutation, the short tail dropped), so both do exactly the same arithmetic on the same numbers:
`same_losses` checks that, so a faster baseline cannot be a baseline that skips work.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.model import build_model
from app.ml.trainer import BATCH_SEED_OFFSET

OPTIMIZERS = {  # torch's defaults, as a training script would write them
    "sgd": lambda p, c: torch.optim.SGD(p, lr=c.lr, weight_decay=c.weight_decay),
    "momentum": lambda p, c: torch.optim.SGD(p, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay),
    "adam": lambda p, c: torch.optim.Adam(p, lr=c.lr, weight_decay=c.weight_decay),
}


def sequential(cfg: RunConfig) -> nn.Sequential:
    """nn.Sequential(Linear, act, ..., Linear) with the weights build_model(cfg) starts from."""
    if cfg.norm != "none" or cfg.residual:
        raise ValueError("the bare loop is a plain MLP: norm='none', residual=False")
    engine = build_model(cfg)
    parts: list[nn.Module] = []
    for name, layer in engine.layers.items():
        if name == "output":
            parts.append(layer)
        else:
            parts += [layer.linear, layer.act]
    return nn.Sequential(*parts)


class BareLoop:
    """One training loop: step() takes a batch, forward, loss, zero_grad, backward, optimizer step."""

    def __init__(self, cfg: RunConfig) -> None:
        self.cfg = cfg
        self.model = sequential(cfg)
        self.optimizer = OPTIMIZERS[cfg.optimizer](self.model.parameters(), cfg)
        data = DATASETS[cfg.dataset].load(cfg)
        self.x, self.y = data.x_train, data.y_train
        self.batch = min(cfg.batch_size, len(self.y))
        self.gen = torch.Generator().manual_seed(cfg.seed + BATCH_SEED_OFFSET)
        self.order = torch.empty(0, dtype=torch.long)
        self.pos = 0
        self.steps = 0

    def step(self) -> Tensor:
        if self.pos + self.batch > len(self.order):
            self.order = torch.randperm(len(self.y), generator=self.gen)
            self.pos = 0
        idx = self.order[self.pos : self.pos + self.batch]
        self.pos += self.batch
        loss = F.cross_entropy(self.model(self.x[idx]), self.y[idx])
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.steps += 1
        return loss


def same_losses(cfg: RunConfig, steps: int = 20) -> bool:
    """True when the bare loop and the engine's Trainer give the same losses, step by step."""
    from app.ml.trainer import Trainer

    bare, trainer = BareLoop(cfg), Trainer(cfg)
    for _ in range(steps):
        a, b = bare.step().item(), trainer.step().loss
        if abs(a - b) > 1e-5 * max(1.0, abs(b)):
            return False
    return True
