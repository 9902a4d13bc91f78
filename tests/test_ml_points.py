"""The dataset points under the decision boundary: inside the grid, the training rows they name, bounded, fixed."""

import torch

from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.evaluate import Evaluator
from app.ml.points import POINTS_LIMIT, boundary_points, points_for


def _spiral(**kw) -> tuple[RunConfig, object]:
    cfg = RunConfig(dataset="spiral", **kw)
    return cfg, DATASETS["spiral"].load(cfg)


def test_spiral_points_lie_inside_the_boundary_grid_and_are_the_rows_they_name():
    cfg, data = _spiral(n_samples=2000, noise=0.3)
    pts = points_for(cfg)
    n = len(pts["x"])
    assert n == POINTS_LIMIT < len(data.y_train)  # 1,600 training rows, capped
    assert len(pts["y"]) == len(pts["label"]) == len(pts["index"]) == n
    axes = Evaluator(data, is_2d=True).boundary_axes  # the grid the boundary is drawn on
    assert axes["x"][0] < min(pts["x"]) and max(pts["x"]) < axes["x"][-1]
    assert axes["y"][0] < min(pts["y"]) and max(pts["y"]) < axes["y"][-1]
    idx = torch.tensor(pts["index"])
    assert pts["label"] == data.y_train[idx].tolist()
    xy = torch.tensor([pts["x"], pts["y"]], dtype=torch.float64).T
    assert torch.allclose(xy, data.x_train[idx].double(), atol=5.1e-5, rtol=0)  # rounded to 4 decimals
    assert all(round(v, 4) == v for v in pts["x"] + pts["y"])
    assert set(pts["label"]) == {0, 1}  # both arms are shown


def test_points_are_evenly_spaced_rows_and_repeat_exactly():
    cfg, data = _spiral(n_samples=1000, seed=7)
    pts = boundary_points(data, limit=50)
    assert pts["index"][0] == 0 and pts["index"][-1] == len(data.y_train) - 1
    gaps = {b - a for a, b in zip(pts["index"], pts["index"][1:], strict=False)}
    assert gaps <= {16, 17} and len(pts["index"]) == 50  # 800 rows in 49 gaps of ~16.3
    assert points_for(cfg, limit=50) == pts  # the dataset is drawn again from the seed: same points


def test_a_small_set_sends_every_training_point_and_digits_none():
    _, data = _spiral(n_samples=200)
    pts = boundary_points(data)
    assert pts["index"] == list(range(len(data.y_train))) == list(range(160))
    assert points_for(RunConfig(dataset="digits")) is None
    assert points_for(None) is None
