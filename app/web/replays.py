"""Routes: replays of recorded runs - start one (a run) or a comparison (a group), seek, list, pace and pause.

A replay is controlled like a run trained here: /api/runs/{id}/pause|resume|step|stop|reset and PATCH (speed)
work on it, and /api/groups/{id}/... on a replayed comparison. What only a replay does: seek.
"""

import asyncio
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.bounds import Count, ReplaySpeed
from app.live.manager import RunManager
from app.live.replay import Replay
from app.live.state import ACTIVE, Action, Status
from app.ml.points import recorded_points
from app.store.tape import RecordTape
from app.web.deps import ManagerDep
from app.web.storedeps import StoreRoute, recorded_run, run_ids, store_of

router = APIRouter(tags=["replays"], route_class=StoreRoute)

MAX_REPLAYED = 4  # runs replayed as one live comparison: as many as the comparison view lays out side by side
PACE = Query(description="Steps per second; 0: as fast as possible")
PAUSED = Query(description="Create it waiting at step 0 (status 'created'): resume or step later")


class Seek(BaseModel):
    """POST body of a seek."""

    model_config = ConfigDict(extra="forbid")
    step: Count = Field(description="A recorded step (0: the start, before the first step).")


class ReplayControl(BaseModel):
    """PATCH body of /api/records/replays/{id} (the older way to pace and pause a replay)."""

    model_config = ConfigDict(extra="forbid")
    steps_per_second: ReplaySpeed | None = Field(None, description="0: as fast as possible")
    paused: bool | None = None


async def _start(
    request: Request, manager: RunManager, rids: list[str], pace: float, grouped: bool, paused: bool
):
    """Read the recordings (404 for an unknown id), then start one replay feeding a run per recording."""
    store = store_of(request)

    def load() -> list[tuple[dict, RecordTape, dict | None]]:
        runs = [recorded_run(store, rid) for rid in rids]
        return [(run, RecordTape(store, run["id"], run["layer_names"]), recorded_points(run)) for run in runs]

    loaded = await asyncio.to_thread(load)
    group, runs, replay = manager.create_replay(
        [(run, tape) for run, tape, _ in loaded], steps_per_second=pace, grouped=grouped, paused=paused
    )
    for run, (_, _, points) in zip(runs, loaded, strict=True):
        run.points = points  # a replay's points come from its recording (drawn again from its config)
    return group, runs, replay


@router.post("/api/records/{rid}/replay", status_code=201)
async def replay_record(
    request: Request,
    rid: str,
    manager: ManagerDep,
    steps_per_second: Annotated[ReplaySpeed, PACE] = 20.0,
    paused: Annotated[bool, PAUSED] = False,
) -> dict:
    """A live run that replays the recorded steps (kind "replay"): watch it on /runs/{id} and /ws/runs/{id},
    control it as any run, seek with POST /api/runs/{id}/seek. 201 run."""
    _, runs, _ = await _start(request, manager, [rid], steps_per_second, grouped=False, paused=paused)
    return runs[0].to_dict()


@router.post("/api/records/replay", status_code=201)
async def replay_comparison(
    request: Request,
    manager: ManagerDep,
    ids: Annotated[str, Query(min_length=1, description="2 to 4 recorded run ids, comma-separated")],
    steps_per_second: Annotated[ReplaySpeed, PACE] = 20.0,
    paused: Annotated[bool, PAUSED] = False,
) -> dict:
    """The recorded runs ?ids=a,b,c replayed together as a comparison group, in lockstep: watch it on /groups/{id}
    and /ws/groups/{id}, control it as any group. 201 {"group": id, "runs": [run, ..]}."""
    wanted = run_ids(ids, 2, MAX_REPLAYED)
    group, runs, _ = await _start(request, manager, wanted, steps_per_second, grouped=True, paused=paused)
    return {"group": group.id, "runs": [r.to_dict() for r in runs]}


def _replays(manager: RunManager) -> dict[str, tuple[Replay, dict]]:
    """Replays by the id of the run or group they feed -> (replay, its first keys in the listing)."""
    out: dict[str, tuple[Replay, dict]] = {}
    for group in manager.groups.values():
        if isinstance(group.lockstep, Replay):
            recorded = [manager.runs[r].record_id for r in group.run_ids if r in manager.runs]
            out[group.id] = (group.lockstep, {"group": manager.group_dict(group), "records": recorded})
    for run in manager.runs.values():
        if isinstance(run.lockstep, Replay) and run.group is None:
            out[run.id] = (run.lockstep, {"run": run.to_dict(), "record": run.record_id})
    return out


@router.get("/api/records/replays")
async def list_replays(manager: ManagerDep) -> list[dict]:
    """Replays still playing or paused: [{"run", "record", ..}], a comparison as [{"group", "records", ..}], each
    with "steps_per_second", "paused", "step" and "last" (the last recorded step)."""
    return [
        {**head, **replay.to_dict()} for replay, head in _replays(manager).values() if replay.mode in ACTIVE
    ]


@router.patch("/api/records/replays/{run_id}")
async def control_replay(run_id: str, body: ReplayControl, manager: ManagerDep) -> dict:
    """Pace, pause or resume the replay feeding run or group run_id (the run and group routes do the same)."""
    found = _replays(manager).get(run_id)
    if found is None or found[0].mode not in ACTIVE:
        raise HTTPException(404, detail=f"no replay in progress feeds run or group {run_id!r}")
    replay, _ = found
    if body.steps_per_second is not None:
        replay.set_speed(body.steps_per_second)
    if body.paused and replay.mode is Status.RUNNING:
        await manager.act(replay, Action.PAUSE)
    elif body.paused is False and replay.mode in (Status.PAUSED, Status.CREATED):
        await manager.act(replay, Action.RESUME)
    return {**_replays(manager)[run_id][1], **replay.to_dict()}


@router.post("/api/runs/{run_id}/seek")
async def seek_run(run_id: str, body: Seek, manager: ManagerDep) -> dict:
    """A replay to recorded step `step` (0: the start) and back: its history as it was then; every viewer starts
    over from there. Playing, it plays on from there; otherwise it waits there, paused. 409 unless a replay;
    422 past the last recorded step. A replayed comparison's runs all move (lockstep)."""
    run = manager.get_run(run_id)
    await _seek(manager.replay_of(run), body.step)
    return run.to_dict()


@router.post("/api/groups/{group_id}/seek")
async def seek_group(group_id: str, body: Seek, manager: ManagerDep) -> dict:
    """Every run of a replayed comparison to recorded step `step`, together (see POST /api/runs/{id}/seek)."""
    group = manager.get_group(group_id)
    await _seek(manager.replay_of(group), body.step)
    return manager.group_dict(group)


async def _seek(replay: Replay, step: int) -> None:
    if step > replay.last:
        msg = f"the recording ends at step {replay.last}, got {step}"
        raise HTTPException(422, detail=[{"loc": ["body", "step"], "msg": msg, "type": "value_error"}])
    await replay.seek(step)
