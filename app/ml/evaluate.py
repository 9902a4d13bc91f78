"""No-grad evaluation on display steps: accuracies, test loss and the 2-D decision-boundary grid."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from app.ml.arch.common import Network
from app.ml.datasets import DataSplit
from app.ml.tasks import TASKS, Task

GRID_SIZE = 40  # boundary cells per axis: 1,600 points, a fraction of a millisecond for a small net
GRID_MARGIN = 0.5  # in standardised data units beyond the outermost point
EVAL_MAX_TRAIN = 500  # train_acc is measured on at most this many (fixed, evenly spaced) training points
EVAL_BUDGET = 0.02  # auto schedule: evaluation may cost about this fraction of the training time (with the
# display metrics that keeps a display-rate step within 1.15x of a plain one on the small default network; the
# dashboard also evaluates by time, so a slowly paced run still refreshes its boundary)

# A deterministic cost model (the schedule must not depend on the clock, or records would not repeat).
# Fitted on a 2-core CPU, torch 2.x, 1 thread, to within ~1.5x of the measured eval/step time ratio for
# networks from 3 x 8 to 30 x 256 (the larger ones come out conservative).
STEP_OVERHEAD_S = 100e-6  # per layer per training step: forward, backward, optimizer dispatch
STEP_MACS_PER_S = 25e9  # training: forward + backward ~ 3 multiply-adds per parameter per row
EVAL_FIXED_S = 250e-6  # per evaluation: mode switches, argmax, loss, the grid to lists
EVAL_OVERHEAD_S = 10e-6  # per layer per no-grad forward
EVAL_MACS_PER_S = 30e9

# Modules whose forward reads self.training. Only these are switched to eval mode: model.eval()/.train()
# walk every module, a cost in every evaluation however few modules need it (README#benchmarks).
MODE_DEPENDENT = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd, nn.RReLU)


def _evenly_spaced(n: int, k: int) -> Tensor:
    return torch.arange(n) if n <= k else torch.linspace(0, n - 1, k).long()


def eval_rows(data: DataSplit, is_2d: bool) -> int:
    """Rows in one evaluation pass: train subset + test set (+ the boundary grid)."""
    return min(len(data.y_train), EVAL_MAX_TRAIN) + len(data.y_test) + (GRID_SIZE**2 if is_2d else 0)


def suggested_eval_every(
    n_layers: int, n_params: int, batch_size: int, rows: int, budget: float = EVAL_BUDGET
) -> int:
    """Steps between evaluations so that they cost about `budget` of training (cost model above)."""
    t_step = n_layers * STEP_OVERHEAD_S + 3 * batch_size * n_params / STEP_MACS_PER_S
    t_eval = EVAL_FIXED_S + n_layers * EVAL_OVERHEAD_S + rows * n_params / EVAL_MACS_PER_S
    return max(1, math.ceil(t_eval / (budget * t_step)))


class Evaluator:
    """Holds the fixed evaluation inputs (train subset, test set, grid) so each call is one forward pass."""

    def __init__(self, data: DataSplit, is_2d: bool, task: Task = TASKS["classify"]):
        self.task = (
            task  # the loss and what counts as correct (argmax for classes, |error| < 0.04 for adding)
        )
        idx = _evenly_spaced(len(data.y_train), EVAL_MAX_TRAIN)
        self.y_train = data.y_train[idx]
        self.y_test = data.y_test
        parts = [data.x_train[idx], data.x_test]
        self.boundary_axes: dict[str, list[float]] | None = None
        if is_2d:
            all_x = torch.cat([data.x_train, data.x_test])
            lo, hi = all_x.min(dim=0).values - GRID_MARGIN, all_x.max(dim=0).values + GRID_MARGIN
            xs = torch.linspace(float(lo[0]), float(hi[0]), GRID_SIZE)
            ys = torch.linspace(float(lo[1]), float(hi[1]), GRID_SIZE)
            gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # row i = ys[i], column j = xs[j]
            parts.append(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1))
            self.boundary_axes = {"x": xs.tolist(), "y": ys.tolist()}
        self.inputs = torch.cat(parts)  # (n_train_eval + n_test [+ GRID_SIZE²], input_dim)
        self.n_train, self.n_test = len(self.y_train), len(self.y_test)
        self._model: Network | None = None  # the model of the last call and its MODE_DEPENDENT modules
        self._mode_modules: list[nn.Module] = []

    def __call__(self, model: Network) -> dict[str, Any]:
        """{"train_acc", "test_acc", "test_loss", "boundary"} with BatchNorm in eval mode."""
        if model is not self._model:
            self._model = model
            self._mode_modules = [m for m in model.modules() if isinstance(m, MODE_DEPENDENT)]
        modes = [m.training for m in self._mode_modules]
        for m in self._mode_modules:
            m.training = False
        try:
            with torch.no_grad():
                logits = model(self.inputs)
        finally:
            for m, mode in zip(self._mode_modules, modes, strict=True):
                m.training = mode
        a, b = self.n_train, self.n_train + self.n_test
        correct = self.task.correct
        stats = torch.stack(
            [
                correct(logits[:a], self.y_train).float().mean(),
                correct(logits[a:b], self.y_test).float().mean(),
                self.task.loss(logits[a:b], self.y_test),
            ]
        ).tolist()
        out = {"train_acc": stats[0], "test_acc": stats[1], "test_loss": stats[2], "boundary": None}
        if self.boundary_axes is not None:
            z = logits[b:].argmax(dim=1).view(GRID_SIZE, GRID_SIZE).tolist()  # z[i][j]: class at (x[j], y[i])
            out["boundary"] = {**self.boundary_axes, "z": z}
        return out
