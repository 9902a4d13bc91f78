"""Who is training (rank, world size) and how a run introduces itself to the dashboard (POST /api/external/runs)."""

import json
import os
import platform
from collections.abc import Mapping

import torch
from torch import nn

from gradcast.layers import Layer
from gradcast.version import __version__

NAME_MAX = 100  # the dashboard's limit on a run's name


def rank() -> int:
    """This process's rank: torch.distributed's when initialised, else torchrun's RANK, else 0."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def json_safe(value: Mapping[str, object]) -> dict[str, object]:
    """The config as strict JSON data: unknown objects (devices, dtypes, paths) as text, NaN as null."""
    return json.loads(json.dumps(value, default=str), parse_constant=lambda _: None)


def describe(
    model: nn.Module,
    layers: list[Layer],
    params: list[nn.Parameter],
    name: str | None,
    config: Mapping[str, object] | None,
    measured: list[str],
) -> dict[str, object]:
    """The registration body: name, layer names, and a config of what the model is (the user's keys win), with
    the wire fields this client measures (the dashboard hides the cards it cannot fill)."""
    described = {
        "model": type(model).__name__,
        "parameters": sum(p.numel() for p in params),  # trainable ones
        "layer_types": [layer.kind for layer in layers],
        "world_size": world_size(),
        "device": str(params[0].device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "client": __version__,
        "measured": measured,
    }
    return {
        "name": (name or type(model).__name__)[:NAME_MAX],
        "layer_names": [layer.name for layer in layers],
        "config": json_safe({**described, **(config or {})}),
    }
