"""The numbers one layer of a step record carries, with their ranges (app/bounds.py), declared once.

A training loop's POST /api/external/runs/{id}/steps (app/web/ingest.py) and a version-1 JSON export
(app/store/import_v1.py) take the same numbers within the same ranges; each adds its own histogram rule and
how strict it is about other keys.
"""

from pydantic import BaseModel

from app.bounds import Finite, Fraction, LayerRef, Norm


class LayerNumbers(BaseModel):
    """One layer of one step: weight_grad_norm and bias_grad_norm every step, the rest when measured."""

    name: LayerRef
    weight_grad_norm: Norm | None  # null only when not finite (then "nonfinite": true)
    bias_grad_norm: Norm | None = None  # null: no bias (or not finite, with the flag)
    act_grad_norm: Norm | None = None
    mean_act_deriv: Finite | None = None
    weight_norm: Norm | None = None
    update_ratio: Norm | None = None
    saturated_frac: Fraction | None = None
    dead_frac: Fraction | None = None
