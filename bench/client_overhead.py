"""What watch() costs a training loop: the same loop with and without it, interleaved in one process.

    .venv/bin/python bench/client_overhead.py                 # starts `gradcast serve` on a free loopback port
    .venv/bin/python bench/client_overhead.py --server none   # nothing listens: every step is dropped
    .venv/bin/python bench/client_overhead.py --server http://127.0.0.1:8000   # a dashboard you run

Plain and watched blocks alternate (ABBA order, so drift hits both alike); the figure is the median of the
per-pair ratios watched/plain of the mean step time (wall clock), and the same for this process's CPU time
(all its threads, so the sender's work counts; a busy machine's other processes do not). Logging every step;
goal <= 1.05. Wall ratios need a quiet machine: check `uptime` (load average well under the core count).

Variants: `default` (what watch() does unasked: the loss every step, gradient norms every step or every k-th with
k picked from their measured cost, weight norms and sampled histograms every 10th step), `activations` (plus the opt-in a'(z) probes on every activation module, measured every 10th step). With a
GPU the same figures are printed for CUDA too (the device is synchronised at the end of each block only).
"""

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.serve import free_port, server  # noqa: E402
from gradcast import watch  # noqa: E402


def digits_like_cnn() -> nn.Module:
    """The examples/digits_cnn.py network: 2 convolutions + 2 linear layers on (B, 1, 8, 8)."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def deep_mlp() -> nn.Module:
    """A worst case for relative overhead: 10 narrow layers, tiny compute per step. (B, 64) -> (B, 10)."""
    layers: list[nn.Module] = [nn.Linear(64, 64), nn.Tanh()]
    for _ in range(8):
        layers += [nn.Linear(64, 64), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(64, 10))


MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "digits_cnn": (digits_like_cnn, (1, 8, 8)),
    "deep_mlp": (deep_mlp, (64,)),
}


VARIANTS: dict[str, dict] = {"default": {}, "activations": {"activations": True}}


def bench(
    model_key: str, url: str, blocks: int, steps: int, batch: int, variant: str, device: str, every: str
) -> dict:
    """Mean step time (s) per block for both modes, and the per-pair ratios."""
    build, shape = MODELS[model_key]
    torch.manual_seed(0)
    model = build().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, *shape, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def block(run) -> tuple[float, float, float, float, float]:
        """(wall s, process CPU s, training-thread CPU s, of it in run.step s, sender-thread CPU s) per step."""
        inside = 0.0
        sender = _sender_clock()
        s0 = time.clock_gettime(sender) if sender is not None else 0.0
        t0, c0, th0 = time.perf_counter(), time.process_time(), time.thread_time()
        for _ in range(steps):
            loss = loss_fn(model(x), y)
            loss.backward()
            if run is not None:
                value = loss.item()
                a = time.thread_time()
                run.step(loss=value)
                inside += time.thread_time() - a
            else:
                loss.item()  # the plain loop reads its loss too, as any loop that logs it does
            optimizer.step()
            optimizer.zero_grad()
        sync()
        wall, thread = time.perf_counter() - t0, time.thread_time() - th0
        time.sleep(
            0.15
        )  # the sender sends this block's steps: inside the process CPU clock, outside the wall one
        sent = time.clock_gettime(sender) - s0 if sender is not None else 0.0
        return wall / steps, (time.process_time() - c0) / steps, thread / steps, inside / steps, sent / steps

    plain: list[tuple[float, float, float, float, float]] = []
    watched: list[tuple[float, float, float, float, float]] = []
    options = {**VARIANTS[variant], "grad_norm_every": every if every == "auto" else int(every)}
    with watch(model, url=url, name=f"bench-{model_key}-{variant}", close_timeout=10, **options) as run:
        block(None), block(run)  # warm-up: allocator, autograd graph, the sender's connection
        for i in range(blocks):
            order = (None, run) if i % 2 == 0 else (run, None)  # ABBA
            for r in order:
                (plain if r is None else watched).append(block(r))
    pairs = list(zip(watched, plain, strict=True))
    return {
        "plain": [p[0] for p in plain],
        "watched": [w[0] for w in watched],
        "ratios": [w[0] / p[0] for w, p in pairs],  # wall clock
        "cpu_ratios": [w[1] / p[1] for w, p in pairs],  # this process's CPU, all threads
        "step_us": [(w[2] - p[2]) * 1e6 for w, p in pairs],  # training thread's extra CPU per step
        "sender_us": [((w[1] - w[2]) - (p[1] - p[2])) * 1e6 for w, p in pairs],  # other threads' extra CPU
        # Measured directly (not as a difference of two noisy block times): the training thread's CPU inside
        # run.step() and the sender thread's, per step of a watched block, against a plain step's thread CPU.
        "direct": [(w[3] + w[4] - p[4]) / (p[2]) for w, p in pairs],
        "inside_us": [w[3] * 1e6 for w in watched],
        "sender_thread_us": [(w[4] - p[4]) * 1e6 for w, p in pairs],
        "sent": run.sent,
        "dropped": run.dropped,
        "grad_norm_every": run.grad_norm_every,  # the k in use at the end (auto unless --grad-norm-every)
    }


def _sender_clock() -> int | None:
    """The CPU clock of watch()'s sender thread (None before it runs)."""
    for t in threading.enumerate():
        if t.name == "gradcast-sender" and t.ident is not None:
            return time.pthread_getcpuclockid(t.ident)
    return None


def report(label: str, r: dict) -> None:
    p, w = statistics.median(r["plain"]), statistics.median(r["watched"])
    ratio, cpu = statistics.median(r["ratios"]), statistics.median(r["cpu_ratios"])
    step_us, sender_us = statistics.median(r["step_us"]), statistics.median(r["sender_us"])
    print(
        f"{label}: plain {p * 1e6:7.1f} us/step  watched {w * 1e6:7.1f} us/step  "
        f"sent {r['sent']} dropped {r['dropped']}  gradient norms every {r['grad_norm_every']} step(s)\n"
        f"{'':>12}wall ratio {ratio:.3f} [pairs {min(r['ratios']):.3f}..{max(r['ratios']):.3f}]  "
        f"{'OK' if ratio <= 1.05 else 'ABOVE GOAL'} (goal <= 1.05)\n"
        f"{'':>12}CPU ratio  {cpu:.3f} [pairs {min(r['cpu_ratios']):.3f}..{max(r['cpu_ratios']):.3f}]  "
        f"= training thread +{step_us:.1f} us/step (run.step) + sender thread +{sender_us:.1f} us/step\n"
        f"{'':>12}direct     {1 + statistics.median(r['direct']):.3f}  = run.step {statistics.median(r['inside_us']):.1f}"
        f" us + sender thread {statistics.median(r['sender_thread_us']):.1f} us per step, thread CPU, over a plain"
        " step's (no block difference: steadier on a busy machine, but misses cache and GIL effects on the step)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="start", help="'start' (default), 'none', or a dashboard URL")
    parser.add_argument(
        "--blocks", type=int, default=30, help="pairs of blocks (many short pairs: drift cancels)"
    )
    parser.add_argument("--steps", type=int, default=100, help="steps per block")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument(
        "--models", default="digits_cnn,deep_mlp", help=f"comma-separated, of {sorted(MODELS)}"
    )
    parser.add_argument(
        "--variants", default="default,activations", help=f"comma-separated, of {sorted(VARIANTS)}"
    )
    parser.add_argument(
        "--grad-norm-every",
        default="auto",
        help='watch(grad_norm_every=...): "auto" (default) or k; 1 = exact',
    )
    args = parser.parse_args()
    torch.set_num_threads(1)

    @contextmanager
    def dashboard() -> Iterator[tuple[str, str]]:
        if args.server == "start":
            with server() as (url, _):
                yield url, f"real: `gradcast serve` started by this bench at {url} (own process)"
        elif args.server == "none":
            url = f"http://127.0.0.1:{free_port()}"
            yield url, f"absent: nothing listens at {url}; every step is dropped (the client's floor cost)"
        else:
            yield args.server, f"real: the dashboard at {args.server}"

    with dashboard() as (url, what):
        print(f"server: {what}")
        print("load average (1/5/15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(
            f"torch {torch.__version__}, 1 thread, batch {args.batch}, {args.blocks} ABBA pairs x {args.steps} steps,"
        )
        print(
            f"run.step() every step, grad_norm_every={args.grad_norm_every} "
            "(weight_norm and histograms every 10th step, at most every 0.1 s)"
        )
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for device in devices:
            if device == "cuda":
                print(f"CUDA: {torch.cuda.get_device_name()}")
            for key in args.models.split(","):
                for variant in args.variants.split(","):
                    r = bench(
                        key, url, args.blocks, args.steps, args.batch, variant, device, args.grad_norm_every
                    )
                    report(f"{device}/{key}/{variant}", r)
    print("CPU: this process's CPU time, all its threads; other processes' load does not enter it.")
    print("load average (1/5/15 min) at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
