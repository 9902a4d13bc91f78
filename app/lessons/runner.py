"""What a lesson does to runs: create a preset's runs paused, replay recorded runs, pause and resume them.

The one place a lesson reaches the run manager and the replay machinery: when replays move into the live layer,
only `replay` below changes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from app.live.errors import NotFound
from app.live.manager import RunManager
from app.live.state import Action, Status
from app.ml.presets import PRESETS
from app.store.service import RecordService


@dataclass
class Source:
    """The runs one view streams: a run (/ws/runs/{id}) or a group (/ws/groups/{id}); `replay` feeds them."""

    kind: Literal["run", "group"]
    id: str
    runs: list[str]
    replay: str | None = None  # the key of RecordService.replays feeding these runs (a record view)
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
    """Creates and drives the runs of lesson steps through the manager and the record service."""

    def __init__(self, manager: RunManager, records: RecordService) -> None:
        self.manager = manager
        self.records = records

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
        """Recorded runs replayed as live runs (a group for 2-4), paused at once until their step is shown."""
        from app.store import replay
        from app.store.schema import StoreError

        store = self.records.store
        if store is None:
            raise NotFound(f"recorded runs are unavailable: {self.records.error}")
        try:
            runs = [await asyncio.to_thread(store.get, rid) for rid in records]
        except StoreError as exc:
            raise NotFound(f"recorded runs are unavailable: {exc}") from exc
        missing = [rid for rid, run in zip(records, runs, strict=True) if run is None]
        if missing:
            raise NotFound(f"no recorded run {', '.join(map(repr, missing))}")
        if len(records) == 1:
            play = replay.Replay(self.manager, store, records[0], runs[0], steps_per_second)
            key, source = (
                play.live.id,
                Source("run", play.live.id, [play.live.id], play.live.id, list(records)),
            )
        else:
            play = replay.GroupReplay(self.manager, store, records, runs, steps_per_second)
            ids = [r.id for r in play.live]
            key, source = play.group.id, Source("group", play.group.id, ids, play.group.id, list(records))
        self.records.replays[key] = play
        play.task.add_done_callback(lambda _: self.records.replays.pop(key, None))
        play.control(paused=True)
        return source

    def _lockstep(self, source: Source):
        if source.kind == "group":
            return self.manager.get_group(source.id).lockstep
        return self.manager.get_run(source.id).lockstep

    def _statuses(self, source: Source) -> set[Status]:
        return {self.manager.runs[r].status for r in source.runs if r in self.manager.runs}

    async def pause(self, source: Source) -> None:
        """Pause the source's runs if they are training (a finished run stays as it is)."""
        if source.replay is not None:
            play = self.records.replays.get(source.replay)
            if play is not None and not play.paused:
                play.control(paused=True)
            return
        if Status.RUNNING in self._statuses(source):
            await self.manager.act(self._lockstep(source), Action.PAUSE)

    async def resume(self, source: Source) -> None:
        """Start or resume the source's runs (created or paused; a finished run stays as it is)."""
        if source.replay is not None:
            play = self.records.replays.get(source.replay)
            if play is not None and play.paused:
                play.control(paused=False)
            return
        statuses = self._statuses(source)
        if statuses and statuses <= {Status.CREATED, Status.PAUSED}:
            await self.manager.act(self._lockstep(source), Action.RESUME)
