"""The run manager: creates, controls and deletes runs and groups; enforces the limits; shuts them down.

Lives on the event loop (created in the app's lifespan). Worker threads reach it only through its Handoff,
whose items `apply_items` (app/live/output.py) turns into history, frames and status messages; runs fed from
outside are app/live/external.py. Both are parts of RunManager, mixed in, sharing its state (declared as
ManagerState in app/live/parts.py). Replays of recorded runs (app/live/replay.py) stand where a Lockstep stands
(both are a Pacer) and feed their runs through the same output.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Unpack

import torch
from pydantic import BaseModel

from app.live.errors import Conflict, Invalid, found
from app.live.external import ExternalRuns
from app.live.group import Group
from app.live.handoff import Handoff
from app.live.history import History
from app.live.hub import Hub
from app.live.ids import new_id
from app.live.items import Ack
from app.live.limits import check_config, check_room
from app.live.lockstep import Lockstep, Member
from app.live.output import WorkerOutput
from app.live.parts import NewRunFields, Pacer, Recorder
from app.live.replay import Feed, Replay, Tape, config_of, recorded_ending
from app.live.run import Run
from app.live.state import ACTIVE, Action, Status
from app.ml.config import RunConfig
from app.ml.points import points_for
from app.ml.records import JsonObject
from app.settings import Settings

if TYPE_CHECKING:  # the trainer's import pulls in the rest of torch: deferred to the first trainer built
    from app.ml.trainer import Trainer

ACK_TIMEOUT = 10.0  # s a control request waits for the workers to act on it (a step of the largest net)
DELETED_KEPT = 10_000  # deleted run ids remembered (~0.5 MB): enough for any session's deletions


_warmed = threading.Lock()  # held for good once this process has warmed up


def _warm_up_process() -> None:
    """Once per process, before the first request: build and step a tiny trainer, then freeze what it loaded.

    The first trainer of a process imports the rest of torch (torch._dynamo), and the first gc.collect() after it
    walks everything that import made while holding the GIL. Paid on a person's first run, both stalled
    the event loop (a handler importing a module that a worker thread is still importing waits for it) and every
    answer with it. Paid here, at startup, nothing is waiting yet."""
    if not _warmed.acquire(blocking=False):
        return
    from app.ml.trainer import warm_up

    warm_up()
    gc.collect()  # once: so no garbage is frozen forever
    gc.freeze()


class RunManager(ExternalRuns, WorkerOutput):
    """Owns every run and group of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hub = Hub(settings.replay_messages)
        self.runs: dict[str, Run] = {}
        self.groups: dict[str, Group] = {}
        # Ids of runs deleted here, newest last (bounded): their senders get 410, not 404, so a script whose run a
        # presenter deleted stops instead of registering it again (404 means "restarted: register again").
        self.deleted: OrderedDict[str, None] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handoff: Handoff | None = None  # worker threads -> loop, made in start()
        self._joins: set[asyncio.Task[bool]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self.closing = False
        # Optional (app/store/recorder.py); called on the loop, in the order the stream shows.
        self.recorder: Recorder | None = None

    async def start(self) -> None:
        """Called once in the lifespan, on the event loop."""
        self._loop = asyncio.get_running_loop()
        self._handoff = Handoff(self._loop, self.apply_items)
        torch.set_num_threads(self.settings.torch_threads)
        # A short GIL switch interval lets the loop run between a training thread's bytecodes (see bench/).
        sys.setswitchinterval(self.settings.switch_interval)
        self._watchdog = asyncio.create_task(self._evict_stalled())
        # What exists now (torch and the app, ~200k objects; ~120k more once the first trainer is built) lives
        # as long as the process: leave it out of every future full GC pass, which otherwise took 0.2-0.5 s here
        # (on a busy 2-core machine) and stalled the loop and every training thread (it holds the GIL).
        gc.freeze()
        await asyncio.to_thread(_warm_up_process)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop it lives on (set by start())."""
        assert self._loop is not None, "RunManager.start() has not run"
        return self._loop

    @property
    def handoff(self) -> Handoff:
        """Worker threads -> loop (made by start())."""
        assert self._handoff is not None, "RunManager.start() has not run"
        return self._handoff

    async def _evict_stalled(self) -> None:
        """Every fraction of send_timeout: evict viewers whose send has been blocked longer than it."""
        timeout = self.settings.send_timeout
        while True:
            await asyncio.sleep(min(1.0, timeout / 4))
            self.hub.evict_stalled(self.loop.time(), timeout)

    # ---- limits ---------------------------------------------------------------------------------------

    def running_count(self) -> int:
        """Runs training now."""
        return sum(ls.running_count() for ls in self._locksteps())

    def _locksteps(self) -> list[Pacer]:
        seen: dict[int, Pacer] = {}
        for run in self.runs.values():
            if run.lockstep is not None:
                seen[id(run.lockstep)] = run.lockstep
        return list(seen.values())

    async def make_room(self, to_train: int) -> list[str]:
        """Pause the oldest training locksteps until `to_train` more runs fit under max_running_runs.

        For the presenter's page (a preset started in front of the room must not dead-end): the paused runs stay
        in the runs list, resumable. Returns their ids, oldest first; [] when there was room already."""
        paused: list[str] = []
        limit = self.settings.max_running_runs
        oldest_first = sorted(
            self._locksteps(),
            key=lambda ls: min(self.runs[m.run_id].created for m in ls.members if m.run_id in self.runs),
        )
        for lockstep in oldest_first:
            if self.running_count() + to_train <= limit:
                break
            if lockstep.running_count():
                ids = [
                    m.run_id
                    for m in lockstep.members
                    if m.run_id in self.runs and self.runs[m.run_id].status is Status.RUNNING
                ]
                await self.act(lockstep, Action.PAUSE)
                paused += ids
        return paused

    def _check_room(self, new_runs: int, to_train: int) -> None:
        kept, training = len(self.runs), self.running_count()
        check_room(self.settings, kept=kept, training=training, new_runs=new_runs, to_train=to_train)

    # ---- creating -------------------------------------------------------------------------------------

    def _build_trainers(self, configs: list[RunConfig]) -> list[tuple[Trainer, JsonObject | None]]:
        """(trainer, the 2-D points drawn under its boundary) for each config, in a thread: drawing the points
        again on the loop, at a run's first GET or snapshot, held it a few ms per run."""
        return [(self._make_trainer(c), points_for(c)) for c in configs]

    def _make_trainer(self, config: RunConfig) -> Trainer:
        from app.ml.trainer import Trainer

        return Trainer(config)

    async def create(
        self,
        configs: list[tuple[str, RunConfig]],
        *,
        steps_per_second: float,
        paused: bool,
        preset: str | None = None,
        grouped: bool = False,
    ) -> tuple[Group | None, list[Run]]:
        """Build trainers (off the loop), then start one lockstep for all of them; returns when they started."""
        n = len(configs)
        for _, config in configs:
            check_config(self.settings, config)
        self._check_room(n, 0 if paused else n)
        try:
            built = await asyncio.to_thread(self._build_trainers, [c for _, c in configs])
        except (ValueError, TypeError) as exc:
            raise Invalid(f"cannot build this network: {exc}") from exc
        self._check_room(n, 0 if paused else n)  # again: others may have been created meanwhile
        group_id = new_id() if grouped else None
        trainers = [trainer for trainer, _ in built]
        runs = [
            self._new_run(label, config, trainer.layer_names, group=group_id, preset=preset, points=points)
            for (label, config), (trainer, points) in zip(configs, built, strict=True)
        ]
        members = [
            Member(run.id, config, self._make_trainer, trainer)
            for run, (_, config), trainer in zip(runs, configs, trainers, strict=True)
        ]
        lockstep = Lockstep(
            members,
            post=self.handoff.post,
            steps_per_second=steps_per_second,
            display_fps=self.settings.display_fps,
            torch_threads=self.settings.torch_threads,
            nice=self.settings.training_nice,
            start_running=not paused,
        )
        group = Group(group_id, preset, lockstep, [r.id for r in runs]) if group_id else None
        for run in runs:
            run.lockstep = lockstep
            self._register(run, record=True)
        if group is not None:
            self.groups[group.id] = group
            self.hub.open(f"group:{group.id}")
        ack: Ack = self.loop.create_future()
        # In a thread: Thread.start() waits until each new thread runs, which on a busy machine held the loop.
        await asyncio.to_thread(lockstep.start, ack)
        await self._wait(ack)
        return group, runs

    def create_replay(
        self,
        recorded: Sequence[tuple[JsonObject, Tape]],
        *,
        steps_per_second: float,
        grouped: bool,
        paused: bool = False,
    ) -> tuple[Group | None, list[Run], Replay]:
        """Runs fed by recorded runs [(recorded run dict, its Tape)] instead of trainers, under one Replay that
        stands where a Lockstep stands (same controls, plus seek); a group of them when `grouped`. Not recorded
        again."""
        self._check_room(len(recorded), 0)
        group_id = new_id() if grouped else None
        feeds = []
        for rec, tape in recorded:
            run = self._new_run(
                f"{rec['name']} (replay)",
                config_of(rec["config"]),
                rec["layer_names"],
                group=group_id,
                preset=rec.get("preset"),
                status=Status.CREATED if paused else Status.RUNNING,
            )
            run.replay = {"record": rec["id"], "first": tape.first, "last": tape.last}
            if rec.get("hist_edges"):
                run.hist_edges = rec["hist_edges"]
            feeds.append(Feed(run, tape, *recorded_ending(rec)))
        replay = Replay(
            self,
            feeds,
            steps_per_second=steps_per_second,
            display_fps=self.settings.display_fps,
            view_points=self.settings.snapshot_points,  # what a snapshot sends: no more is read
            start_running=not paused,
            stopped_group=any(rec.get("status") == Status.STOPPED.value for rec, _ in recorded),
        )
        runs = [f.run for f in feeds]
        for run in runs:
            run.lockstep = replay
            self._register(run, record=False)
        group = None
        if group_id is not None:
            presets = {rec.get("preset") for rec, _ in recorded}
            group = Group(
                group_id, presets.pop() if len(presets) == 1 else None, replay, [r.id for r in runs]
            )
            self.groups[group.id] = group
            self.hub.open(f"group:{group.id}")
        replay.start()
        return group, runs, replay

    def _new_run(
        self, name: str, config: BaseModel | None, layer_names: list[str], **fields: Unpack[NewRunFields]
    ) -> Run:
        from app.ml.instrument import HIST_EDGES

        return Run(
            id=new_id(),
            name=name,
            config=config,
            layer_names=list(layer_names),
            hist_edges=[float(e) for e in HIST_EDGES],
            history=History(self.settings.history_points),
            display_fps=self.settings.display_fps,
            **fields,
        )

    def _register(self, run: Run, record: bool) -> None:
        self.runs[run.id] = run
        self.hub.open(f"run:{run.id}")
        if record and self.recorder is not None:
            self.recorder.on_create(run.to_dict())
            if run.external:
                self.recorder.on_status(run.id, run.status.value, 0, None)

    # ---- looking up -----------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        return found(self.runs.get(run_id), f"no run with id {run_id!r}")

    def get_group(self, group_id: str) -> Group:
        return found(self.groups.get(group_id), f"no group with id {group_id!r}")

    def group_dict(self, group: Group) -> JsonObject:
        """The group object of the protocol."""
        return group.to_dict([self.runs[r] for r in group.run_ids if r in self.runs])

    def viewer_count(self, run: Run) -> int:
        """Websockets watching this run, directly or through its group."""
        streams = [self.hub.get(k) for k in run.streams]
        return sum(len(s.viewers) for s in streams if s is not None)

    # ---- controlling ----------------------------------------------------------------------------------

    def lockstep_of(self, run: Run) -> Pacer:
        if run.lockstep is None:
            raise Conflict(f"run {run.id} is external: its sender controls it")
        return run.lockstep

    def replay_of(self, run_or_group: Run | Group) -> Replay:
        """The Replay feeding a run or group; Conflict when it is trained here or fed by a sender."""
        if not isinstance(run_or_group.lockstep, Replay):
            what = "group" if isinstance(run_or_group, Group) else "run"
            raise Conflict(f"{what} {run_or_group.id} is not a replay: only a replay can seek")
        return run_or_group.lockstep

    async def act(self, lockstep: Pacer, action: Action) -> None:
        """Pause, resume, step, stop or reset a run or group; returns once the workers acted on it."""
        if action is Action.RESUME:
            self._check_room(0, len(lockstep.members))
        ack: Ack = self.loop.create_future()
        lockstep.command(action, ack)
        await self._wait(ack)

    def set_speed(self, lockstep: Pacer, steps_per_second: float) -> None:
        lockstep.set_speed(steps_per_second)

    async def _wait(self, ack: Ack) -> None:
        with contextlib.suppress(TimeoutError):  # a very slow step: the answer shows the state as it is now
            await asyncio.wait_for(ack, ACK_TIMEOUT)

    def delete_run(self, run_id: str) -> None:
        run = self.get_run(run_id)
        if run.group:
            raise Conflict(f"run {run_id} belongs to group {run.group}: delete the group")
        self._forget([run], None)

    def delete_group(self, group_id: str) -> None:
        group = self.get_group(group_id)
        self._forget([self.runs[r] for r in group.run_ids if r in self.runs], group)

    def _forget(self, runs: list[Run], group: Group | None) -> None:
        for lockstep in {id(r.lockstep): r.lockstep for r in runs if r.lockstep is not None}.values():
            lockstep.request_exit()
            task = asyncio.create_task(asyncio.to_thread(lockstep.join, 5.0))
            self._joins.add(task)
            task.add_done_callback(self._joins.discard)
        for run in runs:
            if self.recorder is not None and run.status in ACTIVE:  # its record would stay "running"
                self.recorder.on_status(run.id, Status.STOPPED.value, run.step, "the live run was deleted")
            self.runs.pop(run.id, None)
            self.deleted[run.id] = None
            if len(self.deleted) > DELETED_KEPT:
                self.deleted.popitem(last=False)
            self.hub.drop(f"run:{run.id}", 1000, "run deleted")
        if group is not None:
            self.groups.pop(group.id, None)
            self.hub.drop(f"group:{group.id}", 1000, "group deleted")

    # ---- shutdown -------------------------------------------------------------------------------------

    async def begin_shutdown(self, grace: float = 1.0) -> None:
        """Stop the workers and close every socket with 1001; wait up to `grace` s for the closes to go out."""
        if self.closing:
            return
        self.closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        for lockstep in self._locksteps():
            lockstep.request_exit()
        self.hub.close_all(1001, "server shutting down")
        deadline = time.monotonic() + grace
        while self.hub.viewer_count() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def aclose(self) -> None:
        """Stop every run and close every socket (lifespan exit)."""
        await self.begin_shutdown()
        locksteps = self._locksteps()
        deadline = (
            time.monotonic() + 2.0
        )  # s; workers are daemon threads, so a stuck one cannot hold the exit
        await asyncio.to_thread(lambda: [ls.join(max(0.0, deadline - time.monotonic())) for ls in locksteps])
