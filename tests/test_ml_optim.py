"""bare_step runs the optimizer's own update without torch's per-call wrappers: the same parameters, bit for bit."""

import pytest
import torch

from app.ml.config import RunConfig
from app.ml.optim import bare_step
from app.ml.trainer import Trainer

torch.set_num_threads(1)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("grad_clip", [None, 0.5])
def test_bare_step_updates_exactly_as_optimizer_step(optimizer, grad_clip):
    cfg = RunConfig(
        optimizer=optimizer, grad_clip=grad_clip, weight_decay=0.01, depth=3, width=8, max_steps=50
    )
    fast, wrapped = Trainer(cfg), Trainer(cfg)
    assert fast._optimizer_step is not fast.optimizer.step  # the wrappers were found on this torch
    wrapped._optimizer_step = wrapped.optimizer.step
    for _ in range(12):
        a, b = fast.step(), wrapped.step()
        assert a.loss == b.loss
    for p, q in zip(fast.model.parameters(), wrapped.model.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not any(p.requires_grad is False for p in fast.model.parameters())


def test_bare_step_leaves_grad_mode_as_it_was():
    trainer = Trainer(RunConfig(depth=2, width=4, max_steps=5))
    trainer.step()
    assert torch.is_grad_enabled()
    step = bare_step(trainer.optimizer)
    step()
    assert torch.is_grad_enabled()
