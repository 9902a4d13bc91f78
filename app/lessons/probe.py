"""A function plot's numbers: a(z) and a'(z) from the activation registry, and the measured z_k of a live run.

The z_k come from a copy of the run's current weights, fed one batch of its training data: the training thread
is never paused or touched (its weights are only read), and the copy runs in a worker thread of the caller's.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from app.ml.activations import ACTIVATIONS
from app.ml.arch.common import Network
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.model import MLP, Capture

CURVE_POINTS = 241  # samples of a(z) and a'(z): smooth at projector size, ~4 KB per activation
Z_BINS = 48  # histogram bins over the plot's z range
PROBE_ROWS = 256  # training rows fed through the copy: enough for a smooth histogram of 32 units


def curves(activations: list[str], z_range: tuple[float, float]) -> list[dict]:
    """[{"activation", "z", "a", "da", "bound"}] sampled on z_range with the registry's module and derivative."""
    cfg = RunConfig()  # the registry's defaults (Leaky ReLU's slope 0.01)
    z = torch.linspace(z_range[0], z_range[1], CURVE_POINTS, dtype=torch.float64)
    out = []
    for key in activations:
        act = ACTIVATIONS[key]
        with torch.no_grad():
            a = act.module(cfg)(z)
            da = act.deriv(z, cfg)
        out.append(
            {
                "activation": key,
                "z": [round(v, 6) for v in z.tolist()],
                "a": [round(v, 6) for v in a.tolist()],
                "da": [round(v, 6) for v in da.tolist()],
                "bound": act.deriv_bound,
            }
        )
    return out


@lru_cache(maxsize=8)
def _rows(config: RunConfig) -> torch.Tensor:
    """The first PROBE_ROWS training rows of the run's data set (deterministic from the config)."""
    return DATASETS[config.dataset].load(config).x_train[:PROBE_ROWS]


def preactivations(
    model: Network, config: RunConfig, layers: list[int], z_range: tuple[float, float]
) -> dict:
    """Histograms of z_k (k = 1-based hidden layer) of `model`'s current weights on a batch of its data.

    {"edges": [Z_BINS + 1], "layers": [{"layer", "counts", "below", "above", "mean_deriv"}]}: counts over the plot's
    range, the units outside it, and the mean a'(z_k) of that batch (what the chain-rule panel shows)."""
    copy = MLP(config)
    with torch.no_grad():
        copy.load_state_dict({k: v.detach().clone() for k, v in model.state_dict().items()})
        capture: list[Capture] = []
        copy(_rows(config), capture)
    lo, hi = z_range
    edges = torch.linspace(lo, hi, Z_BINS + 1)
    act = ACTIVATIONS[config.activation]
    out = []
    for k in layers:
        z_k = capture[k - 1].z
        assert z_k is not None, f"layer {k} is a hidden layer"
        z = z_k.flatten()  # (rows * width,)
        out.append(
            {
                "layer": k,
                "counts": torch.histc(z, Z_BINS, lo, hi).to(torch.int64).tolist(),
                "below": int((z < lo).sum()),
                "above": int((z > hi).sum()),
                "mean_deriv": float(act.deriv(z, config).mean()),
            }
        )
    return {"edges": [round(e, 6) for e in edges.tolist()], "layers": out}
