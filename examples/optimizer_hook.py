"""Plain PyTorch without run.step(): the optimizer's step hook reads the gradients; one call gives the loss.

Run it:
    gradcast serve                                   # in another terminal, then open http://127.0.0.1:8000/
    python examples/optimizer_hook.py                # --activation relu|tanh|sigmoid, --steps 2000, --url URL
GradCast adds `watch(model, optimizer=opt)` and `run.log(loss=..., accuracy=...)`; with it the dashboard also
shows update ratios (from the optimizer's hooks) and, with activations=True, each layer's measured a'(z).
"""

import argparse
import math

import torch
from torch import nn

from gradcast import watch

ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="dashboard (default $GRADCAST_URL or http://127.0.0.1:8000)"
    )
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="sigmoid")
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (1024,), generator=g)
    angle = torch.rand(1024, generator=g) * 2 * math.pi
    radius = torch.where(y == 1, 0.5, 1.0) + 0.1 * torch.randn(1024, generator=g)
    x = torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)
    layers: list[nn.Module] = [nn.Linear(2, 32), ACTIVATIONS[args.activation]()]
    for _ in range(args.depth - 1):
        layers += [nn.Linear(32, 32), ACTIVATIONS[args.activation]()]
    model = nn.Sequential(*layers, nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    name = f"hooked-{args.activation}-{args.depth}"
    with watch(model, url=args.url, name=name, optimizer=opt, activations=True) as run:
        for _ in range(args.steps):
            batch = torch.randint(0, len(y), (64,), generator=g)
            logits = model(x[batch])
            loss = nn.functional.cross_entropy(logits, y[batch])
            loss.backward()
            opt.step()  # the gradients are read here, in the optimizer's step pre-hook
            run.log(loss=loss, accuracy=(logits.argmax(1) == y[batch]).float().mean())
            opt.zero_grad()
    print(f"steps={run.steps} sent={run.sent} dropped={run.dropped} run_id={run.id}", flush=True)


if __name__ == "__main__":
    main()
