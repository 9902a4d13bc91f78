"""Sequence-length sweep: how much of the error signal from the last step reaches the first, at initialisation."""

from __future__ import annotations

import math
from typing import Any

import torch

from app.ml.arch.build import build_network
from app.ml.arch.common import time_profile
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.model import Capture
from app.ml.tasks import TASKS

SWEEP_ROWS = 64  # sequences per gradient: one batch, as the depth sweep
RECURRENT = ("rnn", "lstm", "gru")


def sweep_lengths(max_len: int, points: int = 10) -> list[int]:
    """`points` lengths from 10 to max_len, evenly spaced and distinct."""
    if max_len <= 10:
        return [10]
    return sorted({round(10 + i * (max_len - 10) / (points - 1)) for i in range(points)})


def length_sweep(
    architectures: list[str], max_len: int = 100, seeds: int = 3, width: int = 32
) -> dict[str, Any]:
    """{"lengths": [..], "series": [{"architecture", "ratio": [..]}]}.

    ratio[i]: ||dL/dh_1|| / ||dL/dh_T|| at initialisation for T = lengths[i] on the adding problem, the geometric
    mean over `seeds` (the ratios span tens of decades: an arithmetic mean would be the largest seed's).
    """
    for key in architectures:
        if key not in RECURRENT:
            raise ValueError(f"not a recurrent architecture: {key!r}; expected one of {list(RECURRENT)}")
    lengths = sweep_lengths(max_len)
    series = []
    for key in architectures:
        ratios = []
        for length in lengths:
            logs = [_log_ratio(key, length, seed, width) for seed in range(seeds)]
            finite = [v for v in logs if math.isfinite(v)]
            ratios.append(10 ** (sum(finite) / len(finite)) if finite else None)
        series.append({"architecture": key, "ratio": ratios})
    return {"lengths": lengths, "series": series}


def _log_ratio(architecture: str, length: int, seed: int, width: int) -> float:
    """log10 of ||dL/dh_1|| / ||dL/dh_T|| for one freshly initialised network (-inf if h_1 got exactly 0)."""
    cfg = RunConfig(
        architecture=architecture, seq_len=length, width=width, seed=seed, n_samples=SWEEP_ROWS * 2
    )
    data = DATASETS[cfg.dataset].load(cfg)
    model = build_network(cfg)
    x, y = data.x_train[:SWEEP_ROWS], data.y_train[:SWEEP_ROWS]
    captures: list[Capture] = []
    loss = TASKS[DATASETS[cfg.dataset].task].loss(model(x, captures), y)  # the layers' outputs, then h_1..h_T
    for c, g in zip(captures, torch.autograd.grad(loss, [c.h for c in captures]), strict=True):
        c.h_grad = g
    profile = time_profile(model)
    assert profile is not None, f"{architecture} keeps no gradient through time"
    norms = profile["hidden_grad_norm"]
    return math.log10(norms[0] / norms[-1]) if norms[0] > 0 else -math.inf
