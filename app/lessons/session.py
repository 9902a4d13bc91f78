"""A lesson being given: which runs each step shows, prepared ahead, only the open step's runs training.

A session is created by the presenter (POST) and read by everyone (GET): a follower opening the presenter's
URL (/lessons/{id}?session=S&step=N) finds the very runs the presenter sees. Steps whose views name the same
preset (or the same recordings) share one set of runs, so the room watches one network across those steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict

from app.lessons.model import FunctionView, Lesson, PresetView, RecordView, Step
from app.lessons.runner import Runner, Source
from app.live.errors import NotFound, found
from app.live.ids import new_id

log = logging.getLogger("gradcast.lessons")

MAX_SESSIONS = 32  # kept per server (the newest); an evicted session's runs stay, as any run does

Key = tuple  # ("preset", name, steps_per_second) | ("record", (ids..), steps_per_second)


def source_key(step: Step) -> Key | None:
    """What runs a step needs, as a key shared by steps needing the same ones; None: no runs (sweep, plot)."""
    view = step.view
    if isinstance(view, PresetView):
        return ("preset", view.preset, view.steps_per_second)
    if isinstance(view, RecordView):
        return ("record", tuple(view.records), view.steps_per_second)
    if isinstance(view, FunctionView) and view.measure is not None:
        return ("preset", view.measure.preset, view.measure.steps_per_second)
    return None


class LessonSession:
    """One lesson being given: its current step and the runs (sources) its steps use."""

    def __init__(self, lesson: Lesson, runner: Runner) -> None:
        self.id = new_id()
        self.lesson = lesson
        self.runner = runner
        self.created = time.time()
        self.current = 1  # 1-based, as in the URL
        self.sources: dict[Key, Source] = {}
        self._pending: dict[Key, asyncio.Task] = {}
        self._lock = asyncio.Lock()  # one open() at a time: the presenter's clicks arrive in order
        self._ahead: asyncio.Task | None = None
        self.probes: dict[
            int, dict
        ] = {}  # step -> its newest measured z_k (GET .../preactivations), by run step
        self.probe_lock = asyncio.Lock()

    def step(self, n: int) -> Step:
        if not 1 <= n <= len(self.lesson.steps):
            raise NotFound(f"lesson {self.lesson.id!r} has steps 1..{len(self.lesson.steps)}, not {n}")
        return self.lesson.steps[n - 1]

    def source_of(self, n: int) -> Source | None:
        """The runs step n shows, if they exist yet."""
        key = source_key(self.step(n))
        return self.sources.get(key) if key else None

    async def prepare(self, n: int) -> Source | None:
        """Create step n's runs paused unless they exist (each set once, however many steps ask at once)."""
        key = source_key(self.step(n))
        if key is None:
            return None
        source = self.sources.get(key)
        if source is not None and self.runner.alive(source):
            return source
        task = self._pending.get(key)
        if task is None:
            task = asyncio.create_task(self._create(key))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        created = await asyncio.shield(task)
        self.sources[key] = created
        return created

    async def _create(self, key: Key) -> Source:
        if key[0] == "preset":
            return await self.runner.preset(key[1], key[2])
        return await self.runner.replay(list(key[1]), key[2])

    async def open(self, n: int) -> Source | None:
        """Show step n: its runs prepared and training, every other step's paused; then step n+1 prepared."""
        self.step(n)
        async with self._lock:
            source = await self.prepare(n)
            for other in list(self.sources.values()):
                if other is not source:
                    await self.runner.pause(other)
            if source is not None:
                await self.runner.resume(source)
            self.current = n
        if n < len(self.lesson.steps):
            self._ahead = asyncio.create_task(self._prepare_quietly(n + 1))
        return source

    async def _prepare_quietly(self, n: int) -> None:
        """Prepare ahead; a failure (limits reached, a recording gone) surfaces when that step is opened."""
        try:
            await self.prepare(n)
        except Exception as exc:  # noqa: BLE001 - reported again, to the presenter, by open()
            log.info("lesson %s: step %d not prepared ahead: %s", self.lesson.id, n, exc)

    def to_dict(self) -> dict:
        """GET /api/lessons/sessions/{id}: the current step and each step's runs (null: not prepared yet)."""
        steps = []
        for i, step in enumerate(self.lesson.steps, start=1):
            key = source_key(step)
            source = self.sources.get(key) if key else None
            steps.append(
                {"step": i, "needs_runs": key is not None, "source": source.to_dict() if source else None}
            )
        return {
            "id": self.id,
            "lesson": self.lesson.id,
            "created": self.created,
            "current": self.current,
            "steps": steps,
        }

    def cancel(self) -> None:
        if self._ahead is not None:
            self._ahead.cancel()


class Sessions:
    """The sessions of this server, newest last (bounded)."""

    def __init__(self) -> None:
        self.by_id: OrderedDict[str, LessonSession] = OrderedDict()

    def add(self, session: LessonSession) -> LessonSession:
        self.by_id[session.id] = session
        while len(self.by_id) > MAX_SESSIONS:
            _, old = self.by_id.popitem(last=False)
            old.cancel()
        return session

    def get(self, session_id: str) -> LessonSession:
        missing = f"no lesson session {session_id!r} (the server may have restarted)"
        return found(self.by_id.get(session_id), missing)

    def of(self, lesson_id: str) -> list[LessonSession]:
        """The lesson's sessions, oldest first."""
        return [s for s in self.by_id.values() if s.lesson.id == lesson_id]

    def close(self) -> None:
        for session in self.by_id.values():
            session.cancel()
        with contextlib.suppress(Exception):
            self.by_id.clear()
