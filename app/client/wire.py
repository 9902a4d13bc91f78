"""Step records as docs/protocol.md defines them: strict JSON, a non-finite number is null plus a flag."""

import math

from app.client.layers import Layer, combine

# What the training thread hands the sender per step (built there in microseconds; turned into JSON here):
# (step, t unix seconds, loss, grad norm per parameter, weight norm per parameter or None)
Raw = tuple[int, float, float, list[float], list[float] | None]


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def step_record(raw: Raw, layers: list[Layer]) -> dict:
    """One step record: step, t, loss, layers[{name, weight_grad_norm, bias_grad_norm, weight_norm?}]."""
    step, t, loss, grad_norms, weight_norms = raw
    out_layers = []
    for layer in layers:
        entry = {
            "name": layer.name,
            "weight_grad_norm": combine(grad_norms, layer),
            "bias_grad_norm": grad_norms[layer.bias] if layer.bias is not None else None,
        }
        if weight_norms is not None:
            entry["weight_norm"] = combine(weight_norms, layer)
        out_layers.append(entry)
    record = {"step": step, "t": t, "loss": loss, "layers": out_layers}
    # Norms are >= 0: a finite sum means every one is finite (the common case: one check per step).
    if not math.isfinite(loss + sum(grad_norms) + (sum(weight_norms) if weight_norms else 0.0)):
        _mark_nonfinite(record)
    return record


def _mark_nonfinite(record: dict) -> None:
    """Every NaN or inf becomes null; the layers holding one and the record carry "nonfinite": true."""
    found = not math.isfinite(record["loss"])
    record["loss"] = _finite(record["loss"])
    for entry in record["layers"]:
        for key in ("weight_grad_norm", "bias_grad_norm", "weight_norm"):
            value = entry.get(key)
            if value is not None and not math.isfinite(value):
                entry[key] = None
                entry["nonfinite"] = found = True
    if found:  # (not when only the sum overflowed)
        record["nonfinite"] = True
