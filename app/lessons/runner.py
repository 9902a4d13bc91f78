"""What a lesson does to runs: create a preset's runs paused, replay recorded runs, pause and resume them.

The one place a lesson reaches the run manager: a replay (app/live/replay.py) is controlled like any run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from app.live.errors import NotFound
from app.live.manager import RunManager
from app.live.state import ACTIVE, Action, Status
from app.ml.points import recorded_points
from app.ml.presets import PRESETS
from app.store.service import RecordingService


@dataclass
class Source:
    """The runs one view streams: a run (/ws/runs/{id}) or a group (/ws/groups/{id}); `replay` feeds them."""

    kind: Literal["run", "group"]
    id: str
    runs: list[str]
    replay: str | None = None  # the run or group a replay feeds (a record view); None for a preset's runs
    records: list[str] = field(default_factory=list)  # the recorded runs replayed (what a handout draws)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "runs": self.runs,
            "replay": self.replay,
            "records": self.records,
        }


class Runner:
    """Creates and drives the runs of lesson steps through the manager and the recordings service."""

    def __init__(self, manager: RunManager, recordings: RecordingService) -> None:
        self.manager = manager
        self.recordings = recordings

    def alive(self, source: Source) -> bool:
        """Every run of the source still exists (none was deleted by the presenter meanwhile)."""
        return all(r in self.manager.runs for r in source.runs)

    async def preset(self, name: str, steps_per_second: float) -> Source:
        """The preset's runs, created paused (status "created": built, not training)."""
        preset = PRESETS[name]
        group, runs = await self.manager.create(
            [(r.label, r.config) for r in preset.runs],
            steps_per_second=steps_per_second,
            paused=True,
            preset=name,
            grouped=preset.kind == "comparison",
        )
        ids = [r.id for r in runs]
        return Source("group", group.id, ids) if group else Source("run", ids[0], ids)

    async def replay(self, records: list[str], steps_per_second: float) -> Source:
        """Recorded runs replayed (runs of kind "replay", a group for 2-4), created paused until their step is
        shown; controlled like any run (app/live/replay.py)."""
        from app.store.schema import StoreError
        from app.store.tape import RecordTape

        store = self.recordings.store
        if store is None:
            raise NotFound(f"recorded runs are unavailable: {self.recordings.error}")

        def load() -> list[tuple[dict, RecordTape]]:
            runs = [store.get(rid) for rid in records]
            missing = [rid for rid, run in zip(records, runs, strict=True) if run is None]
            if missing:
                raise NotFound(f"no recorded run {', '.join(map(repr, missing))}")
            return [
                (run, RecordTape(store, run["id"], run["layer_names"])) for run in runs if run is not None
            ]

        try:
            loaded = await asyncio.to_thread(load)
        except StoreError as exc:
            raise NotFound(f"recorded runs are unavailable: {exc}") from exc
        group, runs, _ = self.manager.create_replay(
            loaded, steps_per_second=steps_per_second, grouped=len(records) > 1, paused=True
        )
        for run, (recorded, _tape) in zip(runs, loaded, strict=True):
            run.points = recorded_points(recorded)
        ids = [r.id for r in runs]
        if group is not None:
            return Source("group", group.id, ids, group.id, list(records))
        return Source("run", ids[0], ids, ids[0], list(records))

    def _lockstep(self, source: Source):
        if source.kind == "group":
            return self.manager.get_group(source.id).lockstep
        return self.manager.get_run(source.id).lockstep

    def _statuses(self, source: Source) -> set[Status]:
        return {self.manager.runs[r].status for r in source.runs if r in self.manager.runs}

    async def pause(self, source: Source) -> None:
        """Pause the source's runs if they are training (a finished run stays as it is)."""
        if Status.RUNNING in self._statuses(source):
            await self.manager.act(self._lockstep(source), Action.PAUSE)

    async def resume(self, source: Source) -> None:
        """Start or resume the source's runs. Runs that have ended (finished, diverged, failed or stopped: a step
        shown again long after, a comparison whose sigmoid run diverged) start over, so the step is live again."""
        statuses = self._statuses(source)
        if not statuses:
            return
        lockstep = self._lockstep(source)
        if (
            statuses - ACTIVE
        ):  # one run ended: the whole lockstep starts over (a comparison stays side by side)
            await self.manager.act(lockstep, Action.RESET)
        if lockstep.mode in (Status.CREATED, Status.PAUSED):
            await self.manager.act(lockstep, Action.RESUME)
