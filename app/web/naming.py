"""A run's default name: what it is, in its creator's language ("LSTM · 32 units · T = 50", "sigmoid-10x32")."""

from app.i18n import translate
from app.ml.config import RunConfig


def default_name(config: RunConfig, lang: str) -> str:
    """The name a run gets when its creator gives none: its architecture's pattern (app/i18n/runnames.py)
    filled from the config, so a recurrent or Transformer run is not named like an MLP."""
    return translate(lang, f"run.name.{config.architecture}", **config.model_dump())
