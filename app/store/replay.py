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


class Replay:
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

    def to_dict(self) -> dict:
        """{"run": the live run, "record": id, "steps_per_second", "paused", "sent"}."""
        return {
            "run": self.live.to_dict(),
            "record": self.rid,
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
            status = Status.PAUSED if paused else Status.RUNNING
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
                    if sps > 0:
                        t0, sent0 = self._anchor
                        due = (
                            int((loop.time() - t0) * sps) + 1 - (self.sent - sent0)
                        )  # steps whose time has come
                        if due <= 0:
                            await asyncio.sleep(TICK)
                            continue
                        n = min(due, len(batch) - i)
                    else:
                        n = min(FAST_CHUNK, len(batch) - i)
                    self.manager.ingest(self.live.id, batch[i : i + n])
                    i += n
                    self.sent += n
                    await asyncio.sleep(0 if sps <= 0 else TICK)
            status = ENDINGS.get(self.run["status"], Status.STOPPED)
            self.manager.finish_external(self.live.id, status, self.run.get("reason"))
        except LiveError:
            return  # the live run was deleted: nothing more to send
