"""Step records as gradcast.protocol defines them, built in the sender thread from what the training thread captured.

Strict JSON: a non-finite number is null, and the layer and the record holding one carry "nonfinite": true. A step
whose gradients were not read (off the norm schedule: gradcast.sampling) has "layers": [].
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gradcast.deferred import Deferred, host_float
from gradcast.layers import GradNorms, Layer, combine
from gradcast.protocol import STEP_USER_METRICS


@dataclass(slots=True)
class Captured:
    """One step as the training thread hands it over: device values still on their way (see Deferred)."""

    step: int
    t: float  # unix seconds when the gradients were (or would have been) read
    norms: GradNorms | None  # None: a step off the norm schedule (loss and metrics only)
    display: bool = False  # a display step: the extras below are (being) measured
    loss: float | Deferred | None = None
    metrics: dict[str, float | Deferred] | None = None  # the step's own named scalars (None: none)
    update_ratio: Deferred | None = None  # per layer, display steps
    hist: Deferred | None = None  # (layers, bins) counts, display steps
    # layer index -> ([mean a'(z), saturated fraction, dead fraction], activation kind), display steps
    acts: Mapping[int, tuple[Deferred, str]] | None = None


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def step_record(cap: Captured, layers: list[Layer]) -> dict[str, Any]:
    """One step record: step, t, loss, layers[{name, weight_grad_norm, bias_grad_norm, display metrics?}]."""
    if cap.norms is None:  # off the norm schedule: most steps of a fast loop, so the plain case is direct
        loss = cap.loss
        if type(loss) is float and math.isfinite(loss) and not cap.metrics:
            return {"step": cap.step, "t": cap.t, "loss": loss, "layers": []}
        return _checked(_base(cap, []), 0.0)
    grad_norms, weight_norms = cap.norms.host()
    ratios = cap.update_ratio.tolist() if cap.update_ratio is not None else None
    hist = cap.hist.tolist() if cap.hist is not None else None
    acts = {i: (values.tolist(), kind) for i, (values, kind) in (cap.acts or {}).items()}
    out_layers: list[dict[str, Any]] = []
    for i, layer in enumerate(layers):
        entry: dict[str, Any] = {
            "name": layer.name,
            "weight_grad_norm": combine(grad_norms, layer),
            "bias_grad_norm": grad_norms[layer.bias] if layer.bias is not None else None,
        }
        if weight_norms is not None:
            entry["weight_norm"] = combine(weight_norms, layer)
        if ratios is not None:
            entry["update_ratio"] = ratios[i]
        if i in acts:
            (mean_deriv, saturated, dead), kind = acts[i]
            entry["mean_act_deriv"] = mean_deriv
            if kind == "saturating":
                entry["saturated_frac"] = saturated
            elif kind == "rectifying":
                entry["dead_frac"] = dead
        if hist is not None:
            entry["grad_hist"] = hist[i]
        out_layers.append(entry)
    # One sum says whether every number is finite (NaN and inf propagate): the per-entry scan only when one is not.
    # (A layer's combined norm is summed too: its square root of a sum of squares may overflow alone.)
    values = sum(grad_norms) + sum(ratios or ()) + sum(sum(v) for v, _ in acts.values())
    values += sum(e["weight_grad_norm"] + e.get("weight_norm", 0.0) for e in out_layers)
    return _checked(_base(cap, out_layers), values)


def _base(cap: Captured, out_layers: list[dict[str, Any]]) -> dict[str, Any]:
    """The record with its layers as given ([] for a step whose gradients were not read), numbers not yet checked."""
    loss = host_float(cap.loss)
    record: dict[str, Any] = {
        "step": cap.step,
        "t": cap.t,
        "loss": math.nan if loss is None else loss,
        "layers": out_layers,
    }
    if cap.metrics:
        record[STEP_USER_METRICS] = {k: host_float(v) for k, v in cap.metrics.items()}
    return record


def _checked(record: dict[str, Any], layer_sum: float) -> dict[str, Any]:
    """The record made strict JSON (see _mark_nonfinite), scanned only when some number is not finite."""
    metrics = record.get(STEP_USER_METRICS) or {}
    total = record["loss"] + layer_sum + sum(v for v in metrics.values() if v is not None)
    if not math.isfinite(total):
        _mark_nonfinite(record)
    return record


def _mark_nonfinite(record: dict[str, Any]) -> None:
    """Every NaN or inf becomes null; the layers holding one and the record carry "nonfinite": true."""
    found = not math.isfinite(record["loss"])
    record["loss"] = _finite(record["loss"])
    for entry in record["layers"]:
        for key, value in list(entry.items()):
            if isinstance(value, float) and not math.isfinite(value):
                entry[key] = None
                entry["nonfinite"] = found = True
    metrics = record.get(STEP_USER_METRICS)
    if metrics:
        for key, value in metrics.items():
            if value is not None and not math.isfinite(value):
                metrics[key] = None
                found = True
    if found:
        record["nonfinite"] = True
