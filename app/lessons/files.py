"""Lesson files in and out: JSON or TOML text -> Lesson, with every error naming the step and the field."""

from __future__ import annotations

import json
import tomllib
from typing import Literal

import tomli_w
from pydantic import ValidationError

from app.lessons.model import Lesson

Format = Literal["json", "toml"]
FORMATS: tuple[Format, ...] = ("json", "toml")
MAX_FILE_BYTES = 512 * 1024  # a 60-step lesson in two languages is ~60 KB; more is not a lesson
_VIEW_KINDS = {"preset", "record", "sweep", "function"}  # the discriminator's tags pydantic puts in a loc


class LessonError(ValueError):
    """A lesson that does not load. `errors`: [{"step": 3 or None, "field": "view.preset", "msg": ...}]."""

    def __init__(self, errors: list[dict], source: str = "lesson") -> None:
        self.errors = errors
        self.source = source
        super().__init__(f"{source}: " + "; ".join(describe(e) for e in errors))


def describe(error: dict) -> str:
    """'step 3, view.preset: unknown preset ...' or 'title.ko: Field required'."""
    where = f"step {error['step']}, " if error.get("step") is not None else ""
    return f"{where}{error['field'] or 'lesson'}: {error['msg']}"


def _error(loc: tuple, msg: str) -> dict:
    """One pydantic error as {"step": 1-based or None, "field": dotted path within the step, "msg", "loc"}."""
    parts = list(loc)
    step = None
    if len(parts) >= 2 and parts[0] == "steps" and isinstance(parts[1], int):
        step = parts[1] + 1
        parts = parts[2:]
    if len(parts) >= 2 and parts[0] in ("view",) and parts[1] in _VIEW_KINDS:
        parts = [parts[0], *parts[2:]]  # ("view", "preset", "preset") -> view.preset
    field = ".".join(str(p) for p in parts)
    clean = ["steps", step - 1, *parts] if step is not None else parts  # the loc without the view's tag
    return {"step": step, "field": field, "msg": msg.removeprefix("Value error, "), "loc": clean}


def validate(data: object, source: str = "lesson") -> Lesson:
    """A Lesson from parsed data, or LessonError with one entry per problem."""
    try:
        return Lesson.model_validate(data)
    except ValidationError as exc:
        raise LessonError([_error(e["loc"], e["msg"]) for e in exc.errors()], source) from None


def parse(text: str | bytes, fmt: Format, source: str = "lesson") -> Lesson:
    """Parse JSON or TOML text and validate it; a syntax error is reported with its line."""
    if len(text) > MAX_FILE_BYTES:
        raise LessonError([{"step": None, "field": "", "msg": f"larger than {MAX_FILE_BYTES} bytes"}], source)
    try:
        if fmt == "json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text.decode() if isinstance(text, bytes) else text)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise LessonError(
            [{"step": None, "field": "", "msg": f"not valid {fmt.upper()}: {exc}"}], source
        ) from None
    return validate(data, source)


def dump(lesson: Lesson, fmt: Format) -> str:
    """The lesson as a file again (what parse reads back to an equal Lesson); unset options left out."""
    data = lesson.model_dump(mode="json", exclude_none=True)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return tomli_w.dumps(data)
