"""A recorded run as CSV or JSON, and the schema of version-1 JSON exports (app/store/importer.py reads any).

JSON version 2 is columnar (docs/recording.md#the-json-export): one typed column per metric (float32, base64,
app/store/columns.py), no key repeated per step; importing it gives back exactly what it holds.
"""

import csv
import io
import math
from collections.abc import Iterator
from typing import Any, Literal

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
    Name,
    Norm,
    Step,
    Text,
    Time,
)
from app.ml.records import DISPLAY_LAYER_METRICS, StepRecord
from app.store import codec, columns
from app.store.columns import Builder, to_f32, trim_hist
from app.store.runstore import RunStore

FORMAT = "gradcast-run"
VERSION = 2
CSV_METRICS = ("weight_grad_norm", "bias_grad_norm", *DISPLAY_LAYER_METRICS)
CSV_STEP = ("step", "t", "loss", "train_acc", "test_acc", "test_loss")
EVALS = ("train_acc", "test_acc", "test_loss")
RUN_KEYS = ("name", "preset", "status", "reason", "steps", "created", "config", "layer_names")
EXPORT_CHUNK = 500  # CSV rows per yielded piece
_INFO_KEYS = {"hist_edges", "max_steps", "steps_per_second", "lesson"}  # run-dict fields an export carries


def _cell(v: float | None) -> str:
    """Empty for absent; float32's shortest spelling (nan, inf when not finite: pandas and spreadsheets read both)."""
    if v is None:
        return ""
    f = to_f32(v)
    if math.isnan(f) or math.isinf(f):
        return repr(f)
    return _f32_text(f)


def _f32_text(f: float) -> str:
    """The shortest decimal that reads back as the same float32 (as numpy's str(np.float32) writes it)."""
    for digits in range(6, 10):
        text = f"{f:.{digits}g}"
        if to_f32(float(text)) == f:
            return text
    return repr(f)


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


def iter_csv(store: RunStore, rid: str, run: dict) -> Iterator[str]:
    """One header line, then one line per recorded step (display-rate cells empty between display steps)."""
    names = run["layer_names"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_columns(names))
    for i, rec in enumerate(store.history(rid, names), 1):
        row = [rec.step, repr(rec.t)] + [_cell(getattr(rec, k)) for k in CSV_STEP[2:]]
        for m in CSV_METRICS:
            row += [_cell(getattr(lr, m)) for lr in rec.layers]
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


def document(store: RunStore, rid: str, run: dict) -> dict:
    """The version-2 export of a recorded run (docs/recording.md#the-json-export)."""
    names = run["layer_names"]
    n_layers = len(names)
    step: list[int] = []
    t, loss, wgn, bgn = Builder("f8"), Builder(), Builder(), Builder()
    shown: list[int] = []
    metrics = {k: Builder() for k in DISPLAY_LAYER_METRICS}
    hists: list[list] = []
    evals: dict[str, list] = {"step": [], **{k: [] for k in EVALS}}
    grids: dict[str, list] = {"step": [], "grid": []}
    notes: list[dict] = []  # diverged and extra, by step
    prev, axes = None, None
    for rec in store.history(rid, names):
        step.append(rec.step)
        t.add([rec.t])
        loss.add([rec.loss])
        wgn.add([lr.weight_grad_norm for lr in rec.layers])
        bgn.add([lr.bias_grad_norm for lr in rec.layers])
        if rec.full:
            shown.append(rec.step)
            for k, col in metrics.items():
                col.add([getattr(lr, k) for lr in rec.layers])
            hists.append([trim_hist(lr.grad_hist) for lr in rec.layers])
        if any(getattr(rec, k) is not None for k in EVALS):
            evals["step"].append(rec.step)
            for k in EVALS:
                evals[k].append(getattr(rec, k))
        if rec.boundary is not None:
            grids["step"].append(rec.step)
            if rec.boundary == prev:
                grids["grid"].append(None)  # the same as the previous one: not again
            else:
                entry, axes = _grid(rec.boundary, axes)
                grids["grid"].append(entry)
            prev = rec.boundary
        if rec.diverged is not None or rec.extra or rec.time is not None:
            note = {"step": rec.step}
            if rec.diverged is not None:
                note["diverged"] = _strict(rec.diverged)
            if rec.extra:
                note["extra"] = _strict(rec.extra)
            if rec.time is not None:  # a recurrent model's gradient through time (display steps)
                note["time"] = _strict(rec.time)
            notes.append(note)
    n, m = len(step), len(shown)
    out_run = {k: run.get(k) for k in RUN_KEYS}
    out_run["info"] = {k: v for k, v in run.items() if k not in RUN_KEYS and k in _INFO_KEYS}
    return {
        "format": FORMAT,
        "version": VERSION,
        "run": _strict(out_run),
        "events": _strict(store.events(rid)),
        "steps": {
            "step": step,
            "t": t.column([n]),
            "loss": loss.column([n]),
            "weight_grad_norm": wgn.column([n, n_layers]),
            "bias_grad_norm": bgn.column([n, n_layers]),
        },
        "display": {
            "step": shown,
            **{k: col.column([m, n_layers]) for k, col in metrics.items()},
            "grad_hist": hists,
        },
        "evals": {
            "step": evals["step"],
            **{k: columns.encode(evals[k], [len(evals["step"])]) for k in EVALS},
        },
        "boundaries": grids,
        "notes": notes,
    }


def iter_json(store: RunStore, rid: str, run: dict) -> Iterator[bytes]:
    """The version-2 export as JSON bytes."""
    yield orjson.dumps(document(store, rid, run)) + b"\n"


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
    layers: list[ImportLayer] = Field(min_length=1, max_length=MAX_LAYERS)
    train_acc: Fraction | None = None
    test_acc: Fraction | None = None
    test_loss: Finite | None = None
    boundary: JsonBlob | None = None
    diverged: JsonObject | None = None
    time: JsonBlob | None = None  # recurrent models: {"t": [..], "hidden_grad_norm": [..], ..}
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
        if got != names:
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
