"""The plainest loop: a deep MLP on a toy problem, watched live. Sigmoid shows gradients vanishing layer by layer.

Run it:
    gradcast serve                                   # in another terminal, then open http://127.0.0.1:8000/
    python examples/plain_loop.py                    # --activation relu|tanh|sigmoid, --depth 8, --url http://HOST:PORT
The only lines GradCast adds are the `with watch(...)` and `run.step(...)`.
"""

import argparse
import math
import time

import torch
from torch import nn

from gradcast import watch

ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def mlp(depth: int, width: int, activation: str) -> nn.Sequential:
    """2 -> width -> ... -> 2: `depth` hidden Linear layers, each followed by the activation."""
    layers: list[nn.Module] = []
    n_in = 2
    for _ in range(depth):
        layers += [nn.Linear(n_in, width), ACTIVATIONS[activation]()]
        n_in = width
    layers.append(nn.Linear(n_in, 2))
    return nn.Sequential(*layers)


def circles(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """An inner disc (class 1) inside a ring (class 0), both with a little noise: (n, 2) floats, (n,) labels."""
    y = torch.randint(0, 2, (n,), generator=generator)
    angle = torch.rand(n, generator=generator) * 2 * math.pi
    radius = torch.where(y == 1, 0.5, 1.0) + 0.1 * torch.randn(n, generator=generator)
    return torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1), y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="dashboard (default $GRADCAST_URL or http://127.0.0.1:8000)"
    )
    parser.add_argument("--name", default=None, help="run name (default: plain-<activation>-<depth>)")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="sigmoid")
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument(
        "--sleep", type=float, default=0.0, help="seconds to pause per step, to watch it slowly"
    )
    args = parser.parse_args()

    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    x, y = circles(1024, generator)
    model = mlp(args.depth, args.width, args.activation)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    name = args.name or f"plain-{args.activation}-{args.depth}"

    with watch(model, url=args.url, name=name) as run:
        for _ in range(args.steps):
            batch = torch.randint(0, len(y), (64,), generator=generator)
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            run.step(loss=loss.item())
            optimizer.step()
            optimizer.zero_grad()
            if args.sleep:
                time.sleep(args.sleep)
    print(
        f"steps={run.steps} sent={run.sent} dropped={run.dropped} run_id={run.id} loss={loss.item():.4f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
