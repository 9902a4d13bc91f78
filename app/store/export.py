"""A recorded run as CSV or JSON, and reading a JSON export back in (every version: users keep their files).

JSON version 2 is columnar (docs/recording.md#the-json-export): one typed column per metric (float32, base64,
app/store/columns.py), no key repeated per step; importing it gives back exactly what it holds. Version 1 (a
list of protocol step records) is still read.
"""

import csv
import io
import math
from collections.abc import Iterator
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.ml.records import DISPLAY_LAYER_METRICS, LayerRecord, StepRecord
from app.store import codec, columns
from app.store.columns import ColumnError, to_f32, trim_hist
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


def _grid(boundary: dict, axes: tuple | None) -> tuple[dict, tuple]:
    """A boundary as an export entry: {"z": {"cols", "runs"}} plus "x", "y" when they differ from the previous
    entry's (they are the dataset's fixed grid); anything else whole, as {"raw": ..}."""
    x, y, z = boundary.get("x"), boundary.get("y"), boundary.get("z")
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
    step, t, loss, wgn, bgn = [], [], [], [], []
    shown: list[int] = []
    metrics: dict[str, list] = {k: [] for k in DISPLAY_LAYER_METRICS}
    hists: list[list] = []
    evals: dict[str, list] = {"step": [], **{k: [] for k in EVALS}}
    grids: dict[str, list] = {"step": [], "grid": []}
    notes: list[dict] = []  # diverged and extra, by step
    prev, axes = None, None
    for rec in store.history(rid, names):
        step.append(rec.step)
        t.append(rec.t)
        loss.append(rec.loss)
        wgn += [lr.weight_grad_norm for lr in rec.layers]
        bgn += [lr.bias_grad_norm for lr in rec.layers]
        if rec.full:
            shown.append(rec.step)
            for k, col in metrics.items():
                col += [getattr(lr, k) for lr in rec.layers]
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
        if rec.diverged is not None or rec.extra:
            note = {"step": rec.step}
            if rec.diverged is not None:
                note["diverged"] = _strict(rec.diverged)
            if rec.extra:
                note["extra"] = _strict(rec.extra)
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
            "t": columns.encode(t, [n], "f8"),
            "loss": columns.encode(loss, [n]),
            "weight_grad_norm": columns.encode(wgn, [n, n_layers]),
            "bias_grad_norm": columns.encode(bgn, [n, n_layers]),
        },
        "display": {
            "step": shown,
            **{k: columns.encode(col, [m, n_layers]) for k, col in metrics.items()},
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
    """One layer of one step, as in docs/protocol.md; null numbers are non-finite when the step says so."""

    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=64)
    weight_grad_norm: float | None
    bias_grad_norm: float | None = None
    act_grad_norm: float | None = None
    mean_act_deriv: float | None = None
    weight_norm: float | None = None
    update_ratio: float | None = None
    saturated_frac: float | None = None
    dead_frac: float | None = None
    grad_hist: list[int] | None = None


class ImportStep(BaseModel):
    """A step record of docs/protocol.md."""

    model_config = ConfigDict(extra="ignore")
    step: int = Field(ge=1)
    t: float = 0.0
    loss: float | None
    layers: list[ImportLayer] = Field(min_length=1)
    train_acc: float | None = None
    test_acc: float | None = None
    test_loss: float | None = None
    boundary: dict | None = None
    diverged: dict | None = None
    nonfinite: bool = False


class ImportEvent(BaseModel):
    t: float
    status: str = Field(min_length=1, max_length=32)
    step: int = Field(ge=0)
    reason: str | None = None


class ImportRun(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=200)
    preset: str | None = None
    status: Literal["created", "running", "paused", "finished", "stopped", "diverged", "failed"] = "finished"
    reason: str | None = None
    created: float | None = None
    config: dict
    layer_names: list[str] = Field(min_length=1, max_length=1000)
    info: dict = Field(default_factory=dict)


class ImportDoc(BaseModel):
    """An export of version 1: every step a protocol step record (what export.json returned before version 2)."""

    format: Literal["gradcast-run"]
    version: Literal[1]
    run: ImportRun
    events: list[ImportEvent] = Field(default_factory=list)
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


# --- the import schema of version 2: the columns are read (and checked) by records_v2


class ImportSteps(BaseModel):
    model_config = ConfigDict(extra="ignore")
    step: list[int] = Field(min_length=0)
    t: dict | None = None
    loss: dict | None
    weight_grad_norm: dict
    bias_grad_norm: dict | None = None


class ImportDisplay(BaseModel):
    model_config = ConfigDict(extra="ignore")
    step: list[int] = Field(default_factory=list)
    act_grad_norm: dict | None = None
    mean_act_deriv: dict | None = None
    weight_norm: dict | None = None
    update_ratio: dict | None = None
    saturated_frac: dict | None = None
    dead_frac: dict | None = None
    grad_hist: list[list[list[int] | None]] = Field(default_factory=list)


class ImportEvals(BaseModel):
    model_config = ConfigDict(extra="ignore")
    step: list[int] = Field(default_factory=list)
    train_acc: dict | None = None
    test_acc: dict | None = None
    test_loss: dict | None = None


class ImportBoundaries(BaseModel):
    model_config = ConfigDict(extra="ignore")
    step: list[int] = Field(default_factory=list)
    grid: list[dict | None] = Field(default_factory=list)


class ImportDocV2(BaseModel):
    """What GET /api/records/{id}/export.json returns (version 2: columns)."""

    format: Literal["gradcast-run"]
    version: Literal[2]
    run: ImportRun
    events: list[ImportEvent] = Field(default_factory=list)
    steps: ImportSteps
    display: ImportDisplay = Field(default_factory=ImportDisplay)
    evals: ImportEvals = Field(default_factory=ImportEvals)
    boundaries: ImportBoundaries = Field(default_factory=ImportBoundaries)
    notes: list[dict] = Field(default_factory=list)


# Any export a user may hold, by its "version".
IMPORT_MODELS: dict[int, type[BaseModel]] = {1: ImportDoc, 2: ImportDocV2}


class ImportProblem(ValueError):
    """An export whose parts do not fit together: FastAPI-style error dicts naming each field."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(errors[0]["msg"])
        self.errors = errors


def _unruns(z: dict, axes_len: int | None) -> list[list[int]]:
    cols, runs = z.get("cols"), z.get("runs")
    if not isinstance(cols, int) or cols < 1 or not isinstance(runs, list) or len(runs) % 2:
        raise ColumnError('a boundary\'s z is {"cols": n, "runs": [value, count, ..]}')
    flat: list[int] = []
    for v, k in zip(runs[::2], runs[1::2], strict=True):
        if not isinstance(k, int) or k < 1 or k > 1_000_000 or len(flat) + k > 1_000_000:
            raise ColumnError(f"a run of a boundary's z has count {k!r}")
        flat += [v] * k
    if len(flat) % cols:
        raise ColumnError(f"{len(flat)} cells do not make rows of {cols}")
    return [flat[i : i + cols] for i in range(0, len(flat), cols)]


def records_v2(doc: ImportDocV2) -> list[StepRecord]:
    """The step records a version-2 export holds; ImportProblem naming the field when its parts do not fit."""
    names = doc.run.layer_names
    n_layers, st = len(names), doc.steps
    n = len(st.step)
    where: tuple = ("steps",)
    try:
        if st.step != sorted(set(st.step)) or (st.step and st.step[0] < 1):
            raise ColumnError("steps must be positive and increase")
        t = columns.decode(st.t, [n]) if st.t is not None else [0.0] * n
        loss = columns.decode(st.loss, [n])
        where = ("steps", "weight_grad_norm")
        wgn = columns.decode(st.weight_grad_norm, [n, n_layers])
        if any(v is None for v in wgn):
            raise ColumnError("every step has every layer's weight_grad_norm")
        where = ("steps", "bias_grad_norm")
        bgn = columns.decode(st.bias_grad_norm, [n, n_layers])
        recs = {}
        for i, s in enumerate(st.step):
            layers = [
                LayerRecord(name, wgn[i * n_layers + j], bgn[i * n_layers + j])
                for j, name in enumerate(names)
            ]
            recs[s] = StepRecord(
                step=s, loss=math.nan if loss[i] is None else loss[i], layers=layers, t=t[i] or 0.0
            )
        dp = doc.display
        where = ("display", "step")
        m = len(dp.step)
        if not set(dp.step) <= recs.keys() or len(set(dp.step)) != m:
            raise ColumnError("display steps must be recorded steps, each once")
        where = ("display", "grad_hist")
        if len(dp.grad_hist) not in (0, m) or any(len(h) != n_layers for h in dp.grad_hist):
            raise ColumnError(f"one list of {n_layers} layers' histograms per display step")
        bins = len(doc.run.info.get("hist_edges") or []) - 1
        cols = {}
        for k in DISPLAY_LAYER_METRICS:
            where = ("display", k)
            cols[k] = columns.decode(getattr(dp, k), [m, n_layers])
        for i, s in enumerate(dp.step):
            rec = recs[s]
            rec.full = True
            for j, lr in enumerate(rec.layers):
                for k, col in cols.items():
                    setattr(lr, k, col[i * n_layers + j])
                if dp.grad_hist:
                    where = ("display", "grad_hist", i, j)
                    trimmed = dp.grad_hist[i][j]
                    if trimmed is not None and bins < 1:
                        raise ColumnError("histograms need run.info.hist_edges")
                    lr.grad_hist = columns.untrim_hist(trimmed, bins)
        ev = doc.evals
        where = ("evals", "step")
        if not set(ev.step) <= recs.keys():
            raise ColumnError("evaluated steps must be recorded steps")
        for k in EVALS:
            where = ("evals", k)
            vals = columns.decode(getattr(ev, k), [len(ev.step)])
            for s, v in zip(ev.step, vals, strict=True):
                setattr(recs[s], k, v)
        bd = doc.boundaries
        where = ("boundaries",)
        if len(bd.step) != len(bd.grid) or not set(bd.step) <= recs.keys():
            raise ColumnError("one grid (or null: the previous one again) per recorded step listed")
        prev, axes = None, (None, None)
        for i, (s, entry) in enumerate(zip(bd.step, bd.grid, strict=True)):
            where = ("boundaries", "grid", i)
            if entry is None:
                if prev is None:
                    raise ColumnError("null repeats the previous boundary, and there is none before it")
            elif "raw" in entry:
                prev = entry["raw"]
            else:
                if "x" in entry:
                    axes = (entry["x"], entry["y"])
                prev = {"x": axes[0], "y": axes[1], "z": _unruns(entry.get("z") or {}, None)}
            recs[s].boundary = prev
        for i, note in enumerate(doc.notes):
            where = ("notes", i)
            s = note.get("step")
            if s not in recs:
                raise ColumnError(f"step {s!r} is not a recorded step")
            recs[s].diverged = note.get("diverged")
            recs[s].extra = note.get("extra") or {}
    except (ColumnError, TypeError, KeyError) as exc:
        raise ImportProblem([_err(where, str(exc))]) from exc
    return list(recs.values())


def imported(doc: ImportDoc | ImportDocV2) -> tuple[dict, list[StepRecord], list[dict]]:
    """(run, step records, events) of an export of any version; ImportProblem naming the field otherwise."""
    if isinstance(doc, ImportDocV2):
        records = records_v2(doc)
    else:
        errors = check_import(doc)
        if errors:
            raise ImportProblem(errors)
        records = imported_records(doc)
    return doc.run.model_dump(), records, [e.model_dump() for e in doc.events]


def parse(body: dict) -> tuple[dict, list[StepRecord], list[dict]]:
    """The one place an export is read: (run, step records, events) of an export of any version; ImportProblem
    with FastAPI-style errors (loc from "body") when a field is wrong or the parts do not fit."""
    model = IMPORT_MODELS.get(body.get("version"))
    if model is None:
        msg = f"version must be one of {sorted(IMPORT_MODELS)}, got {body.get('version')!r}"
        raise ImportProblem([_err(("version",), msg)])
    try:
        doc = model.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise ImportProblem([{**e, "loc": ["body", *e["loc"]]} for e in errors]) from exc
    return imported(doc)
