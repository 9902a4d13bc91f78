"""POST /api/records/import's work, done in a worker thread: strict JSON, a cap on steps, validation in chunks.

The event loop only reads the body (capped by app/web/bodylimit.py); parsing, validating and writing a large
export happen here, in pieces of IMPORT_CHUNK steps, so /healthz and live sockets keep answering meanwhile.
Either version of the export (app/store/importer.py) meets the same ranges (app/bounds.py): a version-2 file's
columns are read into step records, which are then checked as the version-1 step records are.
"""

from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from app.live import messages
from app.ml.records import StepRecord
from app.store import import_v1, importer
from app.store.runstore import RunStore

IMPORT_CHUNK = 500  # step records validated at a time: each piece holds the interpreter for milliseconds
_STEPS = TypeAdapter(list[import_v1.ImportStep])


def _refused(loc: tuple, msg: str, value: Any = None) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": value}]
    )


def _shifted(exc: ValidationError, prefix: tuple, offset: int = 0) -> list[dict]:
    """exc's errors located under body.prefix, the first index moved by offset (a chunk's place)."""
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        if offset and loc and isinstance(loc[0], int):
            loc[0] += offset
        out.append({**err, "loc": ("body", *prefix, *loc)})
    return out


Parsed = tuple[dict, list[StepRecord], list[dict]]  # (run, step records, events): what the store adds


def _validated(wire: list[dict], prefix: tuple) -> list[import_v1.ImportStep]:
    """Step records checked against the import ranges, IMPORT_CHUNK at a time; RequestValidationError if not."""
    steps: list[import_v1.ImportStep] = []
    for start in range(0, len(wire), IMPORT_CHUNK):
        try:
            steps += _STEPS.validate_python(wire[start : start + IMPORT_CHUNK])
        except ValidationError as exc:
            raise RequestValidationError(_shifted(exc, prefix, start)) from None
    return steps


def _parse_v2(raw: dict, max_steps: int) -> Parsed:
    """A version-2 (columns) export: its shape by importer.parse, its values by the version-1 step ranges."""
    steps = raw.get("steps")
    count = (
        len(steps.get("step") or []) if isinstance(steps, dict) and isinstance(steps.get("step"), list) else 0
    )
    if count > max_steps:
        raise _refused(("steps", "step"), f"{count} steps; at most {max_steps} (GRADCAST_MAX_IMPORT_STEPS)")
    try:
        run, records, events = importer.parse(raw)
    except importer.ImportProblem as exc:
        raise RequestValidationError(exc.errors) from None
    _validated([messages.step_dict(r) for r in records], ("steps",))
    return run, records, events


def parse_import(body: bytes, max_steps: int) -> Parsed:
    """(run, step records, events) from a request body, or RequestValidationError naming the fields (nothing
    stored)."""
    try:
        raw = orjson.loads(body)  # strict: no NaN/Infinity tokens, no overflowing numbers, no lone surrogates
    except orjson.JSONDecodeError as exc:
        raise _refused((), f"not strict JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise _refused((), f"expected a JSON export (an object), got {type(raw).__name__}")
    if raw.get("version") == 2:
        return _parse_v2(raw, max_steps)
    history = raw.get("history")
    if not isinstance(history, list):
        raise _refused(("history",), "expected a list of step records")
    if len(history) > max_steps:
        raise _refused(
            ("history",), f"{len(history)} step records; at most {max_steps} (GRADCAST_MAX_IMPORT_STEPS)"
        )
    errors: list[dict] = []
    try:
        doc = import_v1.ImportDoc.model_validate({**raw, "history": []})
    except ValidationError as exc:
        errors += _shifted(exc, ())
    if errors:
        raise RequestValidationError(errors)
    doc.history = _validated(history, ("history",))
    errors = import_v1.check_import(doc)
    if errors:
        raise RequestValidationError(errors)
    return doc.run.model_dump(), import_v1.imported_records(doc), [e.model_dump() for e in doc.events]


def import_run(store: RunStore, body: bytes, max_steps: int) -> str:
    """Parse, check and store an export as a new recorded run in one transaction; its new id."""
    run, records, events = parse_import(body, max_steps)
    return store.add(run, records, events)
