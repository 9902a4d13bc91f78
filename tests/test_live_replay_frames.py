"""A replay on the event loop, fed from an in-memory tape: lockstep frames, the presenter's controls, seeking."""

import asyncio
import json

import pytest

from app.live.errors import Conflict, Invalid
from app.live.manager import RunManager
from app.live.state import Action, Status
from app.ml.config import RunConfig
from app.ml.trainer import Trainer
from app.settings import Settings

STEPS = 300


class ListTape:
    """The Tape of a list of step records (what app/store/tape.py reads from the database)."""

    def __init__(self, records):
        self.records = records
        self.first, self.last = records[0].step, records[-1].step

    def read(self, after, limit):
        return [r for r in self.records if r.step > after][:limit]

    def view(self, step, points):
        return [r for r in self.records if r.step <= step][-points:]


@pytest.fixture(scope="module")
def records():
    cfg = RunConfig(depth=3, width=8, max_steps=STEPS)
    return list(Trainer(cfg, display_every=3))  # every third step is display-rate


def recorded(rid, records, status="finished"):
    names = [x.name for x in records[0].layers]
    return {"id": rid, "name": rid, "config": {}, "layer_names": names, "status": status}, ListTape(records)


def stream(manager, key):
    return [json.loads(text) for _, text in manager.hub.get(key).ring]


async def until(predicate, timeout=10.0):
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def holds(predicate, seconds):
    """predicate() stays true for `seconds` of the loop's time (a pause must hold)."""
    for _ in range(int(seconds / 0.01)):
        assert predicate(), "condition stopped holding"
        await asyncio.sleep(0.01)
    assert predicate(), "condition stopped holding"


def test_a_replayed_group_frames_every_run_at_one_step_and_ends_as_recorded(records):
    async def main():
        manager = RunManager(Settings(display_fps=30, replay_messages=100_000))
        short = records[:200]
        group, runs, replay = manager.create_replay(
            [recorded("a", records), recorded("b", short, "stopped")], steps_per_second=900, grouped=True
        )
        await until(lambda: replay.mode is Status.STOPPED)  # as the recorded group: one run was stopped
        msgs = stream(manager, f"group:{group.id}")
        frames = [m for m in msgs if m["type"] == "frame"]
        ticks: list[list[dict]] = []  # one frame per run still going; a run seen again starts the next tick
        for m in frames:
            if ticks and all(f["run"] != m["run"] for f in ticks[-1]):
                ticks[-1].append(m)
            else:
                ticks.append([m])
        final = {runs[0].id: STEPS, runs[1].id: 200}
        assert len(ticks) >= 5  # paced: many ticks, not one burst
        for tick in ticks:
            step = max(f["step"] for f in tick)
            going = {r.id for r in runs if final[r.id] >= step or any(f["run"] == r.id for f in tick)}
            assert {f["run"] for f in tick} == going, tick
            # All at one step (a run whose record ran out within the tick shows its last), a display-rate one.
            assert all(f["step"] in (step, final[f["run"]]) for f in tick)
            assert step % 3 == 0 or step == 1 or step in final.values(), step
        for run, recs in ((runs[0], records), (runs[1], short)):
            covered = []
            for m in frames:
                if m["run"] == run.id:
                    covered += m.get("between", {}).get("step", []) + [m["step"]]
            assert covered == [r.step for r in recs]  # every recorded step, once, in order
        ends = {m["run"]: (m["status"], m["step"]) for m in msgs if m["type"] == "status"}
        assert ends == {runs[0].id: ("finished", STEPS), runs[1].id: ("stopped", 200)}
        assert manager.group_dict(group)["status"] == "stopped"

    asyncio.run(main())


def test_a_replay_pauses_steps_seeks_and_resets_like_a_run(records):
    async def main():
        manager = RunManager(Settings(display_fps=30))
        manager._loop = asyncio.get_running_loop()  # what start() sets; the rest of start() is for trainers
        _, (run,), replay = manager.create_replay(
            [recorded("a", records)], steps_per_second=50, grouped=False
        )
        key = f"run:{run.id}"
        assert run.lockstep is replay and manager.lockstep_of(run) is replay
        await until(lambda: run.step >= 5)
        await manager.act(replay, Action.PAUSE)
        held = run.step
        assert run.status is Status.PAUSED and run.to_dict()["steps_per_second"] == 50
        await holds(lambda: run.step == held, 0.2)  # really paused
        await manager.act(replay, Action.STEP)
        assert run.step == held + 1 and stream(manager, key)[-1]["step"] == held + 1  # framed at once
        with pytest.raises(Conflict):
            await manager.act(replay, Action.PAUSE)  # already paused, as for a trained run

        await replay.seek(250)  # forward, then back: the history is as it was at that step
        snap = stream(manager, key)[-1]
        assert snap["type"] == "snapshot" and snap["runs"][0]["run"]["status"] == "paused"
        assert [r["step"] for r in snap["runs"][0]["history"]] == list(range(1, 251))
        await manager.act(replay, Action.STEP)
        assert run.step == 251
        await replay.seek(40)
        assert run.step == 40 and run.history.records[-1]["step"] == 40 and run.status is Status.PAUSED
        with pytest.raises(Invalid):
            await replay.seek(STEPS + 1)

        await replay.seek(STEPS)  # the end: the run shows its recorded ending
        assert run.status is Status.FINISHED and replay.mode is Status.FINISHED
        await replay.seek(10)  # and back: paused there, resumable
        await manager.act(replay, Action.RESUME)
        await until(lambda: run.step >= 20)
        await manager.act(replay, Action.RESET)
        assert stream(manager, key)[-1]["type"] == "snapshot" and run.status is Status.RUNNING
        await until(lambda: run.step >= 3)  # plays on from the start
        replay.set_speed(0)
        await until(lambda: run.status is Status.FINISHED)
        assert run.step == STEPS
        manager.delete_run(run.id)
        await until(
            lambda: replay.task is not None and replay.task.done()
        )  # deleting the run ends its replay

    asyncio.run(main())
