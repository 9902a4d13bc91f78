"""A small CNN on scikit-learn's bundled 8x8 digits, watched live on a GradCast dashboard.

Run it:
    gradcast serve                                  # in another terminal, then open http://127.0.0.1:8000/
    python examples/digits_cnn.py                   # --url http://HOST:PORT, --epochs N, --sleep 0.05 to slow down
With a presenter token on the server, pass it: GRADCAST_PRESENTER_TOKEN=... python examples/digits_cnn.py
No dashboard running? Training still runs; the steps are dropped and counted (printed at the end).
"""

import argparse
import itertools
import json
import time

import torch
from sklearn.datasets import load_digits
from torch import nn

from gradcast import watch


class DigitsCNN(nn.Module):
    """Two 3x3 convolutions and a two-layer classifier: 4 watched layers."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),  # (B, 8, 8, 8)
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1),  # (B, 16, 8, 8)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (B, 16, 4, 4)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def digits(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """1,797 digits as (N, 1, 8, 8) floats in [0, 1], split 80/20."""
    data = load_digits()
    x = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(data.target, dtype=torch.int64)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = len(y) // 5
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def own_grad_norms(model: nn.Module) -> dict[str, float]:
    """Each parameter's gradient norm, computed here in float64: to check what the dashboard stored."""
    return {name: p.grad.double().norm().item() for name, p in model.named_parameters() if p.grad is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="dashboard (default $GRADCAST_URL or http://127.0.0.1:8000)"
    )
    parser.add_argument("--name", default="digits-cnn")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--sleep", type=float, default=0.0, help="seconds to pause per step, to watch it slowly"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dump", default=None, help="write each step's own float64 gradient norms here (JSON lines)"
    )
    args = parser.parse_args()

    torch.set_num_threads(1)  # small model: more threads only contend
    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = digits(args.seed)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    dump = open(args.dump, "w") if args.dump else None  # noqa: SIM115 (closed below)

    config = {"dataset": "digits", "optimizer": "adam", "lr": args.lr, "batch_size": args.batch_size}
    batches = (b for _ in range(args.epochs) for b in torch.randperm(len(y_train)).split(args.batch_size))
    with watch(model, url=args.url, name=args.name, config=config) as run:
        for batch in itertools.islice(batches, args.steps or None):
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            run.step(loss=loss.item())  # reads every layer's gradients: call it before zero_grad()
            if dump:
                dump.write(
                    json.dumps({"step": run.steps, "loss": loss.item(), "grads": own_grad_norms(model)})
                    + "\n"
                )
            optimizer.step()
            optimizer.zero_grad()
            if args.sleep:
                time.sleep(args.sleep)
    if dump:
        dump.close()
    with torch.no_grad():
        test_acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(
        f"steps={run.steps} sent={run.sent} dropped={run.dropped} run_id={run.id} test_acc={test_acc:.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
