"""Instrumented vs plain training step time, measured side by side in one process.

Trainers on the same config take turns in blocks of steps, in a rotating order, for several rounds:
  plain     forward, loss, backward, optimizer step (what any training loop does)
  norms     Trainer.step() with no display steps: per-layer weight/bias grad norms and the loss every step
  display   Trainer.step() with display_every=10: every layer metric every 10 steps, evaluation (accuracies,
            test loss, 40x40 boundary) on its automatic schedule (eval_every from the cost model)
  display+eval  the same with eval_every=1: the evaluation on every display step as well
Figures: "all steps" = a mode's total time / plain's total time (amortised: the rare evaluations count as
often as they happen), and the median over rounds of the per-round ratio (robust to bursts of load from other
processes, but it skips the rare evaluations). Goals: norms <= 1.05, display <= 1.15.
Run: .venv/bin/python bench/overhead.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ml.config import RunConfig  # noqa: E402
from app.ml.trainer import Trainer  # noqa: E402

NEVER = 10**9  # display_every for "no display steps" (step 1 is still full: it is run in the warm-up)


def plain_step(tr: Trainer) -> None:
    """The uninstrumented loop on the same model, optimizer and batch order."""
    xb, yb = tr._next_batch()
    loss = F.cross_entropy(tr.model(xb), yb)
    tr.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    tr.optimizer.step()
    tr.step_count += 1


def time_block(mode: str, tr: Trainer, steps: int) -> float:
    """Seconds per step over one block."""
    start = time.perf_counter()
    if mode == "plain":
        for _ in range(steps):
            plain_step(tr)
    else:
        for _ in range(steps):
            tr.step()
    return (time.perf_counter() - start) / steps


def measure(name: str, cfg: RunConfig, steps: int, rounds: int) -> None:
    """Print each mode's time per step and its ratios to plain."""
    trainers = {
        "plain": Trainer(cfg, display_every=NEVER),
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
    assert not any(tr.diverged for tr in trainers.values()), "a bench run diverged: pick a calmer config"
    eval_every = trainers["display"].eval_every
    print(f"\n{name}: depth={cfg.depth} width={cfg.width} batch={cfg.batch_size} dataset={cfg.dataset}")
    print(f"  {rounds} rounds of {steps} steps per mode; display_every=10, auto eval_every={eval_every}")
    goals = {"norms": "goal <= 1.05", "display": "goal <= 1.15", "display+eval": "no goal: for scale"}
    plain = per_step["plain"]
    for m in modes:
        text = f"  {m:13s} {statistics.median(per_step[m]) * 1e3:8.3f} ms/step"
        if m != "plain":
            paired = statistics.median(a / b for a, b in zip(per_step[m], plain, strict=True))
            total = sum(per_step[m]) / sum(plain)
            text += f"  ratio: all steps {total:.3f}, median round {paired:.3f}  ({goals[m]})"
        print(text)


def main() -> None:
    torch.set_num_threads(1)
    big = 1_000_000  # max_steps: never reached, so no forced last step
    measure("default config", RunConfig(max_steps=big), steps=20, rounds=150)
    measure(
        "deep config",
        RunConfig(depth=30, width=256, activation="relu", init="kaiming_normal", lr=0.01, max_steps=big),
        steps=10,
        rounds=60,
    )


if __name__ == "__main__":
    main()
