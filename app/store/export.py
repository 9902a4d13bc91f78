"""A recorded run as CSV or JSON, and the JSON export's schema for importing it back."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.live import messages
from app.ml.records import StepRecord
from app.store import codec
from app.store.runstore import RunStore

FORMAT = "gradcast-run"
VERSION = 1
CSV_METRICS = ("weight_grad_norm", "bias_grad_norm") + tuple(
    m for m in codec.DISPLAY_METRICS if m != "grad_hist"
)
CSV_STEP = ("step", "t", "loss", "train_acc", "test_acc", "test_loss")
RUN_KEYS = ("name", "preset", "status", "reason", "steps", "created", "config", "layer_names")
EXPORT_CHUNK = 500  # step records per yielded piece of the JSON export


def _cell(v: float | None) -> str:
    """Empty for absent, Python's spelling (nan, inf) for non-finite: pandas and spreadsheets read both."""
    if v is None:
        return ""
    return repr(float(v)) if isinstance(v, float) else str(v)


def csv_columns(layer_names: list[str]) -> list[str]:
    """step, t, loss, accuracies, then `metric.layer` for each per-layer metric (input -> output)."""
    return list(CSV_STEP) + [f"{m}.{name}" for m in CSV_METRICS for name in layer_names]


def iter_csv(store: RunStore, rid: str, run: dict) -> Iterator[str]:
    """One header line, then one line per recorded step."""
    names = run["layer_names"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_columns(names))
    for i, rec in enumerate(store.history(rid, names), 1):
        row = [rec.step, repr(rec.t)] + [_cell(getattr(rec, k)) for k in CSV_STEP[2:]]
        for m in CSV_METRICS:
            row += [_cell(getattr(lr, m)) for lr in rec.layers]
        writer.writerow(row)
        if i % EXPORT_CHUNK == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def iter_json(store: RunStore, rid: str, run: dict) -> Iterator[str]:
    """{"format", "version", "run": {..}, "events": [..], "history": [step record, ..]}, written in pieces."""
    head = {"format": FORMAT, "version": VERSION, "run": {k: run.get(k) for k in RUN_KEYS}}
    head["run"]["info"] = {k: v for k, v in run.items() if k not in RUN_KEYS and k in _INFO_KEYS}
    head["events"] = store.events(rid)
    text = json.dumps(head, allow_nan=False)
    yield text[:-1] + ', "history": ['
    sep = ""
    piece: list[str] = []
    for rec in store.history(rid, run["layer_names"]):
        piece.append(sep + json.dumps(messages.step_dict(rec), allow_nan=False))
        sep = ", "
        if len(piece) >= EXPORT_CHUNK:
            yield "".join(piece)
            piece = []
    yield "".join(piece) + "]}\n"


_INFO_KEYS = {"hist_edges", "max_steps", "steps_per_second"}  # run-dict fields worth carrying in an export


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
    metrics: dict[str, float | None] | None = None  # the step's own named scalars (gradcast.protocol)
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
    """What GET /api/records/{id}/export.json returns."""

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
