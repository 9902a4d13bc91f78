"""Reading a JSON export back in, in one place: `parse` takes an export of any version (users keep their files)
and gives the run, its step records and events, or ImportProblem naming each wrong field as FastAPI does.

Version 1 (protocol step records) is validated by app/store/import_v1.py's schema; version 2 (columns) here.
"""

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from app.ml.records import DISPLAY_LAYER_METRICS, LayerRecord, StepRecord
from app.store import columns
from app.store.columns import ColumnError
from app.store.export_json import EVALS
from app.store.import_v1 import ImportDoc, ImportEvent, ImportRun, check_import, field_error, imported_records

# --- the import schema of version 2: the columns are read (and checked) by records_v2


class ImportSteps(BaseModel):
    model_config = ConfigDict(extra="ignore")
    step: list[int] = Field(min_length=0)
    t: dict | None = None
    loss: dict | None
    weight_grad_norm: dict
    bias_grad_norm: dict | None = None


class ImportSection(BaseModel):
    """A section of the export: the steps it lists, then its columns."""

    model_config = ConfigDict(extra="ignore")
    step: list[int] = Field(default_factory=list)


class DisplayHistograms(ImportSection):
    grad_hist: list[list[list[int] | None]] = Field(default_factory=list)


class ImportBoundaries(ImportSection):
    grid: list[dict | None] = Field(default_factory=list)


def _columns(name: str, base: type[ImportSection], keys: tuple[str, ...]) -> type[ImportSection]:
    """`base` plus one optional column ({"dtype", "shape", "data"}) per key: the keys export_json writes."""
    fields: dict[str, Any] = {k: (dict | None, None) for k in keys}
    return create_model(name, __base__=base, **fields)


if TYPE_CHECKING:  # a checker cannot read fields made at run time: it sees the sections' fixed fields
    ImportDisplay = DisplayHistograms
    ImportEvals = ImportSection
else:
    ImportDisplay = _columns("ImportDisplay", DisplayHistograms, DISPLAY_LAYER_METRICS)
    ImportEvals = _columns("ImportEvals", ImportSection, EVALS)


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
IMPORT_MODELS: dict[int, type[ImportDoc] | type[ImportDocV2]] = {1: ImportDoc, 2: ImportDocV2}


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
        where = ("steps", "bias_grad_norm")
        bgn = columns.decode(st.bias_grad_norm, [n, n_layers])
        recs = {}
        for i, s in enumerate(st.step):
            row = wgn[i * n_layers : (i + 1) * n_layers]
            read = [v for v in row if v is not None]
            if len(read) not in (0, n_layers):
                where = ("steps", "weight_grad_norm")
                raise ColumnError(
                    f"step {s} has some layers' weight_grad_norm: all of them, or none (not read)"
                )
            layers = (
                [  # none: a step whose gradients were not read
                    LayerRecord(name, read[j], bgn[i * n_layers + j]) for j, name in enumerate(names)
                ]
                if read
                else []
            )
            loss_i = loss[i]
            recs[s] = StepRecord(
                step=s, loss=math.nan if loss_i is None else loss_i, layers=layers, t=t[i] or 0.0
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
            at = note.get("step")
            if at not in recs:
                raise ColumnError(f"step {at!r} is not a recorded step")
            recs[at].diverged = note.get("diverged")
            recs[at].extra = note.get("extra") or {}
            recs[at].time = note.get("time")
    except (ColumnError, TypeError, KeyError) as exc:
        raise ImportProblem([field_error(where, str(exc))]) from exc
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
    model = IMPORT_MODELS.get(body.get("version", 0))
    if model is None:
        msg = f"version must be one of {sorted(IMPORT_MODELS)}, got {body.get('version')!r}"
        raise ImportProblem([field_error(("version",), msg)])
    try:
        doc = model.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise ImportProblem([{**e, "loc": ["body", *e["loc"]]} for e in errors]) from exc
    return imported(doc)
