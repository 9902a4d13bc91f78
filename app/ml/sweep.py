"""Depth sweep: layer1's gradient at initialisation for depths 1..N beside the chain rule's bound."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from app.ml.activations import ACTIVATIONS
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.inits import INITS
from app.ml.model import MLP

SWEEP_BATCH = 64  # rows per gradient: small, the sweep answers an API call in a few seconds
RECOMMENDED = (
    "recommended"  # as `init`: each activation's own recommended init (Kaiming for ReLU, Xavier for tanh)
)


def init_for(activation: str, init: str) -> str:
    """The init key a sweep uses for one activation: `init` itself, or the activation's recommended one."""
    return ACTIVATIONS[activation].recommended_init if init == RECOMMENDED else init


def depth_sweep(
    activations: list[str],
    max_depth: int = 30,
    seeds: int = 3,
    width: int = 32,
    dataset: str = "spiral",
    init: str = "default",
) -> dict[str, Any]:
    """{"depths": [1..N], "init", "series": [{"activation", "init", "grad", "ratio", "bound"}]}.

    init: an INITS key for every activation, or "recommended" for each activation's own (series[i]["init"] says
    which was used).

    grad[i]: ||dL/dW_1|| at initialisation for depth i+1, mean over `seeds`; ratio[i]: the mean of
    ||dL/dW_1|| / ||dL/dW_output||; bound[i]: deriv_bound ** depth when the bound is below 1 (the chain
    rule's ceiling on that ratio's activation factor: 0.25^L for the sigmoid), else None.
    """
    for key in activations:
        if key not in ACTIVATIONS:
            raise ValueError(f"unknown activation {key!r}; expected one of {sorted(ACTIVATIONS)}")
    if init != RECOMMENDED and init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected {RECOMMENDED!r} or one of {sorted(INITS)}")
    depths = list(range(1, max_depth + 1))
    batches = {}
    for seed in range(seeds):
        data = DATASETS[dataset].load(RunConfig(dataset=dataset, seed=seed))
        batches[seed] = (data.x_train[:SWEEP_BATCH], data.y_train[:SWEEP_BATCH])
    series = []
    for key in activations:
        used = init_for(key, init)
        per_seed = [
            _one_seed(key, max_depth, width, dataset, used, seed, *batches[seed]) for seed in range(seeds)
        ]
        grads = [sum(run[0][i] for run in per_seed) / seeds for i in range(max_depth)]
        ratios = [sum(run[1][i] for run in per_seed) / seeds for i in range(max_depth)]
        bound_per_layer = ACTIVATIONS[key].deriv_bound
        bound = [bound_per_layer**d for d in depths] if bound_per_layer < 1 else None
        series.append({"activation": key, "init": used, "grad": grads, "ratio": ratios, "bound": bound})
    return {"depths": depths, "init": init, "series": series}


def _one_seed(
    key: str, max_depth: int, width: int, dataset: str, init: str, seed: int, x: torch.Tensor, y: torch.Tensor
) -> tuple[list[float], list[float]]:
    """(||dL/dW_1||, ||dL/dW_1|| / ||dL/dW_out||) for depths 1..max_depth, grown one layer at a time.

    build_model draws layer1..layerL then output from one generator; here layer L is drawn, the generator's
    state saved, an output layer drawn for depth L, the state restored before layer L+1. The weights are
    exactly those of build_model(depth=L) (a test checks), at O(N) draws instead of O(N^2).
    """
    cfg = RunConfig(dataset=dataset, depth=max_depth, width=width, activation=key, init=init, seed=seed)
    model = MLP(cfg)  # uninitialised: filled layer by layer below
    apply = INITS[init].apply
    gen = torch.Generator().manual_seed(seed)
    first_w = model.hidden[0].linear.weight
    firsts, ratios, h = [], [], x
    for depth in range(1, max_depth + 1):
        layer = model.hidden[depth - 1]
        apply(layer.linear.weight.data, layer.linear.bias.data, cfg, gen)
        h = layer(h)  # (B, width), graph kept from layer1
        state = gen.get_state()
        out = model.output
        apply(out.weight.data, out.bias.data, cfg, gen)
        gen.set_state(state)
        loss = F.cross_entropy(out(h), y)
        g_first, g_last = torch.autograd.grad(loss, [first_w, out.weight], retain_graph=True)
        # float64: at depth 30 the sigmoid's gradient elements are ~1e-25 and would square to 0 in float32
        first, last = (torch.linalg.vector_norm(g, dtype=torch.float64).item() for g in (g_first, g_last))
        firsts.append(first)
        ratios.append(first / last if last > 0 else float("nan"))
    return firsts, ratios
