"""The dataset drawn under the decision boundary: a fixed, evenly spaced subset of the 2-D training points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from app.ml.datasets import DATASETS, DataSplit

if TYPE_CHECKING:
    from app.ml.config import RunConfig

POINTS_LIMIT = 300  # training points sent per run: the arms stay readable and the message stays ~6 KB
POINTS_DECIMALS = 4  # standardised units; 1e-4 is far below one boundary cell (~1/10 of a unit)


def boundary_points(data: DataSplit, limit: int = POINTS_LIMIT) -> dict[str, Any]:
    """{"x", "y", "label", "index"}: at most `limit` training rows, evenly spaced (no RNG), x/y rounded."""
    n = len(data.y_train)
    idx = torch.arange(n) if n <= limit else torch.linspace(0, n - 1, limit).round().long()
    xy = data.x_train[idx].double()  # (k, 2) standardised, the boundary grid's coordinates
    return {
        "x": [round(v, POINTS_DECIMALS) for v in xy[:, 0].tolist()],
        "y": [round(v, POINTS_DECIMALS) for v in xy[:, 1].tolist()],
        "label": data.y_train[idx].tolist(),  # class index of each point
        "index": idx.tolist(),  # its row in the training set
    }


def points_for(cfg: RunConfig | None, limit: int = POINTS_LIMIT) -> dict[str, Any] | None:
    """The boundary_points of the run's dataset (drawn again from its seed), or None unless it is 2-D."""
    if cfg is None or not DATASETS[cfg.dataset].is_2d:
        return None
    return boundary_points(DATASETS[cfg.dataset].load(cfg), limit)


def recorded_points(run: dict[str, Any]) -> dict[str, Any] | None:
    """The dataset points of a recorded run trained here, drawn again from its stored config (the datasets are
    deterministic, so nothing is stored for them); None for an external or imported run, or a config that no
    longer validates."""
    from app.ml.config import RunConfig

    if run.get("external"):
        return None
    try:
        return points_for(RunConfig.model_validate(run["config"]))
    except ValueError:
        return None
