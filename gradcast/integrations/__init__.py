"""GradCast for training frameworks: a callback each, a few lines for the user.

gradcast.integrations.lightning.GradCastCallback     PyTorch Lightning (lightning or pytorch_lightning)
gradcast.integrations.huggingface.GradCastCallback   the Hugging Face transformers Trainer

Each imports its framework only when imported itself; the client needs neither.
"""

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from gradcast.watch import WatchedRun, watch


def scalars(values: Mapping[str, object], skip: tuple[str, ...] = ()) -> dict[str, object]:
    """The entries of a framework's metrics dict that are one number (a float or a 1-element tensor)."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if key in skip:
            continue
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            out[key] = value.detach()
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            out[key] = float(value)
    return out


class Watching:
    """What every framework's callback holds: watch()'s options until training starts, then the run.

    Listed first among a callback's bases; the framework's own callback class has no __init__ of its own."""

    def __init__(self, url: str | None = None, name: str | None = None, **watch_options: Any) -> None:
        self.url = url
        self.name = name
        self.options = watch_options  # as gradcast.watch takes them (token, activations, display_every, ...)
        self.run: WatchedRun | None = None

    def start(self, model: nn.Module, framework: dict[str, object]) -> WatchedRun:
        """watch(model) with the framework's settings in the run's config (the user's `config` keys win)."""
        options = dict(self.options)
        config = framework | (options.pop("config", None) or {})
        self.run = watch(model, self.url, self.name, config=config, **options)
        return self.run
