"""A real Lightning Trainer with GradCastCallback: per-layer norms as Lightning's own grad_norm sees them, before
clipping, every optimizer step under gradient accumulation, the logged metrics, and no extra backward pass."""

import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.utilities import grad_norm
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gradcast.integrations.lightning import GradCastCallback
from tests.support.runs import finished_run

torch.set_num_threads(1)
STEPS, ACCUMULATE, CLIP = 10, 2, 0.01


class Tiny(LightningModule):
    """A randomly initialised MLP; it keeps Lightning's grad_norm of every step and counts backward passes."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.LayerNorm(16), nn.Linear(16, 3))
        self.oracle: list[dict[str, float]] = []  # per optimizer step: grad_2.0_norm/<param> -> norm
        self.losses: list[float] = []  # per batch
        self.backwards = 0

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        loss = nn.functional.cross_entropy(logits, y)
        loss.register_hook(self._count)  # runs once per backward pass through the loss
        self.losses.append(loss.item())
        self.log("train_acc", (logits.argmax(1) == y).float().mean(), on_step=True)
        return loss

    def _count(self, grad: torch.Tensor) -> None:
        self.backwards += 1

    def on_before_optimizer_step(self, optimizer) -> None:  # after the callbacks' hook, before clipping
        self.oracle.append({k: float(v) for k, v in grad_norm(self, norm_type=2).items()})

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.3)


def test_lightning_trainer_streams_unclipped_norms_of_every_optimizer_step(server):
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(80, 6), torch.randint(0, 3, (80,)))
    module = Tiny()
    trainer = Trainer(
        max_steps=STEPS,
        accumulate_grad_batches=ACCUMULATE,
        gradient_clip_val=CLIP,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[
            GradCastCallback(url=server.url, name="lightning-tiny", display_every=5, display_interval=0)
        ],
    )
    trainer.fit(module, DataLoader(data, batch_size=8))
    run = finished_run(server, "lightning-tiny")

    assert run["status"] == "finished" and run["layer_names"] == ["net.0", "net.2", "net.3"]
    assert module.backwards == STEPS * ACCUMULATE  # the callback added no backward pass
    history = run["history"]
    assert [s["step"] for s in history] == list(range(1, STEPS + 1))
    assert len(module.oracle) == STEPS
    for rec, want in zip(history, module.oracle, strict=True):
        for layer in rec["layers"]:
            w = want[f"grad_2.0_norm/{layer['name']}.weight"]
            b = want[f"grad_2.0_norm/{layer['name']}.bias"]
            assert layer["weight_grad_norm"] == pytest.approx(w, rel=1e-6, abs=1e-9)
            assert layer["bias_grad_norm"] == pytest.approx(b, rel=1e-6, abs=1e-9)
    # Read before clipping: clipped to CLIP, every step's total would be at most CLIP.
    assert min(w["grad_2.0_norm_total"] for w in module.oracle) > 10 * CLIP
    # The loss is the stepping batch's (the last of each accumulation window); the metric is the logged one.
    assert [s["loss"] for s in history] == pytest.approx(
        module.losses[ACCUMULATE - 1 :: ACCUMULATE], rel=1e-6
    )
    assert all(0.0 <= s["metrics"]["train_acc"] <= 1.0 for s in history)
    # Display steps (1, 5, 10) carry update ratios and histograms from the optimizer hooks.
    shown = [s["step"] for s in history if "update_ratio" in s["layers"][0]]
    assert shown == [1, 5, 10]
    assert all(sum(layer["grad_hist"]) > 0 for s in history if s["step"] in shown for layer in s["layers"])
    assert "update_ratio" in run["config"]["measured"]
