"""The wire format, in one module: step records, frames, status, snapshots; strict JSON (no NaN or Infinity).

A number that is not finite becomes null and the record (or layer) that holds it carries "nonfinite": true.
Messages are encoded once with orjson; the stream's seq is spliced in per stream (see with_seq).
"""

import math
import operator
from collections.abc import Iterable

import orjson

from app.ml.records import JsonObject, LayerRecord, StepRecord
from gradcast import protocol
from gradcast.protocol import STEP_USER_METRICS as USER_METRICS
from gradcast.protocol import finite_or_none, strict_tree

# Per-layer numbers in the order they are listed on the wire, and the display-rate step numbers: written once in
# gradcast.protocol (docs/protocol.md has their meaning).
LAYER_METRICS = protocol.LAYER_METRICS
STEP_METRICS = protocol.STEP_METRICS
PONG = '{"type":"pong"}'

_metrics_of = operator.attrgetter(*LAYER_METRICS)  # LayerRecord -> its LAYER_METRICS values, in one C call
_NO_DISPLAY = (None,) * len(protocol.DISPLAY_LAYER_METRICS)


def layer_dict(layer: LayerRecord) -> JsonObject:
    """One layer of a step record: its name and the metrics present at this step."""
    values = _metrics_of(layer)
    if values[2:] == _NO_DISPLAY and layer.grad_hist is None:
        # A step between frames (most steps when unthrottled): only the two every-step norms, finite.
        w, b = values[0], values[1]
        if w is not None and b is not None and math.isfinite(w) and math.isfinite(b):
            return {"name": layer.name, "weight_grad_norm": float(w), "bias_grad_norm": float(b)}
    out: JsonObject = {"name": layer.name}
    nonfinite = False
    for key in LAYER_METRICS:
        value = getattr(layer, key)
        if value is None:
            continue
        clean = finite_or_none(value)
        nonfinite |= clean is None
        out[key] = clean
    if layer.grad_hist is not None:
        # A tuple, not a list: a dict of atomic values and such tuples is untracked by Python's cyclic GC after a
        # full collection, so a long history of layer records adds nothing to the next ones' pauses.
        out["grad_hist"] = tuple(int(c) for c in layer.grad_hist)
    if nonfinite:
        out["nonfinite"] = True
    return out


def step_dict(record: StepRecord) -> JsonObject:
    """A step record as it goes on the wire and into the history."""
    loss = finite_or_none(record.loss)
    out: JsonObject = {
        "step": record.step,
        "t": record.t,
        "loss": loss,
        "layers": [layer_dict(x) for x in record.layers],
    }
    nonfinite = loss is None or any("nonfinite" in x for x in out["layers"])
    for key in STEP_METRICS:
        value = getattr(record, key)
        if value is not None:
            out[key] = finite_or_none(value)
            nonfinite |= out[key] is None
    metrics = record.extra.get(USER_METRICS) if record.extra else None
    if metrics:
        out[USER_METRICS] = {k: finite_or_none(v) for k, v in metrics.items()}
        nonfinite |= any(v is None for v in out[USER_METRICS].values())
    if record.boundary is not None:
        out["boundary"] = strict_tree(record.boundary)
    if record.diverged is not None:
        out["diverged"] = strict_tree(record.diverged)
    if record.time is not None:  # recurrent models: {"t": [..], "hidden_grad_norm": [..]}
        out["time"] = strict_tree(record.time)
    if nonfinite:
        out["nonfinite"] = True
    return out


def columns(steps: Iterable[JsonObject]) -> JsonObject:
    """Steps as columns: {"step": [..], "t": [..], "loss": [..], "weight_grad_norm": [[per layer] per step]}."""
    out: JsonObject = {"step": [], "t": [], "loss": [], "weight_grad_norm": []}
    for s in steps:
        out["step"].append(s["step"])
        out["t"].append(s["t"])
        out["loss"].append(s["loss"])
        out["weight_grad_norm"].append([layer.get("weight_grad_norm") for layer in s["layers"]])
        if "nonfinite" in s:
            out["nonfinite"] = True
    return out


def frame(run_id: str, step: JsonObject, between: list[JsonObject]) -> JsonObject:
    """A frame: the step record of one run, plus the steps trained since that run's previous frame."""
    msg = {"type": "frame", "run": run_id, **step}
    if between:
        msg["between"] = columns(between)
        msg["between"].pop("t")  # the frame's own t dates the batch; keep the message small
    return msg


def status(run_id: str, status_value: str, step: int, reason: str | None) -> JsonObject:
    """A change of a run's status."""
    return {"type": "status", "run": run_id, "status": status_value, "step": step, "reason": reason}


def snapshot(
    runs: list[tuple[JsonObject, list[JsonObject], JsonObject | None]],
    group: JsonObject | None,
) -> JsonObject:
    """Everything a new viewer needs: each run's object, bounded history and dataset points (null unless 2-D data
    trained here: app/ml/points.py), and the group if any."""
    return {
        "type": "snapshot",
        "runs": [{"run": run, "history": history, "points": points} for run, history, points in runs],
        "group": group,
    }


def encode(msg: JsonObject) -> bytes:
    """Strict JSON bytes (orjson also writes null for any non-finite float that slipped through)."""
    return orjson.dumps(msg)


def with_seq(body: bytes, seq: int) -> str:
    """The encoded message with "seq" spliced in first: one encode serves every stream and viewer."""
    return f'{{"seq":{seq},{body[1:].decode()}'


def decode_client(text: str | bytes) -> JsonObject | None:
    """A message from a client, or None when it is not a JSON object."""
    try:
        msg = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return msg if isinstance(msg, dict) else None
