"""Dataset registry: seeded numpy generators in, float32 train/test tensors out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import Tensor

from app.ml.tasks import TASKS

if TYPE_CHECKING:
    from app.ml.config import RunConfig


@dataclass(frozen=True, slots=True)
class DataSplit:
    """Train and test tensors: x (n, input_dim) or, for sequences, (n, seq_len, input_dim) float32; y (n,) int64
    class indices, or float32 targets for a regression task."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor


# What an architecture can read: 2-D points, an 8x8 image (also a 64-vector), a sequence of steps
DataKind = Literal["points", "image", "sequence"]

# (config, rng) -> x (n, d) or (n, T, d) float64, y (n,) int or float
Generate = Callable[["RunConfig", np.random.Generator], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class Dataset:
    """One dataset: its shape and how to draw it."""

    key: str  # registry key = form value = JSON value
    label: str
    input_dim: int
    n_classes: int
    is_2d: bool  # 2-D data gets a decision-boundary grid; uses `noise` and `n_samples`
    generate: Generate
    description: str
    kind: DataKind = "points"
    task: str = "classify"  # a TASKS key (app/ml/tasks.py): the loss and what counts as correct

    def load(self, cfg: RunConfig) -> DataSplit:
        """Draw the data from cfg.seed, split it, standardise 2-D inputs with the training statistics."""
        rng = np.random.default_rng(cfg.seed)
        x, y = self.generate(cfg, rng)
        order = rng.permutation(len(y))
        n_test = max(1, round(len(y) * cfg.test_split))
        test, train = order[:n_test], order[n_test:]
        if self.is_2d:
            mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-8
            x = (x - mean) / std
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        yt = torch.from_numpy(np.asarray(y)).to(TASKS[self.task].y_dtype)
        return DataSplit(xt[train], yt[train], xt[test], yt[test])


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def _spiral(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Two interleaved arms, 1.5 turns each (radius grows linearly with the angle).
    xs, ys = [], []
    for label, n in enumerate(_halves(cfg.n_samples)):
        t = np.sqrt(rng.uniform(0.0, 1.0, n))  # sqrt: even density along the arm
        angle = 3.0 * np.pi * t + np.pi * label
        r = t
        pts = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
        xs.append(pts + rng.normal(0.0, cfg.noise * 0.5, pts.shape))
        ys.append(np.full(n, label))
    return np.concatenate(xs), np.concatenate(ys)


def _circles(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Inner circle radius 0.5 (class 1) inside an outer ring radius 1 (class 0).
    xs, ys = [], []
    for label, (n, radius) in enumerate(zip(_halves(cfg.n_samples), (1.0, 0.5), strict=True)):
        angle = rng.uniform(0.0, 2.0 * np.pi, n)
        pts = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        xs.append(pts + rng.normal(0.0, cfg.noise, pts.shape))
        ys.append(np.full(n, label))
    return np.concatenate(xs), np.concatenate(ys)


def _moons(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # scikit-learn's two half-moons, drawn from our generator.
    n0, n1 = _halves(cfg.n_samples)
    a0, a1 = rng.uniform(0.0, np.pi, n0), rng.uniform(0.0, np.pi, n1)
    upper = np.stack([np.cos(a0), np.sin(a0)], axis=1)
    lower = np.stack([1.0 - np.cos(a1), 0.5 - np.sin(a1)], axis=1)
    x = np.concatenate([upper, lower])
    x = x + rng.normal(0.0, cfg.noise, x.shape)
    return x, np.concatenate([np.zeros(n0, dtype=int), np.ones(n1, dtype=int)])


def _xor(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Four quadrants; class = sign(x1 * x2), labels taken before the noise is added.
    x = rng.uniform(-1.0, 1.0, (cfg.n_samples, 2))
    x = x + np.sign(x) * 0.05  # a small margin around the axes
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    return x + rng.normal(0.0, cfg.noise, x.shape), y


def _gaussians(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Two round blobs centred at (-1, -1) and (1, 1); std 0.3 + noise.
    xs, ys = [], []
    for label, (n, centre) in enumerate(zip(_halves(cfg.n_samples), (-1.0, 1.0), strict=True)):
        xs.append(rng.normal(centre, 0.3 + cfg.noise, (n, 2)))
        ys.append(np.full(n, label))
    return np.concatenate(xs), np.concatenate(ys)


@lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    d = load_digits()
    return d.data / 16.0, d.target  # pixels 0..16 -> 0..1


def _digits(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = _digits_arrays()
    return x.copy(), y.copy()  # all 1797 images; `noise` and `n_samples` do not apply


def _adding(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Hochreiter & Schmidhuber (1997), experiment 4: each step is (value X uniform in [-1, 1], marker 0/1). Two
    # steps are marked, the first among the first ten, the second among the first T/2 (so both lie at least T/2
    # steps before the end); the target is 0.5 + (X1 + X2) / 4, in [0, 1]. A constant guess of 0.5 scores the
    # target's variance, 2 * (1/3) / 16 = 1/24 ~ 0.042, as mean squared error.
    n, T = cfg.n_samples, cfg.seq_len
    half = max(2, T // 2)
    values = rng.uniform(-1.0, 1.0, (n, T))
    first = rng.integers(0, min(10, half - 1), n)
    second = rng.integers(0, half - 1, n)
    second = np.where(second >= first, second + 1, second)  # uniform over the first T/2 without `first`
    markers = np.zeros((n, T))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=2)  # (n, T, 2)
    return x, 0.5 + (values[rows, first] + values[rows, second]) / 4.0


def _temporal_order(cfg: RunConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Hochreiter & Schmidhuber (1997), experiment 6a: a sequence of distractor symbols a..d with X or Y at two
    # places, one in the first 10-20 % of the sequence and one around the middle; the class is the ordered pair
    # (XX, XY, YX, YY). Symbols are one-hot over (a, b, c, d, X, Y).
    n, T = cfg.n_samples, cfg.seq_len
    symbols = rng.integers(0, 4, (n, T))
    p1 = rng.integers(T // 10, max(T // 10 + 1, T // 5), n)
    p2 = rng.integers(T // 2, max(T // 2 + 1, 3 * T // 5), n)
    s1, s2 = rng.integers(0, 2, n), rng.integers(0, 2, n)  # 0 = X, 1 = Y
    rows = np.arange(n)
    symbols[rows, p1] = 4 + s1
    symbols[rows, p2] = 4 + s2
    return np.eye(6)[symbols], 2 * s1 + s2  # (n, T, 6), class 0..3


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in [
        Dataset("spiral", "Two spirals", 2, 2, True, _spiral, "two interleaved arms, 1.5 turns: needs depth"),
        Dataset("circles", "Circles", 2, 2, True, _circles, "a disc inside a ring"),
        Dataset("moons", "Two moons", 2, 2, True, _moons, "two interlocking half-moons"),
        Dataset("xor", "XOR", 2, 2, True, _xor, "four quadrants, opposite corners alike"),
        Dataset("gaussians", "Two Gaussians", 2, 2, True, _gaussians, "two blobs: linearly separable"),
        Dataset("digits", "Digits 8x8", 64, 10, False, _digits,
                 "1,797 handwritten digits, 8x8 pixels, 10 classes (scikit-learn's bundled set)", "image"),
        Dataset("adding", "Adding problem", 2, 1, False, _adding,
                "sequences of (value, marker): output 0.5 + (X1 + X2)/4 of the two marked values "
                "(Hochreiter & Schmidhuber 1997)", "sequence", "regress"),
        Dataset("temporal_order", "Temporal order", 6, 4, False, _temporal_order,
                "which of X/Y came first and second among distractors (Hochreiter & Schmidhuber 1997)",
                "sequence"),
    ]
}  # fmt: skip
