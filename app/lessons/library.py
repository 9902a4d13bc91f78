"""Every lesson this server offers: the built-in ones, the files in <data dir>/lessons, and imported ones.

An import is written to that directory as <id>.json or <id>.toml, so it outlives a restart and the lecturer can
edit it there. Files are read again on every listing: a lesson dropped into the directory appears without a
restart, and a broken one is listed with its error (naming the step and field) instead of stopping the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.lessons.builtin import BUILTIN
from app.lessons.files import FORMATS, Format, LessonError, dump, parse
from app.lessons.model import Lesson

log = logging.getLogger("gradcast.lessons")

Origin = Literal["builtin", "file"]
MAX_FILES = 200  # lesson files read from the directory at most: a listing stays quick


@dataclass(frozen=True)
class Entry:
    """One lesson and where it came from (its file and that file's format, for a lesson on disk)."""

    lesson: Lesson
    origin: Origin
    fmt: Format = "json"
    path: Path | None = None

    def summary(self) -> dict:
        """What the home page lists."""
        lesson = self.lesson
        return {
            "id": lesson.id,
            "title": lesson.title.model_dump(),
            "summary": lesson.summary.model_dump() if lesson.summary else None,
            "steps": len(lesson.steps),
            "origin": self.origin,
            "format": self.fmt,
            "file": self.path.name if self.path else None,
        }


class LessonLibrary:
    """Built-in lessons plus those in `directory` (created on the first import)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[str, Entry] = {}
        self.errors: list[dict] = []  # [{"file", "message", "errors": [{"step", "field", "msg"}]}]
        self.reload()

    def reload(self) -> None:
        """Read every *.json and *.toml of the directory again."""
        files: dict[str, Entry] = {}
        errors: list[dict] = []
        paths = (
            sorted(p for fmt in FORMATS for p in self.directory.glob(f"*.{fmt}"))
            if self.directory.is_dir()
            else []
        )
        for path in paths[:MAX_FILES]:
            fmt: Format = "json" if path.suffix == ".json" else "toml"
            try:
                lesson = parse(path.read_bytes(), fmt, path.name)
            except LessonError as exc:
                errors.append({"file": path.name, "message": str(exc), "errors": exc.errors})
                continue
            except OSError as exc:
                errors.append(
                    {"file": path.name, "message": f"{path.name}: cannot read: {exc}", "errors": []}
                )
                continue
            taken = files.get(lesson.id)
            clash = (
                "a built-in lesson"
                if lesson.id in BUILTIN
                else taken.path.name
                if taken is not None and taken.path is not None
                else None
            )
            if clash:
                msg = f"{path.name}: id {lesson.id!r} is already taken by {clash}"
                errors.append(
                    {"file": path.name, "message": msg, "errors": [{"step": None, "field": "id", "msg": msg}]}
                )
                continue
            files[lesson.id] = Entry(lesson, "file", fmt, path)
        for e in errors:
            log.warning("lesson not loaded: %s", e["message"])
        self.files, self.errors = files, errors

    def entries(self) -> list[Entry]:
        """Built-in first, then the files by id."""
        return [Entry(lesson, "builtin") for lesson in BUILTIN.values()] + sorted(
            self.files.values(), key=lambda e: e.lesson.id
        )

    def get(self, lesson_id: str) -> Entry | None:
        if lesson_id in BUILTIN:
            return Entry(BUILTIN[lesson_id], "builtin")
        entry = self.files.get(lesson_id)
        if entry is None or not (entry.path and entry.path.exists()):
            self.reload()  # dropped in (or removed) since the last listing
            entry = self.files.get(lesson_id)
        return entry

    def add(self, lesson: Lesson, fmt: Format) -> Entry:
        """Write the lesson to <directory>/<id>.<fmt> (replacing a file of that id); a built-in id is refused."""
        if lesson.id in BUILTIN:
            raise ValueError(f"id {lesson.id!r} is a built-in lesson's: choose another id")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{lesson.id}.{fmt}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(dump(lesson, fmt), encoding="utf-8")
        tmp.replace(path)  # atomic: a listing never reads half a file
        for other in FORMATS:
            if other != fmt:
                (self.directory / f"{lesson.id}.{other}").unlink(missing_ok=True)
        entry = Entry(lesson, "file", fmt, path)
        self.files[lesson.id] = entry
        return entry

    def remove(self, lesson_id: str) -> bool:
        """Delete an imported lesson's file; False when there is none (a built-in lesson cannot be removed)."""
        entry = self.files.pop(lesson_id, None)
        if entry is None or entry.path is None:
            return False
        entry.path.unlink(missing_ok=True)
        return True
