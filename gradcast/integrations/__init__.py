"""GradCast for training frameworks: a callback each, a few lines for the user.

gradcast.integrations.lightning.GradCastCallback     PyTorch Lightning (lightning or pytorch_lightning)
gradcast.integrations.huggingface.GradCastCallback   the Hugging Face transformers Trainer

Each imports its framework only when imported itself; the client needs neither.
"""

import math
from collections.abc import Mapping

import torch


def scalars(values: Mapping, skip: tuple[str, ...] = ()) -> dict[str, object]:
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
