"""POST /api/records/import's work, done in a worker thread: strict JSON, a cap on steps, validation in chunks.

The event loop only reads the body (capped by app/web/bodylimit.py); parsing, validating and writing a large
export happen here, in pieces of IMPORT_CHUNK steps, so /healthz and live sockets keep answering meanwhile.
"""

from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from app.store import export
from app.store.runstore import RunStore

IMPORT_CHUNK = 500  # step records validated at a time: each piece holds the interpreter for milliseconds
_STEPS = TypeAdapter(list[export.ImportStep])


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


def parse_import(body: bytes, max_steps: int) -> export.ImportDoc:
    """A checked ImportDoc from a request body, or RequestValidationError naming the fields (nothing stored)."""
    try:
        raw = orjson.loads(body)  # strict: no NaN/Infinity tokens, no overflowing numbers, no lone surrogates
    except orjson.JSONDecodeError as exc:
        raise _refused((), f"not strict JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise _refused((), f"expected a JSON export (an object), got {type(raw).__name__}")
    history = raw.get("history")
    if not isinstance(history, list):
        raise _refused(("history",), "expected a list of step records")
    if len(history) > max_steps:
        raise _refused(
            ("history",), f"{len(history)} step records; at most {max_steps} (GRADCAST_MAX_IMPORT_STEPS)"
        )
    errors: list[dict] = []
    try:
        doc = export.ImportDoc.model_validate({**raw, "history": []})
    except ValidationError as exc:
        errors += _shifted(exc, ())
    steps: list[export.ImportStep] = []
    for start in range(0, len(history), IMPORT_CHUNK):
        try:
            steps += _STEPS.validate_python(history[start : start + IMPORT_CHUNK])
        except ValidationError as exc:
            errors += _shifted(exc, ("history",), start)
            break
    if errors:
        raise RequestValidationError(errors)
    doc.history = steps
    errors = export.check_import(doc)
    if errors:
        raise RequestValidationError(errors)
    return doc


def import_run(store: RunStore, body: bytes, max_steps: int) -> str:
    """Parse, check and store an export as a new recorded run in one transaction; its new id."""
    doc = parse_import(body, max_steps)
    run = doc.run.model_dump()
    events = [e.model_dump() for e in doc.events]
    return store.add(run, export.imported_records(doc), events)
