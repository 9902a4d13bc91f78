"""The engine's training step vs a bare PyTorch loop, measured side by side in one process.

Loops on the same config take turns in blocks of steps, in a rotating order, for several rounds:
  bare      a bare nn.Sequential of the same shapes, torch's default optimizer, the usual four lines
            (bench/support/bare_loop.py: the baseline a person has without GradCast)
  model     the engine's own model and optimizer in that same plain loop, no instrumentation
  norms     Trainer.step() with no display steps: per-layer weight/bias grad norms and the loss every step
  display   Trainer.step() with display_every=10: every layer metric every 10 steps, evaluation (accuracies,
            test loss, 40x40 boundary) on its automatic schedule (eval_every from the cost model)
  display+eval  the same with eval_every=1: the evaluation on every display step as well
Figures: "all steps" = a mode's total time / bare's total time (amortised: the rare evaluations count as
often as they happen), and the median over rounds of the per-round ratio (robust to bursts of load from other
processes, but it skips the rare evaluations). Goals against the bare loop: norms <= 1.05, display <= 1.10.
One model of each architecture beyond the MLP is measured too (for recurrent models the display steps also take
the gradient through time, dL/dh_t for every t); there the baseline is the model itself in the plain loop (it is
built from torch's own modules, as a person would write it): goals norms <= 1.05, display <= 1.15.
--cpu times each block by the thread's CPU time instead of the clock: on a machine shared with other work,
waiting for a core then counts for nobody.
Run: .venv/bin/python bench/overhead.py [mlp | architectures] [--cpu] [--quick]   (both kinds by default)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ml.config import RunConfig  # noqa: E402
from app.ml.trainer import Trainer  # noqa: E402
from bench.support.bare_loop import BareLoop, same_losses  # noqa: E402

NEVER = 10**9  # display_every for "no display steps" (step 1 is still full: it is run in the warm-up)


def model_step(tr: Trainer) -> None:
    """The uninstrumented loop on the engine's model, optimizer and batch order."""
    xb, yb = tr._next_batch()
    loss = tr.loss_fn(tr.model(xb), yb)  # F.cross_entropy, or mean squared error for the adding problem
    tr.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    tr.optimizer.step()
    tr.step_count += 1


CLOCK = time.perf_counter  # main() swaps in time.thread_time for --cpu


def time_block(mode: str, tr: Trainer | BareLoop, steps: int) -> float:
    """Seconds per step over one block."""
    start = CLOCK()
    if mode == "model":
        for _ in range(steps):
            model_step(tr)
    else:
        for _ in range(steps):
            tr.step()
    return (CLOCK() - start) / steps


def measure(name: str, cfg: RunConfig, steps: int, rounds: int) -> None:
    """Print each mode's time per step and its ratios to the bare loop."""
    # the bare nn.Sequential exists for MLPs; elsewhere the model itself is the baseline
    mlp = cfg.architecture == "mlp"
    assert not mlp or same_losses(cfg), "the bare loop does not compute what the engine does"
    trainers: dict[str, Trainer | BareLoop] = {
        **({"bare": BareLoop(cfg)} if mlp else {}),
        "model": Trainer(cfg, display_every=NEVER),
        "norms": Trainer(cfg, display_every=NEVER),
        "display": Trainer(cfg, display_every=10),
        "display+eval": Trainer(cfg, display_every=10, eval_every=1),
    }
    for mode, tr in trainers.items():  # warm-up (includes the always-full first step)
        time_block(mode, tr, 2 * steps)
    modes = list(trainers)
    per_step: dict[str, list[float]] = {m: [] for m in modes}
    for r in range(rounds):
        order = modes[r % len(modes) :] + modes[: r % len(modes)]  # rotate: no mode always runs first
        for m in order:
            per_step[m].append(time_block(m, trainers[m], steps))
    assert not any(getattr(tr, "diverged", None) for tr in trainers.values()), "a bench run diverged"
    eval_every = trainers["display"].eval_every
    print(
        f"\n{name}: architecture={cfg.architecture} depth={cfg.depth} width={cfg.width} batch={cfg.batch_size} "
        f"dataset={cfg.dataset}"
        + (f" seq_len={cfg.seq_len}" if cfg.dataset in ("adding", "temporal_order") else "")
    )
    print(f"  {rounds} rounds of {steps} steps per mode; display_every=10, auto eval_every={eval_every}")
    goals = {
        "model": "no goal: the model's own cost",
        "norms": "goal <= 1.05",
        "display": "goal <= 1.10" if mlp else "goal <= 1.15",
        "display+eval": "no goal: for scale",
    }
    base = "bare" if mlp else "model"
    print(f"  baseline: {base}")
    bare = per_step[base]
    for m in modes:
        text = f"  {m:13s} {statistics.median(per_step[m]) * 1e3:8.3f} ms/step"
        if m != base:
            paired = statistics.median(a / b for a, b in zip(per_step[m], bare, strict=True))
            total = sum(per_step[m]) / sum(bare)
            text += f"  ratio: all steps {total:.3f}, median round {paired:.3f}  ({goals[m]})"
        print(text)


BIG = 1_000_000  # max_steps: never reached, so no forced last step

# One model of each kind beyond the MLP, as its presets train it (fewer rounds: each step costs more).
ARCHITECTURES = {
    "tanh RNN, adding T=50": RunConfig(architecture="rnn", optimizer="adam", lr=0.01, max_steps=BIG),
    "LSTM, adding T=50": RunConfig(
        architecture="lstm", optimizer="adam", lr=0.01, forget_bias=3.0, max_steps=BIG
    ),
    "GRU, adding T=50": RunConfig(architecture="gru", optimizer="adam", lr=0.01, max_steps=BIG),
    "CNN, 20 conv layers": RunConfig(
        architecture="cnn", depth=20, width=16, activation="tanh", residual=True, max_steps=BIG
    ),
    "Transformer, 6 blocks, pre-LN": RunConfig(
        architecture="transformer", seq_len=10, norm_position="pre", max_steps=BIG
    ),
}


def main() -> None:
    global CLOCK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", choices=("all", "mlp", "architectures"), default="all")
    parser.add_argument("--cpu", action="store_true", help="time blocks by the thread's CPU time")
    parser.add_argument("--quick", action="store_true", help="a third of the rounds (noisier)")
    args = parser.parse_args()
    if args.cpu:
        CLOCK = time.thread_time
    div = 3 if args.quick else 1
    print(f"clock: {'thread CPU time' if args.cpu else 'wall time'}; load average {os.getloadavg()[0]:.1f}")
    torch.set_num_threads(1)
    if args.which in ("all", "mlp"):
        measure("default config", RunConfig(max_steps=BIG), steps=20, rounds=150 // div)
        measure(
            "lecture's 10 x 64 sigmoid",
            RunConfig(
                depth=10, width=64, activation="sigmoid", batch_size=128, optimizer="sgd", max_steps=BIG
            ),
            steps=20,
            rounds=150 // div,
        )
        measure(
            "deep config",
            RunConfig(depth=30, width=256, activation="relu", init="kaiming_normal", lr=0.01, max_steps=BIG),
            steps=10,
            rounds=60 // div,
        )
    if args.which in ("all", "architectures"):
        for name, cfg in ARCHITECTURES.items():
            measure(name, cfg, steps=10, rounds=max(20 // div, 5))


if __name__ == "__main__":
    main()
