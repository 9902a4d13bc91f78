"""Routes: lessons (list, read, import, export, delete), their sessions (open a step), the lesson page, handout."""

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse

from app.lessons.files import Format, LessonError, describe, dump, parse
from app.lessons.model import FunctionView
from app.lessons.render import rendered
from app.lessons.service import LessonService
from app.lessons.session import LessonSession
from app.live.errors import Conflict, NotFound
from app.web.pages import _page

router = APIRouter(prefix="/api/lessons", tags=["lessons"])
pages = APIRouter(include_in_schema=False)

CONTENT_TYPES: dict[str, Format] = {
    "application/json": "json",
    "application/toml": "toml",
    "text/x-toml": "toml",
    "text/toml": "toml",
}
MEDIA: dict[Format, str] = {"json": "application/json", "toml": "application/toml"}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A lesson file (docs/lessons.md): JSON, or TOML with Content-Type: application/toml.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/toml": {"schema": {"type": "string"}},
        },
    }
}


def _service(request: Request) -> LessonService:
    return request.app.state.lessons


LessonsDep = Annotated[LessonService, Depends(_service)]


def _entry(lessons: LessonService, lesson_id: str):
    entry = lessons.library.get(lesson_id)
    if entry is None:
        raise NotFound(f"no lesson {lesson_id!r}")
    return entry


def _session(lessons: LessonService, session_id: str) -> LessonSession:
    return lessons.sessions.get(session_id)


@router.get("")
def list_lessons(lessons: LessonsDep) -> dict:
    """{"lessons": [{"id", "title", "summary", "steps", "origin", "format", "file"}], "errors": [{"file", "message",
    "errors": [{"step", "field", "msg"}]}]}: built-in first, then the files of <data dir>/lessons (read again)."""
    lessons.library.reload()
    return {"lessons": [e.summary() for e in lessons.library.entries()], "errors": lessons.library.errors}


@router.post("", status_code=201, openapi_extra=IMPORT_BODY)
async def import_lesson(request: Request, lessons: LessonsDep) -> dict:
    """Import a lesson file (JSON or TOML by Content-Type); it is written to <data dir>/lessons/<id>.<format>.
    422: detail entries name the step (1-based) and the field; 409: the id is a built-in lesson's."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    fmt = CONTENT_TYPES.get(ctype)
    if fmt is None:
        raise HTTPException(415, detail=f"send application/json or application/toml, got {ctype!r}")
    body = await request.body()
    try:
        lesson = parse(body, fmt, "body")
    except LessonError as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ["body", *e.get("loc", [])],
                    "msg": describe(e),
                    "type": "value_error",
                    "step": e["step"],
                    "field": e["field"],
                }
                for e in exc.errors
            ]
        ) from None
    try:
        entry = await asyncio.to_thread(lessons.library.add, lesson, fmt)
    except ValueError as exc:
        raise Conflict(str(exc)) from None
    return entry.summary()


@router.get("/{lesson_id}")
def get_lesson(lesson_id: str, lessons: LessonsDep) -> dict:
    """The lesson with each step's formula as MathML ("formula_mathml"), its panels and its function curves."""
    entry = _entry(lessons, lesson_id)
    return rendered(entry.lesson, entry.origin)


@router.get("/{lesson_id}/export.{fmt}")
def export_lesson(lesson_id: str, fmt: Literal["json", "toml"], lessons: LessonsDep) -> Response:
    """The lesson as a file in the same format an import takes (POST it back to /api/lessons)."""
    entry = _entry(lessons, lesson_id)
    return Response(
        dump(entry.lesson, fmt),
        media_type=f"{MEDIA[fmt]}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{lesson_id}.{fmt}"'},
    )


@router.delete("/{lesson_id}", status_code=204)
def delete_lesson(lesson_id: str, lessons: LessonsDep) -> Response:
    """Remove an imported lesson (its file); 409 for a built-in lesson."""
    entry = _entry(lessons, lesson_id)
    if entry.origin == "builtin":
        raise Conflict(f"lesson {lesson_id!r} is built in")
    lessons.library.remove(lesson_id)
    return Response(status_code=204)


@router.post("/{lesson_id}/sessions", status_code=201)
def start_session(lesson_id: str, lessons: LessonsDep) -> dict:
    """Begin giving the lesson: a session whose steps' runs are made when a step is opened (presenter only)."""
    return lessons.start(lesson_id).to_dict()


@router.get("/{lesson_id}/sessions")
def list_sessions(lesson_id: str, lessons: LessonsDep) -> list[dict]:
    """The lesson's sessions on this server, oldest first: a page opened without ?session= joins the newest."""
    _entry(lessons, lesson_id)
    return [s.to_dict() for s in lessons.sessions.of(lesson_id)]


@router.get("/sessions/{session_id}")
def get_session(session_id: str, lessons: LessonsDep) -> dict:
    """The session: its current step and the runs (run or group id) of each step prepared so far."""
    return _session(lessons, session_id).to_dict()


@router.post("/sessions/{session_id}/steps/{step}/open")
async def open_step(session_id: str, step: int, lessons: LessonsDep) -> dict:
    """Show step `step` (1-based): its runs created if needed and training, every other step's runs paused,
    the next step's runs created paused. Answers with the session."""
    session = _session(lessons, session_id)
    await session.open(step)
    return session.to_dict()


@router.get("/sessions/{session_id}/steps/{step}/preactivations")
async def get_preactivations(session_id: str, step: int, lessons: LessonsDep) -> dict:
    """A function step's measured z_k: {"run", "step", "edges", "layers": [{"layer", "counts", "below", "above",
    "mean_deriv"}]}, from a copy of the run's current weights on a batch of its data. 404 until the run exists."""
    from app.lessons.probe import preactivations

    session = _session(lessons, session_id)
    view = session.step(step).view
    if not isinstance(view, FunctionView) or view.measure is None:
        raise NotFound(f"step {step} measures no z_k")
    source = session.source_of(step)
    run = lessons.runner.manager.runs.get(source.runs[0]) if source else None
    if run is None or run.lockstep is None:
        raise NotFound(f"step {step}'s run is not prepared yet: the presenter opens the step first")
    async with session.probe_lock:  # a room of followers asking at once: one computation per run step
        cached = session.probes.get(step)
        if cached is not None and cached["run"] == run.id and cached["step"] == run.step:
            return cached
        at_step = run.step
        member = run.lockstep.members[0]
        if member.trainer is None:  # between a reset's old trainer and its new one
            raise NotFound(f"step {step}'s run is starting over: ask again")
        result = await asyncio.to_thread(
            preactivations, member.trainer.model, member.config, view.measure.layers, view.z_range
        )
        session.probes[step] = {"run": run.id, "step": at_step, **result}
        return session.probes[step]


@pages.get("/lessons/{lesson_id}", response_class=HTMLResponse)
def get_lesson_page(request: Request, lesson_id: str, lessons: LessonsDep) -> HTMLResponse:
    """A lesson, one step at a time (?step=N, ?session=S: the presenter's runs)."""
    entry = _entry(lessons, lesson_id)
    return _page(
        request, "lesson.html", "lesson", lesson_id=lesson_id, lesson=rendered(entry.lesson, entry.origin)
    )


@router.get("/sessions/{session_id}/handout.html", response_class=HTMLResponse)
async def get_handout(
    request: Request,
    session_id: str,
    lessons: LessonsDep,
    lang: Annotated[Literal["en", "ko"], Query(description="The handout's language.")] = "en",
) -> HTMLResponse:
    """The lesson as one offline HTML file: each step's text and formula, and the recorded charts of its runs."""
    from app.lessons.handout import render_handout

    session = _session(lessons, session_id)
    cache = getattr(request.app.state, "sweep_cache", None)  # the sweeps the lesson page computed
    sweeps = dict(cache.results) if cache is not None else None
    html = await asyncio.to_thread(render_handout, session, lessons.recordings.store, lang, sweeps)
    name = f"gradcast-lesson-{session.lesson.id}-{lang}.html"
    return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{name}"'})
