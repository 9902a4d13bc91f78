"""A recorded run as CSV or JSON, and the schema of version-1 JSON exports (app/store/importer.py reads any).

JSON version 2 is columnar (docs/recording.md#the-json-export): one typed column per metric (float32 where every
value is one, else float64; base64, app/store/columns.py), no key repeated per step, streamed (app/store/spool.py);
importing it gives back exactly what was stored.
"""

import csv
import io
import math
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field

from app.bounds import (
    MAX_LAYERS,
    Count,
    Finite,
    Fraction,
    JsonBlob,
    JsonObject,
    Label,
    LayerRef,
    MetricName,
    Name,
    Norm,
    Step,
    Text,
    Time,
)
from app.ml.records import DISPLAY_LAYER_METRICS, StepRecord
from app.store import codec
from app.store.columns import is_f32, number_text, trim_hist
from app.store.runstore import RunStore
from app.store.spool import Column, JsonList
from gradcast import protocol

FORMAT = "gradcast-run"
VERSION = 2
CSV_METRICS = ("weight_grad_norm", "bias_grad_norm", *DISPLAY_LAYER_METRICS)
CSV_STEP = ("step", "t", "loss", "train_acc", "test_acc", "test_loss")
EVALS = ("train_acc", "test_acc", "test_loss")
RUN_KEYS = ("name", "preset", "status", "reason", "steps", "created", "config", "layer_names")
EXPORT_CHUNK = 500  # CSV rows per yielded piece
_INFO_KEYS = {"hist_edges", "max_steps", "steps_per_second", "lesson"}  # run-dict fields an export carries


def _cell(v: float | None, dtype: str) -> str:
    """Empty for absent; else the shortest text of v at the column's precision (columns.number_text)."""
    return "" if v is None else number_text(v, dtype)


def _hist_cell(counts: list[int] | None) -> str:
    """A layer's histogram in one cell: "first:count count ..", the bins before `first` and after the last
    count being 0 (docs/recording.md)."""
    trimmed = trim_hist(counts)
    if trimmed is None:
        return ""
    return f"{trimmed[0]}:" + " ".join(map(str, trimmed[1:]))


def csv_columns(layer_names: list[str]) -> list[str]:
    """step, t, loss, accuracies, `metric.layer` for each per-layer metric, then `grad_hist.layer` (input -> output)."""
    return (
        list(CSV_STEP)
        + [f"{m}.{name}" for m in CSV_METRICS for name in layer_names]
        + [f"grad_hist.{name}" for name in layer_names]
    )


def precisions(store: RunStore, rid: str, names: list[str]) -> dict[str, str]:
    """Each number column's dtype in the JSON export: "f4" when every value of it is a float32, else "f8" (the CSV
    writes each at the same precision, so both hold exactly what is stored)."""
    keys = [*CSV_STEP[2:], *CSV_METRICS]
    f64: set[str] = set()
    for rec in store.history(rid, names):
        for k in keys:
            if k in f64:
                continue
            values = [getattr(rec, k)] if k in CSV_STEP else [getattr(lr, k) for lr in rec.layers]
            if not all(is_f32(v) for v in values):
                f64.add(k)
    return {k: "f8" if k in f64 else "f4" for k in keys}


def iter_csv(store: RunStore, rid: str, run: dict) -> Iterator[str]:
    """One header line, then one line per recorded step (display-rate cells empty between display steps). The
    history is read twice: once for each column's precision, once for the rows."""
    names = run["layer_names"]
    dtype = precisions(store, rid, names)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_columns(names))
    for i, rec in enumerate(store.history(rid, names), 1):
        row = [rec.step, number_text(rec.t, "f8")] + [_cell(getattr(rec, k), dtype[k]) for k in CSV_STEP[2:]]
        if not rec.layers:  # a step whose gradients were not read: its loss only
            row += [""] * ((len(CSV_METRICS) + 1) * len(names))
        for m in CSV_METRICS:
            row += [_cell(getattr(lr, m), dtype[m]) for lr in rec.layers]
        row += [_hist_cell(lr.grad_hist) for lr in rec.layers]
        writer.writerow(row)
        if i % EXPORT_CHUNK == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


# --- JSON, version 2: columns


def _strict(tree: Any) -> Any:
    """Nested lists/dicts with every non-finite float as None (strict JSON), for boundaries and free-form dicts."""
    if isinstance(tree, float):
        return tree if math.isfinite(tree) else None
    if isinstance(tree, dict):
        return {k: _strict(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_strict(v) for v in tree]
    return tree


def _runs(values: list[int]) -> list[int]:
    """Run-length code [value, count, value, count, ..] of a row-major class grid (its regions are contiguous)."""
    out: list[int] = []
    for v in values:
        if out and out[-2] == v:
            out[-1] += 1
        else:
            out += [v, 1]
    return out


def _grid(boundary: dict, axes: tuple | None) -> tuple[dict, tuple | None]:
    """A boundary as an export entry: {"z": {"cols", "runs"}} plus "x", "y" when they differ from the previous
    entry's (they are the dataset's fixed grid); anything else whole, as {"raw": ..}."""
    x, y = boundary.get("x"), boundary.get("y")
    z: Any = boundary.get("z")  # list[list[int]] when grid_ok
    grid_ok = (
        isinstance(z, list)
        and z
        and all(isinstance(row, list) and len(row) == len(z[0]) for row in z)
        and all(isinstance(c, int) and not isinstance(c, bool) for row in z for c in row)
        and set(boundary) == {"x", "y", "z"}
    )
    if not grid_ok:
        return {"raw": _strict(boundary)}, axes
    entry: dict = {"z": {"cols": len(z[0]), "runs": _runs([c for row in z for c in row])}}
    if (x, y) != axes:
        entry.update(x=_strict(x), y=_strict(y))
    return entry, (x, y)


_Part = TypeVar("_Part", Column, JsonList)


def _kept(parts: ExitStack, made: _Part) -> _Part:
    """A part closed (its temporary file removed) when the export ends or is abandoned."""
    parts.callback(made.close)
    return made


def iter_json(store: RunStore, rid: str, run: dict) -> Iterator[bytes]:
    """The version-2 export (docs/recording.md#the-json-export) as JSON bytes, in pieces: the history is read once
    into temporary files (app/store/spool.py), then sent part by part, so a long run never sits in memory. Every
    step is read before the first piece is made (a damaged record fails before any byte is sent)."""
    names = run["layer_names"]
    n_layers = len(names)
    with ExitStack() as parts:
        step, shown, hists, notes = (_kept(parts, JsonList()) for _ in range(4))
        t, loss, wgn, bgn = (_kept(parts, Column(dtype)) for dtype in ("f8", "auto", "auto", "auto"))
        metrics = {k: _kept(parts, Column()) for k in DISPLAY_LAYER_METRICS}
        ev_step, evals = _kept(parts, JsonList()), {k: _kept(parts, Column()) for k in EVALS}
        grid_step, grids = _kept(parts, JsonList()), _kept(parts, JsonList())
        prev, axes = None, None
        for rec in store.history(rid, names):
            step.add(rec.step)
            t.add([rec.t])
            loss.add([rec.loss])
            # A step whose gradients were not read: every layer's cell is missing (docs/recording.md).
            wgn.add([lr.weight_grad_norm for lr in rec.layers] if rec.layers else [None] * n_layers)
            bgn.add([lr.bias_grad_norm for lr in rec.layers] if rec.layers else [None] * n_layers)
            if rec.full and rec.layers:
                shown.add(rec.step)
                for k, col in metrics.items():
                    col.add([getattr(lr, k) for lr in rec.layers])
                hists.add([trim_hist(lr.grad_hist) for lr in rec.layers])
            if any(getattr(rec, k) is not None for k in EVALS):
                ev_step.add(rec.step)
                for k in EVALS:
                    evals[k].add([getattr(rec, k)])
            if rec.boundary is not None:
                grid_step.add(rec.step)
                if rec.boundary == prev:
                    grids.add(None)  # the same as the previous one: not again
                else:
                    entry, axes = _grid(rec.boundary, axes)
                    grids.add(entry)
                prev = rec.boundary
            if rec.diverged is not None or rec.extra or rec.time is not None:
                note: dict = {"step": rec.step}
                if rec.diverged is not None:
                    note["diverged"] = _strict(rec.diverged)
                if rec.extra:
                    note["extra"] = _strict(rec.extra)
                if rec.time is not None:  # a recurrent model's gradient through time (display steps)
                    note["time"] = _strict(rec.time)
                notes.add(note)
        n, m, e = step.count, shown.count, ev_step.count
        out_run = {k: run.get(k) for k in RUN_KEYS}
        out_run["info"] = {k: v for k, v in run.items() if k not in RUN_KEYS and k in _INFO_KEYS}
        head = {
            "format": FORMAT,
            "version": VERSION,
            "run": _strict(out_run),
            "events": _strict(store.events(rid)),
        }
        yield orjson.dumps(head)[:-1] + b',"steps":{"step":'
        yield from step.pieces()
        for key, col in (("t", t), ("loss", loss)):
            yield b',"%s":' % key.encode()
            yield from col.pieces([n])
        for key, col in (("weight_grad_norm", wgn), ("bias_grad_norm", bgn)):
            yield b',"%s":' % key.encode()
            yield from col.pieces([n, n_layers])
        yield b'},"display":{"step":'
        yield from shown.pieces()
        for key, col in metrics.items():
            yield b',"%s":' % key.encode()
            yield from col.pieces([m, n_layers])
        yield b',"grad_hist":'
        yield from hists.pieces()
        yield b'},"evals":{"step":'
        yield from ev_step.pieces()
        for key, col in evals.items():
            yield b',"%s":' % key.encode()
            yield from col.pieces([e])
        yield b'},"boundaries":{"step":'
        yield from grid_step.pieces()
        yield b',"grid":'
        yield from grids.pieces()
        yield b'},"notes":'
        yield from notes.pieces()
        yield b"}\n"


# --- the import schema: a JSON export, validated field by field (422 names the field)


class ImportLayer(BaseModel):
    """One layer of one step, as in docs/protocol.md; null numbers are non-finite when the step says so. The
    same ranges as POST /api/external/runs/{id}/steps (app/bounds.py)."""

    model_config = ConfigDict(extra="ignore")
    name: LayerRef
    weight_grad_norm: Norm | None
    bias_grad_norm: Norm | None = None
    act_grad_norm: Norm | None = None
    mean_act_deriv: Finite | None = None
    weight_norm: Norm | None = None
    update_ratio: Norm | None = None
    saturated_frac: Fraction | None = None
    dead_frac: Fraction | None = None
    grad_hist: list[Count] | None = Field(None, max_length=1000)


class ImportStep(BaseModel):
    """A step record of docs/protocol.md."""

    model_config = ConfigDict(extra="ignore")
    step: Step
    t: Time
    loss: Finite | None
    layers: list[ImportLayer] = Field(max_length=MAX_LAYERS)  # []: gradients not read at this step
    train_acc: Fraction | None = None
    test_acc: Fraction | None = None
    test_loss: Finite | None = None
    boundary: JsonBlob | None = None
    diverged: JsonObject | None = None
    time: JsonBlob | None = None  # recurrent models: {"t": [..], "hidden_grad_norm": [..], ..}
    # the step's own named scalars (gradcast.protocol): as on POST /api/external/runs/{id}/steps
    metrics: dict[MetricName, Finite | None] | None = Field(None, max_length=protocol.MAX_USER_METRICS)
    nonfinite: bool = False


class ImportEvent(BaseModel):
    t: Time
    status: Label
    step: Count
    reason: Text | None = None


class ImportRun(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: Name
    preset: Label | None = None
    status: Literal["created", "running", "paused", "finished", "stopped", "diverged", "failed"] = "finished"
    reason: Text | None = None
    created: Time | None = None
    config: JsonObject
    layer_names: list[Name] = Field(min_length=1, max_length=MAX_LAYERS)
    info: JsonObject = Field(default_factory=dict)


class ImportDoc(BaseModel):
    """An export of version 1: every step a protocol step record (what export.json returned before version 2)."""

    format: Literal["gradcast-run"]
    version: Literal[1]
    run: ImportRun
    events: list[ImportEvent] = Field(default_factory=list, max_length=10_000)
    history: list[ImportStep]


def check_import(doc: ImportDoc) -> list[dict]:
    """Consistency the field types cannot say: FastAPI-style error dicts (empty when fine)."""
    errors = []
    names = doc.run.layer_names
    last = 0
    for i, st in enumerate(doc.history):
        got = [lr.name for lr in st.layers]
        if got and got != names:
            errors.append(
                _err(("history", i, "layers"), f"layer names {got} differ from run.layer_names {names}")
            )
        if st.step <= last:
            errors.append(_err(("history", i, "step"), f"steps must increase: {st.step} after {last}"))
        last = st.step
        if len(errors) >= 10:
            break
    return errors


def _err(loc: tuple, msg: str) -> dict:
    return {"loc": ["body", *loc], "msg": msg, "type": "value_error"}


def imported_records(doc: ImportDoc) -> list[StepRecord]:
    """The history of a checked ImportDoc as StepRecords (null -> NaN where the step says non-finite)."""
    return [codec.from_wire(st.model_dump(exclude_unset=True)) for st in doc.history]
