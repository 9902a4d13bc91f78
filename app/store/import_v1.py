"""The schema of version-1 JSON exports (every step a protocol step record), validated field by field.

What export.json returned before version 2; users keep such files, so they still import, exactly
(app/store/importer.py reads either version). A 422 names the field.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.bounds import (
    MAX_LAYERS,
    Count,
    Finite,
    Fraction,
    JsonBlob,
    JsonObject,
    Label,
    MetricName,
    Name,
    Step,
    Text,
    Time,
)
from app.ml.records import StepRecord
from app.stepfields import LayerNumbers
from app.store import codec
from gradcast import protocol


class ImportLayer(LayerNumbers):
    """One layer of one step, as in docs/protocol.md; null numbers are non-finite when the step says so. The
    same ranges as POST /api/external/runs/{id}/steps."""

    model_config = ConfigDict(extra="ignore")
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
                field_error(
                    ("history", i, "layers"), f"layer names {got} differ from run.layer_names {names}"
                )
            )
        if st.step <= last:
            errors.append(field_error(("history", i, "step"), f"steps must increase: {st.step} after {last}"))
        last = st.step
        if len(errors) >= 10:
            break
    return errors


def field_error(loc: tuple, msg: str) -> dict:
    """A FastAPI-style error dict naming the field at `loc` under the body."""
    return {"loc": ["body", *loc], "msg": msg, "type": "value_error"}


def imported_records(doc: ImportDoc) -> list[StepRecord]:
    """The history of a checked ImportDoc as StepRecords (null -> NaN where the step says non-finite)."""
    return [codec.from_wire(st.model_dump(exclude_unset=True)) for st in doc.history]
