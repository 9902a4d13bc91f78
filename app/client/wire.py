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
    record_nonfinite = not math.isfinite(loss)
    out_layers = []
    for layer in layers:
        values = {
            "weight_grad_norm": combine(grad_norms, layer),
            "bias_grad_norm": grad_norms[layer.bias] if layer.bias is not None else None,
        }
        if weight_norms is not None:
            values["weight_norm"] = combine(weight_norms, layer)
        entry: dict = {"name": layer.name}
        nonfinite = False
        for key, value in values.items():
            clean = _finite(value)
            nonfinite |= clean is None and value is not None
            entry[key] = clean
        if nonfinite:
            entry["nonfinite"] = True
            record_nonfinite = True
        out_layers.append(entry)
    record = {"step": step, "t": t, "loss": _finite(loss), "layers": out_layers}
    if record_nonfinite:
        record["nonfinite"] = True
    return record
