"""Architecture registry, the torch half: architecture key -> a freshly initialised network (same keys as specs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.ml.arch.cnn import build_cnn
from app.ml.arch.recurrent import build_recurrent
from app.ml.arch.transformer import build_transformer
from app.ml.model import build_model

if TYPE_CHECKING:
    from app.ml.arch.common import Network
    from app.ml.config import RunConfig

BUILDERS: dict[str, Callable[[RunConfig], Network]] = {
    "mlp": build_model,  # the MLP, exactly as before architectures existed
    "rnn": build_recurrent,
    "lstm": build_recurrent,
    "gru": build_recurrent,
    "cnn": build_cnn,
    "transformer": build_transformer,
}


def build_network(cfg: RunConfig) -> Network:
    """The network of cfg.architecture; the same cfg (and seed) always gives the same weights."""
    return BUILDERS[cfg.architecture](cfg)
