"""Replays: recorded step records fed to live runs at a pace, under the same controls as a run trained here.

A Replay stands where a trained run's Lockstep stands (run.lockstep, group.lockstep): pause, resume, step,
stop, reset and speed reach it through the same routes and answer the same way, and `seek` moves every run it
feeds to any recorded step and back. Its viewers get what a live run sends (snapshot, frames with "between",
status) on the same streams, so everyone watching a replay sees it move. One Replay feeds one run or a whole
comparison: every tick hands each run the same number of steps, so they stay at one step (seeking included).
Records come from a Tape (the store provides one); nothing here reads a file.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from app.live.errors import Conflict, Invalid
from app.live.items import Ack, Items, StatusItem
from app.live.run import Run
from app.live.state import TRANSITIONS, Action, Status
from app.ml.records import JsonObject, StepRecord

if TYPE_CHECKING:
    from app.live.hub import Hub
    from app.live.lockstep import Member
    from app.ml.config import RunConfig

READ_CHUNK = 500  # step records read from the tape at a time
FAST_CHUNK = 500  # steps per tick at steps_per_second = 0 (as fast as possible)
TICK = 1 / 60  # s between ticks at most: smooth at 60 Hz; frames are still capped at display_fps
ENDINGS = {s.value: s for s in (Status.FINISHED, Status.STOPPED, Status.DIVERGED, Status.FAILED)}


class Tape(Protocol):
    """A recorded run's steps, first..last (app/store/tape.py reads them from the database)."""

    first: int
    last: int

    def read(self, after: int, limit: int) -> list[StepRecord]:
        """The recorded steps after step `after`, in order, at most `limit`."""
        ...

    def view(self, step: int, points: int) -> list[StepRecord]:
        """The history a viewer sees at `step`: at most `points` records, the newest display-rate one included."""
        ...


class Outlet(Protocol):
    """What a replay needs of the run manager: its hub, status items applied in order, snapshots published."""

    hub: Hub

    def apply_items(self, items: Items) -> None: ...

    def publish_snapshots(self, runs: list[Run]) -> None: ...


@dataclass
class Feed:
    """One run fed by a replay: its tape, its recorded ending, and how far it got."""

    run: Run
    tape: Tape
    ending: Status  # the recorded run's final status, given when its steps run out
    reason: str | None
    at: int = 0  # the last step handed to the run (0: none yet)
    buffer: list[StepRecord] = field(default_factory=list)  # read, not yet handed over (steps > at)

    @property
    def done(self) -> bool:
        return not self.buffer and self.at >= self.tape.last


class Replay:
    """The clock of one replay: status, pace and position of the runs it feeds (see the module docstring)."""

    members: tuple[
        Member, ...
    ] = ()  # no worker threads: a replay trains nothing and counts against no training limit

    def __init__(
        self,
        outlet: Outlet,
        feeds: list[Feed],
        *,
        steps_per_second: float,
        display_fps: float,
        view_points: int,
        start_running: bool = True,
        stopped_group: bool = False,
    ) -> None:
        self.outlet = outlet
        self.feeds = feeds
        self.steps_per_second = steps_per_second  # 0 = as fast as possible
        self.frame_period = 1.0 / display_fps  # s between frames at most
        self.view_points = view_points  # records of history a seek loads per run
        # Ends "stopped" rather than "finished" (as the recorded group did, when one of its runs was stopped)
        self.stopped_group = stopped_group
        self.mode = Status.RUNNING if start_running else Status.CREATED
        self.step_budget = 0  # single steps asked for while paused
        self.step_acks: list[Ack] = []
        self.generation = 0  # bumped by seek and reset: a read begun before is dropped
        self.sent = 0  # steps handed to each run since the pace was last set
        self._anchor = 0.0  # loop time the pace counts from
        self.task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # set by every command, seek and speed: an idle feeder waits on it

    # ---- what a Lockstep offers the manager and the routes -------------------------------------------------

    def start(self) -> None:
        """Begin feeding (on the event loop)."""
        loop = asyncio.get_running_loop()
        self._anchor = loop.time()
        self.task = loop.create_task(self._feed())

    def command(self, action: Action, ack: Ack) -> None:
        """Apply a presenter's action (Conflict when it does not apply now); ack is set once it took effect."""
        allowed, target = TRANSITIONS[action]
        if self.mode not in allowed:
            raise Conflict(f"cannot {action.value}: status is {self.mode.value}")
        if action is Action.RESET:
            self._reset(Status.RUNNING if self.mode is Status.RUNNING else Status.CREATED)
        elif action is Action.STEP:
            self._set_mode(Status.PAUSED)
            self.step_budget += 1
            self.step_acks.append(ack)
            self._wake.set()
            return  # the feeder sets ack after the step
        elif target is not None:
            self._set_mode(target)
        self._repace()
        ack.set_result(None)

    def set_speed(self, steps_per_second: float) -> None:
        self.steps_per_second = steps_per_second
        self._repace()

    def request_exit(self) -> None:
        """Stop feeding (the runs were deleted or the server is closing)."""
        if self.task is not None:
            self.task.cancel()
        for ack in self.step_acks:
            if not ack.done():
                ack.set_result(None)

    def join(self, timeout: float) -> bool:
        """Nothing to wait for: no threads."""
        return True

    def running_count(self) -> int:
        return 0

    @property
    def step(self) -> int:
        """The step every run is at (the furthest, once shorter records have ended)."""
        return max((f.at for f in self.feeds), default=0)

    @property
    def last(self) -> int:
        """The last recorded step of the longest record: the timeline's end."""
        return max((f.tape.last for f in self.feeds), default=0)

    async def seek(self, step: int) -> None:
        """Every run to recorded step `step` (0: the start), its history as it was then; viewers start over from
        there. Playing goes on playing from there; otherwise it is paused there."""
        if not 0 <= step <= self.last:
            raise Invalid(f"step must be between 0 and {self.last} (the last recorded step), got {step}")
        if step == 0:
            self._reset(Status.RUNNING if self.mode is Status.RUNNING else Status.CREATED)
            return
        self.generation += 1
        generation = self.generation
        views = await asyncio.gather(
            *(asyncio.to_thread(f.tape.view, min(step, f.tape.last), self.view_points) for f in self.feeds)
        )
        if generation != self.generation:
            return  # a newer seek or reset came meanwhile: it wins
        mode = Status.RUNNING if self.mode is Status.RUNNING else Status.PAUSED
        for feed, recs in zip(self.feeds, views, strict=True):
            feed.run.reset()
            for rec in recs:
                feed.run.apply_record(rec, may_frame=False)
            feed.run.between = []
            feed.at, feed.buffer = min(step, feed.tape.last), []
            feed.run.step = feed.at
        self._restart(mode)

    def to_dict(self) -> JsonObject:
        """What GET /api/records/replays lists (besides the run or group): pace, pause and position."""
        return {
            "steps_per_second": self.steps_per_second,
            "paused": self.mode in (Status.PAUSED, Status.CREATED),  # created: waiting at its start
            "step": self.step,
            "last": self.last,
        }

    # ---- inside ------------------------------------------------------------------------------------------

    def _reset(self, mode: Status) -> None:
        self.generation += 1
        for feed in self.feeds:
            feed.run.reset()
            feed.at, feed.buffer = 0, []
        self._restart(mode)

    def _restart(self, mode: Status) -> None:
        """After a seek or reset: each run's status (its recorded ending when it is past its end), then a fresh
        snapshot to every viewer."""
        self.generation += 1  # a read begun before this (the feeder's) is dropped
        self.mode = mode
        self.step_budget = 0
        for feed in self.feeds:
            run = feed.run
            run.status, run.reason = (feed.ending, feed.reason) if feed.done and feed.at else (mode, None)
        if all(f.done and f.at for f in self.feeds):
            self.mode = self._final()
        self.outlet.publish_snapshots([f.run for f in self.feeds])
        self._repace()
        self._ack_steps()

    def _set_mode(self, mode: Status) -> None:
        """The replay's status, told to viewers of each run still going (when it changes)."""
        if mode is self.mode:
            return
        self.mode = mode
        self.outlet.apply_items([StatusItem(f.run.id, mode, f.at) for f in self.feeds if not f.done])

    def _final(self) -> Status:
        return Status.STOPPED if self.stopped_group else Status.FINISHED

    def _repace(self) -> None:
        self._anchor = asyncio.get_running_loop().time()
        self.sent = 0
        self._wake.set()

    def _owed(self, now: float) -> int:
        """Steps whose time has come at the set pace (at 0: FAST_CHUNK a tick)."""
        if self.steps_per_second <= 0:
            return FAST_CHUNK
        return int((now - self._anchor) * self.steps_per_second) + 1 - self.sent

    def _ack_steps(self) -> None:
        acks, self.step_acks = self.step_acks, []
        for ack in acks:
            if not ack.done():
                ack.set_result(None)

    async def _fill(self, n: int, generation: int) -> None:
        """Read ahead until each run still going holds n steps (or its tape ends); a seek or reset meanwhile
        (another generation) drops what was read."""
        for feed in self.feeds:
            after = feed.buffer[-1].step if feed.buffer else feed.at
            while len(feed.buffer) < n and after < feed.tape.last:
                got = await asyncio.to_thread(feed.tape.read, after, max(READ_CHUNK, n))
                if not got or generation != self.generation:
                    return
                feed.buffer += got
                after = got[-1].step

    def _hand_over(self, n: int, single: bool) -> None:
        """n steps to every run still going, ending where a display-rate step falls when one does (its panels
        then show it); each run gets one frame, all at one step; runs whose record ran out end as recorded."""
        going = [f for f in self.feeds if not f.done]
        if not single:  # end the batch on the latest display-rate step any run has in it
            cuts = [i + 1 for f in going for i, r in enumerate(f.buffer[:n]) if r.full]
            n = max(cuts, default=n)
        items: Items = []
        for feed in going:
            batch, feed.buffer = feed.buffer[:n], feed.buffer[n:]
            for rec in batch:
                feed.run.apply_record(rec, may_frame=False)
            if batch:
                feed.at = batch[-1].step
        for feed in going:
            msg = feed.run.flush_frame()
            if msg is not None:
                self.outlet.hub.publish(feed.run.streams, msg)
            if feed.done:
                items.append(StatusItem(feed.run.id, feed.ending, feed.at, feed.reason))
        self.sent += n
        if items:
            self.outlet.apply_items(items)
        if all(f.done for f in self.feeds):
            self.mode = self._final()

    async def _feed(self) -> None:
        """Tick: hand the steps owed at the pace (or one asked for while paused) to every run, then wait."""
        loop = asyncio.get_running_loop()
        while True:
            if self.mode is Status.RUNNING:
                n, single = self._owed(loop.time()), False
            elif self.mode is Status.PAUSED and self.step_budget > 0:
                n, single = 1, True
            else:  # paused, created or ended: nothing to do until a command, seek or speed change
                self._wake.clear()
                await self._wake.wait()
                continue
            if n > 0:
                generation, mode = self.generation, self.mode
                await self._fill(n, generation)
                if generation == self.generation and self.mode is mode:
                    if single:
                        self.step_budget -= 1
                    self._hand_over(n, single)
                    if single:
                        self._ack_steps()
            if self.mode is Status.RUNNING and self.steps_per_second <= 0:
                await asyncio.sleep(self.frame_period)
            else:
                await asyncio.sleep(max(TICK, min(self.frame_period, 1 / max(self.steps_per_second, 1e-9))))


def recorded_ending(run: JsonObject) -> tuple[Status, str | None]:
    """The status and reason a replay of the recorded run `run` ends with (a live record that was cut off:
    stopped)."""
    return ENDINGS.get(str(run.get("status")), Status.STOPPED), run.get("reason")


def config_of(data: JsonObject) -> RunConfig | None:
    """The recorded config as a RunConfig when it still validates (the run object shows it), else None."""
    from app.ml.config import RunConfig

    try:
        return RunConfig.model_validate(data)
    except ValueError:
        return None
