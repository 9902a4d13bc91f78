"""StepRecord <-> a steps row, losslessly; and a protocol step record (app.live.messages.step_dict) back to a StepRecord."""

import json
import math
import sys
from array import array
from typing import overload

import orjson

from app.ml.records import DISPLAY_LAYER_METRICS, LayerRecord, StepRecord
from gradcast import protocol
from gradcast.protocol import STEP_USER_METRICS as USER_METRICS

# LayerRecord fields taken on display-rate steps only, stored column-wise (one list per metric) in `metrics`.
DISPLAY_METRICS = (*DISPLAY_LAYER_METRICS, "grad_hist")
STEP_EXTRAS = ("train_acc", "test_acc", "test_loss", "boundary", "diverged", "time")
_SWAP = sys.byteorder != "little"  # the file is little-endian on every machine


def pack(values: list[float]) -> bytes:
    """Per-layer floats -> float64 little-endian bytes (8 per layer)."""
    arr = array("d", values)
    if _SWAP:
        arr.byteswap()
    return arr.tobytes()


def pack_optional(values: list[float | None]) -> bytes | str | None:
    """NULL when every value is None; float64 bytes when none is; JSON text (null kept) for a mix."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return pack(present) if len(present) == len(values) else json.dumps(values)


@overload
def unpack(blob: bytes) -> list[float]: ...
@overload
def unpack(blob: bytes | str | None) -> list[float | None] | None: ...
def unpack(blob: bytes | str | None) -> list[float] | list[float | None] | None:
    """The inverse of pack and pack_optional."""
    if blob is None:
        return None
    if isinstance(blob, str):
        return json.loads(blob)
    arr = array("d")
    arr.frombytes(blob)
    if _SWAP:
        arr.byteswap()
    return arr.tolist()


RUN_COLUMNS = (
    "id",
    "name",
    "preset",
    "group",
    "config",
    "layer_names",
    "status",
    "reason",
    "step",
    "steps",
    "created",
)


def run_row(rid: str, run: dict, *, steps: int, now: float, external: bool) -> tuple:
    """The runs row (INSERT_RUN) of a run dict (the protocol's run object, or an import's run); fields without
    a column (hist_edges, max_steps, ..) go to `info`."""
    config = run.get("config") or {}
    if hasattr(config, "model_dump"):
        config = config.model_dump(mode="json")
    info = {k: v for k, v in run.items() if k not in RUN_COLUMNS and _plain(v)}
    return (
        rid,
        run.get("name") or rid,
        run.get("preset"),
        run.get("group"),
        json.dumps(config),
        json.dumps(list(run.get("layer_names") or [])),
        json.dumps(info),
        run.get("status") or "created",
        run.get("reason"),
        steps,
        run.get("created") or now,
        now,
        int(external),
    )


def _plain(v: object) -> bool:
    """Whether v is strict JSON (what the info column may hold)."""
    try:
        json.dumps(v, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def to_row(run_id: str, rec: StepRecord, prev_boundary: dict | None = None) -> tuple:
    """(run_id, step, t, loss, weight_grad_norm, bias_grad_norm, metrics) for one INSERT. A step whose gradients
    were not read (no layers) stores an empty weight_grad_norm: from_row gives it back without layers.

    A boundary equal to prev_boundary (the run's last stored one) is stored as a mark, not again: a stuck
    network's boundary repeats for most of the run, and it is ~6 KB a step.
    """
    layers = rec.layers
    bias = [lr.bias_grad_norm for lr in layers]
    metrics = None
    if rec.full or rec.diverged or rec.extra:
        m: dict = {"full": rec.full}
        if rec.full and layers:
            m["layers"] = {k: [getattr(lr, k) for lr in layers] for k in DISPLAY_METRICS}
        for k in STEP_EXTRAS:
            v = getattr(rec, k)
            if v is not None:
                m[k] = v
        if rec.boundary is not None and rec.boundary == prev_boundary:
            del m["boundary"]
            m["boundary_same"] = True
        if rec.extra:
            m["extra"] = rec.extra
        metrics = _dumps(m)
    return (
        run_id,
        rec.step,
        rec.t,
        rec.loss,
        pack([lr.weight_grad_norm for lr in layers]),
        pack_optional(bias),
        metrics,
    )


def _dumps(m: dict) -> str:
    """orjson (the faster encoder: the boundary grid dominates) when every float is finite; json keeps NaN/inf
    tokens."""
    floats = [m.get(k) for k in ("train_acc", "test_acc", "test_loss")]
    for k, values in m.get("layers", {}).items():
        if k != "grad_hist":
            floats += values
    if (
        "diverged" in m
        or "extra" in m
        or "time" in m
        or not all(v is None or math.isfinite(v) for v in floats)
    ):
        return json.dumps(m, separators=(",", ":"))  # NaN/Infinity tokens are fine in our own file
    return orjson.dumps(m).decode()


def from_row(row: tuple, layer_names: list[str], prev_boundary: dict | None = None) -> StepRecord:
    """A stored (step, t, loss, weight_grad_norm, bias_grad_norm, metrics) row back into a StepRecord;
    prev_boundary is the last boundary read before it (read rows in step order)."""
    step, t, loss, wgn, bgn, metrics = row
    weights = unpack(wgn)
    biases = unpack(bgn) or [None] * len(weights)
    m = json.loads(metrics) if metrics else {}
    cols = m.get("layers", {})
    layers = []
    for i, name in enumerate(layer_names[: len(weights)]):
        lr = LayerRecord(name=name, weight_grad_norm=weights[i], bias_grad_norm=biases[i])
        for k, values in cols.items():
            setattr(lr, k, values[i])
        layers.append(lr)
    rec = StepRecord(
        step=step,
        loss=math.nan if loss is None else loss,
        layers=layers,
        full=m.get("full", False),
        t=t,
        extra=m.get("extra", {}),
        **{k: m.get(k) for k in STEP_EXTRAS},
    )
    if m.get("boundary_same"):
        rec.boundary = prev_boundary
    return rec


def to_rows(run_id: str, records: list[StepRecord]) -> list[tuple]:
    """Rows of a whole history in step order (repeated boundaries stored once)."""
    rows, prev = [], None
    for rec in records:
        rows.append(to_row(run_id, rec, prev))
        prev = rec.boundary if rec.boundary is not None else prev
    return rows


def from_wire(d: dict) -> StepRecord:
    """A protocol step record (e.g. from a JSON export) back into a StepRecord; null numbers become NaN."""

    nonfinite = bool(d.get("nonfinite"))

    def num(v: float | None) -> float:
        """A required number: null stands for a non-finite value."""
        return math.nan if v is None else float(v)

    def opt(v: float | None) -> float | None:
        """An optional number: null is non-finite only when the record says so, else absent."""
        return (math.nan if nonfinite else None) if v is None else float(v)

    layers = []
    for ld in d["layers"]:
        lr = LayerRecord(
            name=ld["name"],
            weight_grad_norm=num(ld["weight_grad_norm"]),
            bias_grad_norm=opt(ld.get("bias_grad_norm")),
        )
        for k in DISPLAY_METRICS:
            if k in ld:
                v = ld[k]
                setattr(lr, k, v if k == "grad_hist" else opt(v))
        layers.append(lr)
    return StepRecord(
        step=int(d["step"]),
        loss=num(d["loss"]),
        layers=layers,
        full=protocol.is_display_step(d),  # the protocol's one rule, as ingest applies it
        t=float(d.get("t", 0.0)),
        train_acc=opt(d["train_acc"]) if "train_acc" in d else None,
        test_acc=opt(d["test_acc"]) if "test_acc" in d else None,
        test_loss=opt(d["test_loss"]) if "test_loss" in d else None,
        boundary=d.get("boundary"),
        diverged=d.get("diverged"),
        time=d.get("time"),
        extra={USER_METRICS: {k: opt(v) for k, v in d[USER_METRICS].items()}} if d.get(USER_METRICS) else {},
    )
