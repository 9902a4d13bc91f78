"""Worker threads of one run or of a comparison group, stepping in lockstep under one pacing clock.

Each run trains in its own thread. After every step the threads meet at a barrier whose action (run by the
thread that arrives last, while the others wait) is the clock: it hands the finished steps to the event loop,
applies the presenter's commands, waits until the next step is due and sets the next order for all. So every
run of a comparison is at the same step whenever the event loop sees them. Nothing here touches asyncio.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import torch

from app.live.errors import Conflict
from app.live.items import Ack, AckItem, Items, RecordItem, ResetItem, StatusItem
from app.live.priority import lower_thread_priority
from app.live.state import ACTIVE, TRANSITIONS, Action, Status
from app.ml.records import JsonObject, StepRecord

if (
    TYPE_CHECKING
):  # the trainer's import pulls in the rest of torch: the manager defers it (see _warm_up_process)
    from app.ml.config import RunConfig
    from app.ml.trainer import Trainer

log = logging.getLogger("gradcast.live")

# A running run is evaluated (accuracies, test loss, boundary) on a display step at least this often, whatever its
# speed: the trainer's own schedule spaces evaluations by steps (2 % of training time), which at a lecture's
# 10-20 steps/s would refresh the boundary only every few seconds. One evaluation costs ~0.6 ms for the default
# network but ~90 ms for 30 x 256, so the interval also keeps the forced ones under EVAL_SHARE of the time.
EVAL_INTERVAL_S = 0.25
EVAL_SHARE = 0.1


class Order(Enum):
    """What every worker does after the barrier."""

    STEP = "step"
    RESET = "reset"
    EXIT = "exit"


@dataclass
class Member:
    """One run's thread-side state: its trainer and what its last step produced."""

    run_id: str
    config: RunConfig
    make_trainer: Callable[[RunConfig], Trainer]  # built again on reset: same seed
    trainer: Trainer | None  # None only while a reset builds its next one
    outcome: Status | None = None  # FINISHED, DIVERGED or FAILED once this run has ended on its own
    reason: str | None = None
    pending: StepRecord | None = None
    error: BaseException | None = None

    @property
    def step(self) -> int:
        return self.trainer.step_count if self.trainer is not None else 0

    @property
    def is_last_step_next(self) -> bool:
        return self.step + 1 >= self.config.max_steps


def diverged_reason(info: JsonObject) -> str:
    """'diverged at step 57 in layer3: weight_grad_norm is nan' from the trainer's {"step", "layer", "what"}."""
    layer = info.get("layer")
    where = f" in {layer}" if layer and layer != "loss" else ""
    return f"diverged at step {info.get('step')}{where}: {info.get('what', 'a value is not finite')}"


class Lockstep:
    """The worker threads, pacing and state machine of one run (a group of one) or of a comparison group."""

    def __init__(
        self,
        members: list[Member],
        *,
        post: Callable[[Items], None],
        steps_per_second: float,
        display_fps: float,
        torch_threads: int,
        start_running: bool,
        nice: int = 0,
    ) -> None:
        self.members = members
        self.post = post  # thread-safe handoff to the event loop
        self.torch_threads = torch_threads
        self.nice = nice  # added to each worker thread's niceness (see priority.lower_thread_priority)
        self.frame_interval = 1.0 / display_fps  # s between display-rate steps
        self.cond = threading.Condition()
        # Guarded by cond (the loop writes them through command()/set_speed()/request_exit()):
        self.mode = Status.RUNNING if start_running else Status.CREATED
        self.steps_per_second = steps_per_second  # 0 = as fast as possible
        self.step_budget = 0  # single steps asked for while paused
        self.reset_requested = False
        self.exit_requested = False
        self.acks: list[Ack] = []  # tokens the loop waits on; posted back once the command took effect
        # Thread side (touched only inside the barrier action or between barriers):
        self.reported = {m.run_id: Status.CREATED for m in members}
        self.order = Order.STEP
        self.display = True  # the next step takes the display-rate metrics
        # True forces an evaluation on the next step; None leaves it to the trainer's own schedule
        self.evaluate: bool | None = True
        self.next_due = 0.0  # monotonic s when the next step may start
        self.last_display = 0.0  # monotonic s of the last display-rate step
        self.last_eval = 0.0  # monotonic s of the last evaluation (forced, or every run's own)
        self.carried: list[Ack] = []  # acks to post after the step now being taken
        self.reset_ran = False
        self.barrier = threading.Barrier(len(members), action=self._tick)
        self.threads = [
            threading.Thread(target=self._work, args=(m,), name=f"run-{m.run_id}", daemon=True)
            for m in members
        ]

    # ---- called from the event loop -------------------------------------------------------------------

    def start(self, ack: Ack) -> None:
        with self.cond:
            self.acks.append(ack)
        for thread in self.threads:
            thread.start()

    def command(self, action: Action, ack: Ack) -> None:
        """Apply a presenter's action now (raises Conflict when it does not apply); ack is posted once it took effect."""
        with self.cond:
            allowed, target = TRANSITIONS[action]
            if self.mode not in allowed:
                raise Conflict(f"cannot {action.value}: status is {self.mode.value}")
            if action is Action.RESET:
                self.reset_requested = True
                self.step_budget = 0
                self.mode = Status.RUNNING if self.mode is Status.RUNNING else Status.CREATED
            elif target is not None:
                self.mode = target
            if action is Action.STEP:
                self.step_budget += 1
            self.acks.append(ack)
            self.cond.notify_all()

    def set_speed(self, steps_per_second: float) -> None:
        with self.cond:
            self.steps_per_second = steps_per_second
            self.next_due = time.monotonic()
            self.cond.notify_all()

    def request_exit(self) -> None:
        """Make every worker return after its current step (no wait here: join() waits)."""
        with self.cond:
            self.exit_requested = True
            self.cond.notify_all()

    def join(self, timeout: float) -> bool:
        """Wait for the workers (from a thread, not the loop); True when all have ended."""
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            # One not started yet (start() runs in a thread) exits on its first tick: nothing to wait for.
            if thread.ident is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)

    def running_count(self) -> int:
        """Runs of this group that are training now (for the max_running_runs limit)."""
        if self.mode is not Status.RUNNING:
            return 0
        return sum(
            1 for s in self.reported.values() if s not in (Status.FINISHED, Status.DIVERGED, Status.FAILED)
        )

    # ---- worker threads -------------------------------------------------------------------------------

    def _work(self, member: Member) -> None:
        # Per worker: more torch threads per run only fight each other on a few cores.
        torch.set_num_threads(self.torch_threads)
        lower_thread_priority(self.nice)
        while True:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                return
            order = self.order
            if order is Order.EXIT:
                return
            try:
                if order is Order.RESET:
                    member.trainer = None
                    member.outcome = member.reason = None
                    member.trainer = member.make_trainer(member.config)
                elif member.outcome is None and member.trainer is not None:
                    member.pending = member.trainer.step(full=self.display, evaluate=self.evaluate)
            except Exception as exc:  # a trainer bug or a bad config: this run fails, the server goes on
                log.exception("run %s failed", member.run_id)
                member.error = exc

    def _tick(self) -> None:
        """The barrier action: never raises (a raise would break the barrier for every worker)."""
        try:
            self._decide()
        except BaseException as exc:
            log.exception("lockstep clock failed; stopping its workers")
            self.order = Order.EXIT
            reason = f"internal error: {type(exc).__name__}: {exc}"
            with self.cond:
                acks, self.acks = self.acks + self.carried, []
            items: Items = [StatusItem(m.run_id, Status.FAILED, m.step, reason) for m in self.members]
            self._post([*items, AckItem(acks)])

    def _collect(self) -> Items:
        items: Items = [ResetItem([m.run_id for m in self.members])] if self.reset_ran else []
        self.reset_ran = False
        evaluated = None  # True when every run that stepped was evaluated (on its own schedule or forced)
        for m in self.members:
            record, m.pending = m.pending, None
            if record is not None:
                items.append(RecordItem(m.run_id, record))
                evaluated = evaluated is not False and record.full and record.test_acc is not None
                if record.diverged is not None:
                    m.outcome, m.reason = Status.DIVERGED, diverged_reason(record.diverged)
                elif m.trainer is not None and m.trainer.diverged:
                    m.outcome, m.reason = Status.DIVERGED, diverged_reason(dict(m.trainer.diverged))
                elif m.trainer is not None and m.trainer.done:
                    m.outcome, m.reason = Status.FINISHED, None
            if m.error is not None:
                m.outcome, m.reason = Status.FAILED, f"{type(m.error).__name__}: {m.error}"
                m.error = None
        if evaluated:  # a fast run evaluates on its trainer's schedule: no forced evaluation on top of that
            self.last_eval = time.monotonic()
        return items

    def _report(self, items: Items) -> None:
        """Post a status item for each run whose status changed since it was last reported."""
        for m in self.members:
            status = m.outcome or self.mode
            if status is not self.reported[m.run_id]:
                self.reported[m.run_id] = status
                items.append(StatusItem(m.run_id, status, m.step, m.reason if m.outcome else None))

    def _decide(self) -> None:
        items = self._collect()
        if self.carried:
            items.append(AckItem(self.carried))
            self.carried = []
        with self.cond:
            while True:
                acks, self.acks = self.acks, []
                if self.exit_requested:
                    self.order = Order.EXIT
                    items.append(AckItem(acks))
                    break
                if self.reset_requested:
                    self.reset_requested = False
                    self.order, self.reset_ran, self.carried = Order.RESET, True, acks
                    self.last_display = self.last_eval = 0.0
                    break
                live = [m for m in self.members if m.outcome is None]
                if not live and self.mode in ACTIVE:
                    self.mode = Status.FINISHED
                self._report(items)
                now = time.monotonic()
                wait: float | None
                if self.mode is Status.RUNNING:
                    interval = 1.0 / self.steps_per_second if self.steps_per_second > 0 else 0.0
                    wait = self.next_due - now if interval else 0.0
                    if wait <= 0:
                        self.next_due = max(self.next_due, now - interval) + interval
                        first = any(m.step == 0 for m in live)
                        last = any(m.is_last_step_next for m in live)
                        # At a pace no faster than the display rate every step is shown, the quick one that
                        # catches up after a late step too (the page draws the gradient flow of each step).
                        paced = interval >= self.frame_interval
                        self.display = (
                            first or last or paced or now - self.last_display >= 0.95 * self.frame_interval
                        )
                        self.evaluate = None
                        if self.display:
                            self.last_display = now
                            slowest = max(
                                (m.trainer.eval_seconds for m in live if m.trainer is not None), default=0.0
                            )
                            if now - self.last_eval >= max(EVAL_INTERVAL_S, slowest / EVAL_SHARE):
                                self.evaluate, self.last_eval = True, now
                        self.order = Order.STEP
                        items.append(AckItem(acks))
                        break
                elif self.mode is Status.PAUSED and self.step_budget > 0:
                    self.step_budget -= 1
                    self.order, self.display, self.evaluate, self.carried = Order.STEP, True, True, acks
                    break
                else:
                    wait = None  # parked until a command
                items.append(AckItem(acks))
                self._post(items)
                items = []
                self.cond.wait(wait)
        self._post(items)

    def _post(self, items: Items) -> None:
        items = [it for it in items if not isinstance(it, AckItem) or it.acks]
        if items:
            self.post(items)
