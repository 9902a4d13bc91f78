"""Replay: a recorded run becomes a live (external) run in the run manager, fed its step records at a pace.

Viewers get exactly what a live run sends (snapshot, frames with "between", status) on /ws/runs/{id}.
Runs on the event loop: SQLite reads go to a thread, the manager is called on the loop.
"""

import asyncio
from collections.abc import Iterator

from app.live.errors import LiveError
from app.live.state import Status
from app.ml.records import StepRecord
from app.store.runstore import RunStore

READ_CHUNK = 1000  # step records read from SQLite at a time
FAST_CHUNK = 200  # records per ingest at steps_per_second=0 (as fast as possible), then the loop breathes
TICK = 1 / 60  # s between ingests at a set pace: smooth at 60 Hz, frames are still capped at display_fps
ENDINGS = {s.value: s for s in (Status.FINISHED, Status.STOPPED, Status.DIVERGED, Status.FAILED)}


def _take(it: Iterator[StepRecord], n: int) -> list[StepRecord]:
    out = []
    for rec in it:
        out.append(rec)
        if len(out) >= n:
            break
    return out


def _config(data: dict):
    """The recorded config as a RunConfig when it still validates (the run dict shows it), else None."""
    from app.ml.config import RunConfig

    try:
        return RunConfig.model_validate(data)
    except ValueError:
        return None


class _Paced:
    """What a single and a comparison replay share: a pace and a pause the presenter changes, and their JSON."""

    steps_per_second: float
    paused: bool
    sent: int  # steps handed to each live run so far
    _anchor: tuple[float, int]  # (loop time, sent) the pace counts from

    def _feeds(self) -> dict:
        """The first keys of to_dict: what is replayed into what."""
        raise NotImplementedError

    def _announce(self, status: Status) -> None:
        """Tell viewers the replay is now paused or running."""
        raise NotImplementedError

    def _owed(self, now: float) -> int:
        """Steps whose time has come at the set pace since it was last set (at 0, as fast as possible: FAST_CHUNK)."""
        if self.steps_per_second <= 0:
            return FAST_CHUNK
        t0, sent0 = self._anchor
        return int((now - t0) * self.steps_per_second) + 1 - (self.sent - sent0)

    def to_dict(self) -> dict:
        """_feeds() then "steps_per_second", "paused", "sent"."""
        return {
            **self._feeds(),
            "steps_per_second": self.steps_per_second,
            "paused": self.paused,
            "sent": self.sent,
        }

    def control(self, steps_per_second: float | None = None, paused: bool | None = None) -> None:
        """Change speed and/or pause; viewers see "paused"/"running" as for a live run."""
        self._anchor = (asyncio.get_running_loop().time(), self.sent)
        if steps_per_second is not None:
            self.steps_per_second = steps_per_second
        if paused is not None and paused != self.paused:
            self.paused = paused
            self._announce(Status.PAUSED if paused else Status.RUNNING)


class Replay(_Paced):
    """One recorded run being re-played into live run `live.id`; speed and pause can change while it plays."""

    def __init__(self, manager, store: RunStore, rid: str, run: dict, steps_per_second: float) -> None:
        self.manager, self.store, self.rid, self.run = manager, store, rid, run
        self.steps_per_second = steps_per_second
        self.paused = False
        self.sent = 0  # step records handed to the live run so far
        self.live = manager.create_external(
            f"{run['name']} (replay)", run["layer_names"], _config(run["config"]), record=False
        )
        self.live.preset = run.get("preset")
        if run.get("hist_edges"):
            self.live.hist_edges = run["hist_edges"]
        self._anchor = (asyncio.get_running_loop().time(), 0)  # (loop time, sent) the pace counts from
        self.task = asyncio.get_running_loop().create_task(self._feed())

    def _feeds(self) -> dict:
        """{"run": the live run, "record": id}."""
        return {"run": self.live.to_dict(), "record": self.rid}

    def _announce(self, status: Status) -> None:
        self.manager.finish_external(self.live.id, status, None)  # announces the status to viewers

    async def _feed(self) -> None:
        """Ingest the recorded steps at the pace (0: as fast as possible), then end with the recorded status.
        Stops quietly when the live run is deleted meanwhile."""
        loop = asyncio.get_running_loop()
        history = self.store.history(self.rid, self.run["layer_names"])
        try:
            while batch := await asyncio.to_thread(_take, history, READ_CHUNK):
                i = 0
                while i < len(batch):
                    sps = self.steps_per_second
                    if self.paused:
                        await asyncio.sleep(TICK)
                        continue
                    due = self._owed(loop.time())
                    if due <= 0:
                        await asyncio.sleep(TICK)
                        continue
                    n = min(due, len(batch) - i)
                    self.manager.ingest(self.live.id, batch[i : i + n])
                    i += n
                    self.sent += n
                    await asyncio.sleep(0 if sps <= 0 else TICK)
            status = ENDINGS.get(self.run["status"], Status.STOPPED)
            self.manager.finish_external(self.live.id, status, self.run.get("reason"))
        except LiveError:
            return  # the live run was deleted: nothing more to send


class GroupReplay(_Paced):
    """Recorded runs re-played together as live comparison group `group.id`: every tick hands each run the same
    steps (ingest_lockstep), so they advance in lockstep; each ends with its recorded status when its steps run out.
    """

    def __init__(self, manager, store: RunStore, rids: list[str], runs: list[dict], steps_per_second: float):
        from app.live.group import Relayed

        self.manager, self.store, self.rids, self.runs = manager, store, rids, runs
        self.clock = Relayed(steps_per_second)  # the group's status and pace; PATCH /api/groups/{id} sets it
        presets = {r.get("preset") for r in runs}
        self.group, self.live = manager.create_external_group(
            [(f"{r['name']} (replay)", r["layer_names"], _config(r["config"])) for r in runs],
            presets.pop() if len(presets) == 1 else None,
            self.clock,
        )
        for live, run in zip(self.live, runs, strict=True):
            if run.get("hist_edges"):
                live.hist_edges = run["hist_edges"]
        self.paused = False
        self.sent = 0  # steps handed to each run so far (the same for all still going)
        self.ended: set[str] = set()  # live run ids that got their recorded status
        self.frame_period = 1 / manager.settings.display_fps  # s between ticks at a set pace: a frame each
        self._anchor = (asyncio.get_running_loop().time(), 0)
        self.task = asyncio.get_running_loop().create_task(self._feed())

    @property
    def steps_per_second(self) -> float:  # the clock's: the group's pace
        return self.clock.steps_per_second

    @steps_per_second.setter
    def steps_per_second(self, value: float) -> None:
        self.clock.steps_per_second = value

    def _feeds(self) -> dict:
        """{"group": the live group, "records": ids}."""
        return {"group": self.manager.group_dict(self.group), "records": self.rids}

    def _announce(self, status: Status) -> None:
        """The group's status, then each run's still going (ended runs keep their recorded status)."""
        self.clock.mode = status
        for live in self.live:
            if live.id not in self.ended:
                self.manager.finish_external(live.id, status, None)  # announces the status to viewers

    async def _feed(self) -> None:
        """Tick: the same number of steps to every run still going, one frame each; end each with its status.
        Stops quietly when the group is deleted meanwhile."""
        loop = asyncio.get_running_loop()
        histories = [
            self.store.history(rid, r["layer_names"]) for rid, r in zip(self.rids, self.runs, strict=True)
        ]
        buffers: list[list[StepRecord]] = [[] for _ in self.runs]
        drained = [False] * len(self.runs)  # its recorded steps are all read
        going = list(range(len(self.runs)))
        try:
            while going:
                if self.paused:
                    await asyncio.sleep(TICK)
                    continue
                n = min(FAST_CHUNK, self._owed(loop.time()))
                if n <= 0:
                    await asyncio.sleep(TICK)
                    continue
                for i in going:
                    if len(buffers[i]) < n and not drained[i]:
                        got = await asyncio.to_thread(_take, histories[i], READ_CHUNK)
                        drained[i] = len(got) < READ_CHUNK
                        buffers[i] += got
                if self.paused:  # paused while reading
                    continue
                batches = [(self.live[i].id, buffers[i][:n]) for i in going if buffers[i]]
                for i in going:
                    del buffers[i][:n]
                if batches:
                    self.manager.ingest_lockstep(batches)
                self.sent += n
                for i in [i for i in going if drained[i] and not buffers[i]]:
                    going.remove(i)
                    status = ENDINGS.get(self.runs[i]["status"], Status.STOPPED)
                    self.manager.finish_external(self.live[i].id, status, self.runs[i].get("reason"))
                    self.ended.add(self.live[i].id)
                if not going:  # as a live group: stopped when any run was stopped, else finished
                    stopped = any(r["status"] == Status.STOPPED.value for r in self.runs)
                    self.clock.mode = Status.STOPPED if stopped else Status.FINISHED
                    break
                await asyncio.sleep(0 if self.steps_per_second <= 0 else max(TICK, self.frame_period))
        except LiveError:
            return  # the group was deleted: nothing more to send
