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


def start(
    manager, store: RunStore, rid: str, run: dict, steps_per_second: float
) -> tuple[object, asyncio.Task]:
    """Create the live run now (on the loop) and a task that feeds it; returns (live run, task)."""
    live = manager.create_external(
        f"{run['name']} (replay)", run["layer_names"], _config(run["config"]), record=False
    )
    live.preset = run.get("preset")
    if run.get("hist_edges"):
        live.hist_edges = run["hist_edges"]
    task = asyncio.get_running_loop().create_task(feed(manager, store, rid, run, live.id, steps_per_second))
    return live, task


async def feed(manager, store: RunStore, rid: str, run: dict, live_id: str, steps_per_second: float) -> None:
    """Ingest the recorded steps at steps_per_second (0: as fast as possible), then end with the recorded status.
    Stops quietly when the live run is deleted or ended meanwhile."""
    loop = asyncio.get_running_loop()
    history = store.history(rid, run["layer_names"])
    t0, sent = loop.time(), 0
    try:
        while batch := await asyncio.to_thread(_take, history, READ_CHUNK):
            i = 0
            while i < len(batch):
                if steps_per_second > 0:
                    due = int((loop.time() - t0) * steps_per_second) + 1 - sent  # steps whose time has come
                    if due <= 0:
                        await asyncio.sleep(TICK)
                        continue
                    n = min(due, len(batch) - i)
                else:
                    n = min(FAST_CHUNK, len(batch) - i)
                manager.ingest(live_id, batch[i : i + n])
                i += n
                sent += n
                await asyncio.sleep(0 if steps_per_second <= 0 else TICK)
        status = ENDINGS.get(run["status"], Status.STOPPED)
        manager.finish_external(live_id, status, run.get("reason"))
    except LiveError:
        return  # the replay was deleted or stopped: nothing more to send
