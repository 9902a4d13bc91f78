"""PyTorch Lightning: one callback streams every optimizer step of a LightningModule to the dashboard.

Run it:
    gradcast serve                                   # in another terminal, then open http://127.0.0.1:8000/
    python examples/lightning_watch.py               # --activation relu|tanh|sigmoid, --steps 300, --url URL
The only line GradCast adds is `callbacks=[GradCastCallback(...)]`.
"""

import argparse
import math

import torch
from lightning.pytorch import LightningModule, Trainer
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gradcast.integrations.lightning import GradCastCallback

ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


class DeepMlp(LightningModule):
    """2 -> width -> ... -> 2 on two rings; logs its accuracy, which the dashboard shows beside the loss."""

    def __init__(self, depth: int, width: int, activation: str, lr: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        n_in = 2
        for _ in range(depth):
            layers += [nn.Linear(n_in, width), ACTIVATIONS[activation]()]
            n_in = width
        self.net = nn.Sequential(*layers, nn.Linear(n_in, 2))
        self.lr = lr

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self.net(x)
        loss = nn.functional.cross_entropy(logits, y)
        self.log("train_acc", (logits.argmax(1) == y).float().mean())
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def rings(n: int) -> TensorDataset:
    """An inner disc (class 1) inside a ring (class 0): (n, 2) points, (n,) labels."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (n,), generator=g)
    angle = torch.rand(n, generator=g) * 2 * math.pi
    radius = torch.where(y == 1, 0.5, 1.0) + 0.1 * torch.randn(n, generator=g)
    return TensorDataset(torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1), y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="dashboard (default $GRADCAST_URL or http://127.0.0.1:8000)"
    )
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="sigmoid")
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = DeepMlp(args.depth, 32, args.activation, lr=0.1)
    watcher = GradCastCallback(
        url=args.url, name=f"lightning-{args.activation}-{args.depth}", activations=True
    )
    trainer = Trainer(
        max_steps=args.steps,
        accelerator="auto",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        callbacks=[watcher],
    )
    trainer.fit(model, DataLoader(rings(2048), batch_size=64, shuffle=True))
    run = watcher.run
    print(f"steps={run.steps} sent={run.sent} dropped={run.dropped} run_id={run.id}", flush=True)


if __name__ == "__main__":
    main()
