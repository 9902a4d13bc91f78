"""The run manager: creates, controls and deletes runs and groups; hands worker output to the hub.

Lives on the event loop (created in the app's lifespan). Worker threads reach it only through `_post`,
which queues their items and wakes the loop once per batch (call_soon_threadsafe).
"""

import asyncio
import contextlib
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from app.live import messages
from app.live.errors import Conflict, Invalid, LimitReached, NotFound
from app.live.group import Items, Lockstep, Member
from app.live.history import History
from app.live.hub import Hub
from app.live.run import Run
from app.live.state import Action, Status
from app.settings import Settings

ACK_TIMEOUT = 10.0  # s a control request waits for the workers to act on it (a step of the largest net)


def new_id() -> str:
    return secrets.token_hex(4)


@dataclass
class Group:
    """A comparison: runs created together from one preset, trained in lockstep."""

    id: str
    preset: str | None
    lockstep: Lockstep
    run_ids: list[str]
    created: float = field(default_factory=time.time)


class RunManager:
    """Owns every run and group of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hub = Hub(settings.replay_messages)
        self.runs: dict[str, Run] = {}
        self.groups: dict[str, Group] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._inbox: list[Items] = []
        self._inbox_lock = threading.Lock()
        self._drain_scheduled = False
        self._joins: set[asyncio.Task] = set()
        self.closing = False
        # Optional: on_create(run dict), on_record(run_id, StepRecord), on_status(run_id, status, step, reason),
        # each only enqueues (app/store/recorder.py). Called on the loop, in the order the stream shows.
        self.recorder: Any = None

    async def start(self) -> None:
        """Called once in the lifespan, on the event loop."""
        self.loop = asyncio.get_running_loop()
        torch.set_num_threads(self.settings.torch_threads)
        # A short GIL switch interval lets the loop run between a training thread's bytecodes (see bench/).
        sys.setswitchinterval(self.settings.switch_interval)

    # ---- limits ---------------------------------------------------------------------------------------

    def running_count(self) -> int:
        """Runs training now."""
        return sum(ls.running_count() for ls in self._locksteps())

    def _locksteps(self) -> list[Lockstep]:
        seen: dict[int, Lockstep] = {}
        for run in self.runs.values():
            if run.lockstep is not None:
                seen[id(run.lockstep)] = run.lockstep
        return list(seen.values())

    def _check_room(self, new_runs: int, running: int) -> None:
        s = self.settings
        if len(self.runs) + new_runs > s.max_runs:
            raise LimitReached(f"limit reached: max_runs={s.max_runs} runs kept; delete a run first")
        busy = self.running_count()
        if running and busy + running > s.max_running_runs:
            raise LimitReached(
                f"limit reached: max_running_runs={s.max_running_runs} ({busy} training now, {running} more asked);"
                " pause or stop a run first"
            )

    def _check_config(self, config: Any) -> None:
        s = self.settings
        params = config.param_count()
        if params > s.max_params:
            raise Conflict(
                f"network too large: {params} parameters, over the limit max_params={s.max_params}"
            )
        steps = getattr(config, "max_steps", None)
        if steps is not None and steps > s.max_steps:
            raise Conflict(f"max_steps={steps} is over the server's limit max_steps={s.max_steps}")

    # ---- creating -------------------------------------------------------------------------------------

    def _make_trainer(self, config: Any) -> Any:
        from app.ml.trainer import Trainer

        return Trainer(config)

    async def create(
        self,
        configs: list[tuple[str, Any]],
        *,
        steps_per_second: float,
        paused: bool,
        preset: str | None = None,
        grouped: bool = False,
    ) -> tuple[Group | None, list[Run]]:
        """Build trainers (off the loop), then start one lockstep for all of them; returns when they started."""
        from app.ml.instrument import HIST_EDGES

        n = len(configs)
        for _, config in configs:
            self._check_config(config)
        self._check_room(n, 0 if paused else n)
        try:
            trainers = await asyncio.to_thread(lambda: [self._make_trainer(c) for _, c in configs])
        except (ValueError, TypeError) as exc:
            raise Invalid(f"cannot build this network: {exc}") from exc
        self._check_room(n, 0 if paused else n)  # again: others may have been created meanwhile
        group_id = new_id() if grouped else None
        runs = [
            Run(
                id=new_id(),
                name=label,
                config=config,
                layer_names=list(trainer.layer_names),
                hist_edges=[float(e) for e in HIST_EDGES],
                history=History(self.settings.history_points),
                display_fps=self.settings.display_fps,
                group=group_id,
                preset=preset,
            )
            for (label, config), trainer in zip(configs, trainers, strict=True)
        ]
        members = [
            Member(run.id, config, self._make_trainer, trainer)
            for run, (_, config), trainer in zip(runs, configs, trainers, strict=True)
        ]
        lockstep = Lockstep(
            members,
            post=self._post,
            steps_per_second=steps_per_second,
            display_fps=self.settings.display_fps,
            torch_threads=self.settings.torch_threads,
            start_running=not paused,
        )
        group = Group(group_id, preset, lockstep, [r.id for r in runs]) if group_id else None
        for run in runs:
            run.lockstep = lockstep
            self.runs[run.id] = run
            self.hub.open(f"run:{run.id}")
            if self.recorder is not None:
                self.recorder.on_create(run.to_dict())
        if group is not None:
            self.groups[group.id] = group
            self.hub.open(f"group:{group.id}")
        ack = self.loop.create_future()
        lockstep.start(ack)
        await self._wait(ack)
        return group, runs

    def create_external(
        self, name: str, layer_names: list[str], config: Any = None, record: bool = True
    ) -> Run:
        """A run fed step records from outside (see ingest) instead of by a trainer here; record=False: not kept."""
        from app.ml.instrument import HIST_EDGES

        self._check_room(1, 0)
        run = Run(
            id=new_id(),
            name=name,
            config=config,
            layer_names=list(layer_names),
            hist_edges=[float(e) for e in HIST_EDGES],
            history=History(self.settings.history_points),
            display_fps=self.settings.display_fps,
            external=True,
            status=Status.RUNNING,
        )
        self.runs[run.id] = run
        self.hub.open(f"run:{run.id}")
        if record and self.recorder is not None:
            self.recorder.on_create(run.to_dict())
            self.recorder.on_status(run.id, run.status.value, 0, None)
        return run

    def ingest(self, run_id: str, records: list) -> None:
        """Step records of an external run, as if its trainer were here (call on the loop)."""
        run = self.get_run(run_id)
        if not run.external:
            raise Conflict(f"run {run_id} is trained here; only external runs take records")
        if run.status is not Status.RUNNING:
            raise Conflict(f"run {run_id} is {run.status.value}; it takes no more records")
        self._apply([("record", run_id, r) for r in records])

    def finish_external(self, run_id: str, status: Status, reason: str | None = None) -> None:
        """Mark an external run as ended (finished, stopped, diverged or failed)."""
        run = self.get_run(run_id)
        if not run.external:
            raise Conflict(f"run {run_id} is trained here")
        self._apply([("status", run_id, status, run.step, reason)])

    # ---- looking up -----------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            raise NotFound(f"no run with id {run_id!r}")
        return run

    def get_group(self, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None:
            raise NotFound(f"no group with id {group_id!r}")
        return group

    def group_dict(self, group: Group) -> dict:
        """The group object of the protocol."""
        runs = [self.runs[r] for r in group.run_ids if r in self.runs]
        return {
            "id": group.id,
            "preset": group.preset,
            "status": group.lockstep.mode.value,
            "step": max((r.step for r in runs), default=0),
            "steps_per_second": group.lockstep.steps_per_second,
            "created": group.created,
            "runs": [r.to_dict() for r in runs],
        }

    def viewer_count(self, run: Run) -> int:
        """Websockets watching this run, directly or through its group."""
        return sum(len(self.hub.get(k).viewers) for k in run.streams if self.hub.get(k) is not None)

    def snapshot(self, key: str) -> dict:
        """The snapshot message (without seq) of stream "run:ID" or "group:ID"."""
        kind, ident = key.split(":", 1)
        if kind == "run":
            runs = [self.get_run(ident)]
            group = self.groups.get(runs[0].group) if runs[0].group else None
        else:
            group = self.get_group(ident)
            runs = [self.runs[r] for r in group.run_ids if r in self.runs]
        return messages.snapshot(
            [(r.to_dict(), r.history.as_records(self.settings.snapshot_points)) for r in runs],
            self.group_dict(group) if group else None,
        )

    # ---- controlling ----------------------------------------------------------------------------------

    def lockstep_of(self, run: Run) -> Lockstep:
        if run.lockstep is None:
            raise Conflict(f"run {run.id} is external: its sender controls it")
        return run.lockstep

    async def act(self, lockstep: Lockstep, action: Action) -> None:
        """Pause, resume, step, stop or reset a run or group; returns once the workers acted on it."""
        if action is Action.RESUME:
            self._check_room(0, len(lockstep.members))
        ack = self.loop.create_future()
        lockstep.command(action, ack)
        await self._wait(ack)

    def set_speed(self, lockstep: Lockstep, steps_per_second: float) -> None:
        lockstep.set_speed(steps_per_second)

    async def _wait(self, ack: asyncio.Future) -> None:
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
            self.runs.pop(run.id, None)
            self.hub.drop(f"run:{run.id}", 1000, "run deleted")
        if group is not None:
            self.groups.pop(group.id, None)
            self.hub.drop(f"group:{group.id}", 1000, "group deleted")

    # ---- worker thread -> event loop ------------------------------------------------------------------

    def _post(self, items: Items) -> None:
        """Called by worker threads: queue items; wake the loop once for however many arrive meanwhile."""
        with self._inbox_lock:
            self._inbox.append(items)
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
            self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._inbox_lock:
            batches, self._inbox = self._inbox, []
            self._drain_scheduled = False
        for items in batches:
            self._apply(items)

    def _apply(self, items: Items) -> None:
        """Worker output, in order: records to history and frames, status changes, resets, acks."""
        for item in items:
            kind = item[0]
            if kind == "record":
                run = self.runs.get(item[1])
                if run is not None:
                    if self.recorder is not None:
                        self.recorder.on_record(run.id, item[2])
                    msg = run.apply_record(item[2])
                    if msg is not None:
                        self.hub.publish(run.streams, msg)
            elif kind == "status":
                _, run_id, status, step, reason = item
                run = self.runs.get(run_id)
                if run is not None:
                    pending = run.flush_frame()
                    if pending is not None:
                        self.hub.publish(run.streams, pending)
                    run.status, run.reason = status, reason
                    if self.recorder is not None:
                        self.recorder.on_status(run.id, status.value, step, reason)
                    self.hub.publish(run.streams, messages.status(run.id, status.value, step, reason), False)
            elif kind == "reset":
                self._apply_reset([self.runs[r] for r in item[1] if r in self.runs])
            elif kind == "ack":
                for fut in item[1]:
                    if not fut.done():
                        fut.set_result(None)

    def _apply_reset(self, runs: list[Run]) -> None:
        keys: list[str] = []
        for run in runs:
            run.reset()
            keys += [k for k in run.streams if k not in keys]
        for key in keys:  # a fresh snapshot tells every viewer to start over
            if self.hub.get(key) is not None:
                self.hub.get(key).publish(messages.encode(self.snapshot(key)), False)

    # ---- shutdown -------------------------------------------------------------------------------------

    async def begin_shutdown(self, grace: float = 1.0) -> None:
        """Stop the workers and close every socket with 1001; wait up to `grace` s for the closes to go out."""
        if self.closing:
            return
        self.closing = True
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
