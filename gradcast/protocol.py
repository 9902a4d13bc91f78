"""The wire protocol's shapes, written once (docs/protocol.md): what a step record and a frame carry.

Standard library only: the client builds records with it, the server's ingest, import and export read them with
it, and people who write their own clients can import it without the server. Field names are the contract.
"""

import math
import re
from collections.abc import Mapping
from typing import NotRequired, TypedDict

# Per-layer numbers taken every step.
EVERY_STEP_LAYER_METRICS = ("weight_grad_norm", "bias_grad_norm")
# Per-layer numbers taken on display-rate steps only (absent on the steps between), in wire order.
DISPLAY_LAYER_METRICS = (
    "act_grad_norm",  # ||dL/dh_k||_2 over the batch: the backpropagated signal
    "mean_act_deriv",  # mean a'(z_k) over batch and units: the lecture's factor
    "weight_norm",  # ||W_k||_2 (Frobenius) before this step's update
    "update_ratio",  # ||dW_k|| / ||W_k|| of this step's optimizer update
    "saturated_frac",  # sigmoid/tanh-like units with a'(z) < SATURATED_DERIV on the whole batch
    "dead_frac",  # ReLU-like units that output 0 for the whole batch
)
LAYER_METRICS = (*EVERY_STEP_LAYER_METRICS, *DISPLAY_LAYER_METRICS)
LAYER_HIST = "grad_hist"  # display rate: counts of |dL/dW| elements on HIST_EDGES (a sample of them)
# Step-level numbers of display-rate steps (a built-in run's evaluation).
STEP_METRICS = ("train_acc", "test_acc", "test_loss")
# A step's own named scalars (accuracy, learning rate, ...), any step: {"name": float}, shown on the loss card.
STEP_USER_METRICS = "metrics"
MAX_USER_METRICS = 16  # per step: a loss card with more lines than this is unreadable
USER_METRIC_NAME_MAX = 64
USER_METRIC_NAME = r"^[\w./ -]+$"  # letters, digits, _ . / space -: "val/acc", "train_loss_step"

# Gradient-norm sampling (docs/protocol.md#sampled-gradient-norms): a client that reads the norms on every k-th
# step only sends the other steps with "layers": [] (loss and metrics only), and says its k under this key, in its
# registration's config and in a steps body whenever k changes: {"every": k, "auto": bool, "step_seconds"?,
# "norm_seconds"?}.
GRAD_NORM_EVERY = "grad_norm_every"
MAX_GRAD_NORM_EVERY = 1_000_000

# Frames (server -> browser): a step record plus these; the steps between frames ride along column-wise.
FRAME_FIELDS = ("type", "seq", "run", "step", "t", "loss", "layers", "between")

# |dL/dW| histogram bins: half-decade edges 1e-12 .. 1e2 (29 edges, 28 bins). Values below the first edge
# (zeros included) count in the first bin, values at or above the last edge in the last bin.
HIST_LOG10_MIN = -12.0
HIST_EDGES: list[float] = [10.0 ** (e / 2) for e in range(-24, 5)]
HIST_BINS = len(HIST_EDGES) - 1
SATURATED_DERIV = 0.01  # a'(z) below this on the whole batch counts a unit as saturated


class LayerEntry(TypedDict):
    """One layer of a step record. A null number is not finite, and then "nonfinite": true is set."""

    name: str
    weight_grad_norm: float | None
    bias_grad_norm: NotRequired[float | None]  # null or absent: no bias
    act_grad_norm: NotRequired[float | None]
    mean_act_deriv: NotRequired[float | None]
    weight_norm: NotRequired[float | None]
    update_ratio: NotRequired[float | None]
    saturated_frac: NotRequired[float | None]
    dead_frac: NotRequired[float | None]
    grad_hist: NotRequired[list[int]]
    nonfinite: NotRequired[bool]


class NormSampling(TypedDict):
    """Which steps carry gradient norms (GRAD_NORM_EVERY): step 1, every `every`-th step and every display step."""

    every: int  # 1: every step (exact)
    auto: bool  # k was picked from the measured cost of reading the norms
    step_seconds: NotRequired[float]  # median time between steps when k was picked
    norm_seconds: NotRequired[float]  # median time one read of the norms took on the training thread


class StepRecordWire(TypedDict):
    """One step record: what a client sends, the server stores and streams, and an export carries."""

    step: int  # 1-based count of optimizer steps; increasing
    t: NotRequired[float]  # unix seconds when measured
    loss: float | None
    layers: list[
        LayerEntry
    ]  # input -> output, the run's layer_names in order; []: gradients not read this step
    train_acc: NotRequired[float | None]
    test_acc: NotRequired[float | None]
    test_loss: NotRequired[float | None]
    metrics: NotRequired[dict[str, float | None]]
    nonfinite: NotRequired[bool]


def is_display_step(record: object) -> bool:
    """The one rule for a display-rate step: it carries a display-rate number (a layer's or an evaluation's).

    Every step carries the every-step norms; a display step is one the dashboard redraws its slower panels from.
    Works on a wire dict and on any object with the same attribute names (via Mapping or getattr)."""
    get = record.get if isinstance(record, Mapping) else lambda k, d=None: getattr(record, k, d)
    if any(get(k) is not None for k in STEP_METRICS):
        return True
    for layer in get("layers") or ():
        lget = layer.get if isinstance(layer, Mapping) else lambda k, d=None, x=layer: getattr(x, k, d)
        if lget(LAYER_HIST) is not None or any(lget(k) is not None for k in DISPLAY_LAYER_METRICS):
            return True
    return False


def metric_name(name: str) -> str:
    """A name as the protocol takes it: other characters become "_", cut to USER_METRIC_NAME_MAX."""
    return re.sub(r"[^\w./ -]", "_", str(name))[:USER_METRIC_NAME_MAX] or "_"


def finite_or_none(value: float | None) -> float | None:
    """The float, or None when it is NaN or infinite (strict JSON has no token for them)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def strict_tree(value: object) -> object:
    """Nested lists/dicts with every non-finite float replaced by None (boundary grids, reasons, free-form dicts);
    tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        try:  # a row of numbers: one C-speed sum says whether all are finite (NaN and inf propagate)
            if math.isfinite(sum(value)):
                return value if isinstance(value, list) else list(value)
        except (TypeError, OverflowError):  # not all numbers (nested rows), or an int past float's range
            pass
        return [strict_tree(v) for v in value]
    return value
