"""The lockstep clock with real trainers and no server: equal steps per tick, commands, a diverging member."""

import itertools
import os
import sys
import threading
import time

import pytest

from app.live.items import AckItem, Item, RecordItem, StatusItem
from app.live.lockstep import Lockstep, Member
from app.live.state import Action, Status
from app.ml.config import RunConfig
from app.ml.trainer import Trainer
from tests.support.live import DIVERGING, SMALL, wait_until


class Inbox:
    """Collects what the workers post (the event loop's side, without a loop)."""

    def __init__(self) -> None:
        self.batches: list[list[Item]] = []
        self.lock = threading.Lock()

    def post(self, items: list[Item]) -> None:
        with self.lock:
            self.batches.append(items)

    def records(self) -> list[RecordItem]:
        with self.lock:
            return [it for b in self.batches for it in b if isinstance(it, RecordItem)]

    def statuses(self) -> list[StatusItem]:
        with self.lock:
            return [it for b in self.batches for it in b if isinstance(it, StatusItem)]

    def acked(self, token: str) -> bool:
        with self.lock:
            return any(token in it.acks for b in self.batches for it in b if isinstance(it, AckItem))

    def wait(self, predicate, timeout: float = 20.0) -> None:
        wait_until(predicate, timeout=timeout, interval=0.01)


def _lockstep(configs: list[dict], inbox: Inbox, **kw) -> Lockstep:
    members = []
    for i, c in enumerate(configs):
        config = RunConfig(**c)
        members.append(Member(f"r{i}", config, Trainer, Trainer(config)))
    options = {"steps_per_second": 0, "display_fps": 30, "torch_threads": 1, "start_running": True, **kw}
    return Lockstep(members, post=inbox.post, **options)


def test_runs_of_different_speed_step_together():
    inbox = Inbox()
    # Depth 1 and depth 8: one alone would run several times faster than the other.
    ls = _lockstep([{**SMALL, "depth": 1}, {**SMALL, "depth": 8, "width": 32}], inbox)
    ls.start("started")
    try:
        inbox.wait(lambda: len(inbox.records()) >= 200)
        ls.command(Action.PAUSE, "paused")
        inbox.wait(lambda: inbox.acked("paused"))
    finally:
        ls.request_exit()
        assert ls.join(5.0)
    with inbox.lock:
        ticks = [[it for it in b if isinstance(it, RecordItem)] for b in inbox.batches]
    for tick in (t for t in ticks if t):
        assert sorted(it.run_id for it in tick) == ["r0", "r1"]  # both runs in every tick ...
        assert len({it.record.step for it in tick}) == 1  # ... at the same step
    statuses = [(it.run_id, it.status) for it in inbox.statuses()]
    assert statuses[-2:] == [("r0", Status.PAUSED), ("r1", Status.PAUSED)]


def test_a_diverging_member_ends_alone_and_the_others_go_on():
    inbox = Inbox()
    ls = _lockstep([SMALL, DIVERGING], inbox)
    ls.start("started")
    try:
        inbox.wait(lambda: any(it.run_id == "r1" and it.status is Status.DIVERGED for it in inbox.statuses()))
        steps_after = len([it for it in inbox.records() if it.run_id == "r0"])
        inbox.wait(lambda: len([it for it in inbox.records() if it.run_id == "r0"]) > steps_after + 20)
        assert ls.mode is Status.RUNNING
    finally:
        ls.request_exit()
        assert ls.join(5.0)
    diverged = next(it for it in inbox.statuses() if it.run_id == "r1" and it.status is Status.DIVERGED)
    assert diverged.reason is not None
    assert f"step {diverged.step}" in diverged.reason and "layer" in diverged.reason
    r1_steps = [it.record.step for it in inbox.records() if it.run_id == "r1"]
    assert r1_steps[-1] == diverged.step  # no step after the divergence


def test_paced_single_steps_and_exit_while_parked():
    inbox = Inbox()
    ls = _lockstep([SMALL], inbox, start_running=False, steps_per_second=20)
    ls.start("started")
    inbox.wait(lambda: inbox.acked("started"))
    assert inbox.records() == []  # created: no step until asked
    ls.command(Action.STEP, "one")
    inbox.wait(lambda: inbox.acked("one"))
    records = [it.record for it in inbox.records()]
    assert [r.step for r in records] == [1] and records[0].full  # a single step shows everything
    ls.command(Action.RESUME, "go")
    inbox.wait(lambda: len(inbox.records()) >= 11)
    stamps = [it.record.t for it in inbox.records()[1:11]]
    assert (stamps[-1] - stamps[0]) / 9 > 0.8 / 20  # paced at about 20 steps/s, not faster
    ls.command(Action.STOP, "stop")
    inbox.wait(lambda: inbox.acked("stop"))
    ls.request_exit()  # parked (stopped): exit must still wake it
    assert ls.join(5.0)


def test_a_paced_run_is_evaluated_several_times_a_second_whatever_its_step_schedule():
    inbox = Inbox()
    ls = _lockstep([{**SMALL, "max_steps": 10_000}], inbox, steps_per_second=40, display_fps=10)
    ls.members[0].trainer.eval_every = 10_000  # the trainer's own schedule alone: only step 1 would evaluate
    ls.start("started")
    try:
        inbox.wait(lambda: len(inbox.records()) >= 60)  # about 1.5 s at 40 steps/s
    finally:
        ls.request_exit()
        assert ls.join(5.0)
    records = [it.record for it in inbox.records()]
    evaluated = [r for r in records if r.train_acc is not None]
    assert all(r.full for r in evaluated)  # evaluations ride on display steps only
    span = records[-1].t - records[0].t
    assert len(evaluated) >= 1 + span / 0.25 * 0.6  # ~4/s (timing slack for a busy machine)
    gaps = [b.t - a.t for a, b in itertools.pairwise(evaluated)]
    assert min(gaps) >= 0.2  # ... and not more often than EVAL_INTERVAL_S allows


def test_an_evaluation_on_the_trainers_own_schedule_counts_as_the_clocks_last_one():
    """A fast run evaluates on its trainer's schedule; the clock forces one only when none came for a while."""
    inbox = Inbox()
    ls = _lockstep([SMALL, SMALL], inbox, start_running=False)
    a, b = ls.members
    a.trainer.step(), b.trainer.step()  # step 1 always evaluates
    b.trainer.eval_every = 10**6  # b's own schedule: no evaluation for a long while
    a.pending = a.trainer.step(full=True, evaluate=True)
    b.pending = b.trainer.step(full=True)
    ls._collect()
    assert ls.last_eval == 0.0  # one of the group was not evaluated: its boundary is still due
    before = time.monotonic()
    a.pending = a.trainer.step(full=True, evaluate=True)
    b.pending = b.trainer.step(full=True, evaluate=True)
    ls._collect()
    assert ls.last_eval >= before
    a.pending, b.pending = a.trainer.step(full=False), b.trainer.step(full=False)
    last = ls.last_eval
    ls._collect()
    assert ls.last_eval == last


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is a Linux feature")
def test_training_threads_run_at_a_lower_priority_than_the_server():
    inbox = Inbox()
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    if base + 3 > 19:
        pytest.skip("this process is already at the lowest priority")
    ls = _lockstep([SMALL, SMALL], inbox, nice=3)
    ls.start("started")
    try:
        inbox.wait(lambda: len(inbox.records()) >= 4)
        assert [os.getpriority(os.PRIO_PROCESS, t.native_id) for t in ls.threads] == [base + 3, base + 3]
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # the caller is untouched
    finally:
        ls.request_exit()
        assert ls.join(5.0)


def test_forced_evaluations_of_a_big_network_keep_to_their_share_of_the_time():
    inbox = Inbox()
    big = {
        **SMALL,
        "n_samples": 1000,
        "depth": 16,
        "width": 384,
        "max_steps": 100_000,
    }  # one evaluation ~0.1 s
    ls = _lockstep([big], inbox, steps_per_second=0, display_fps=30)
    ls.members[0].trainer.eval_every = 100_000  # only the clock's evaluations after step 1
    ls.start("started")
    try:
        inbox.wait(lambda: sum(it.record.train_acc is not None for it in inbox.records()) >= 4, timeout=60)
    finally:
        ls.request_exit()
        assert ls.join(10.0)
    records = [it.record for it in inbox.records()]
    evaluated = [r for r in records if r.train_acc is not None]
    cost = ls.members[0].trainer.eval_seconds
    assert (
        cost > 0.05
    )  # big enough that the share (>= 0.5 s), not EVAL_INTERVAL_S (0.25 s), sets the interval
    gaps = [b.t - a.t for a, b in itertools.pairwise(evaluated[1:])]
    assert min(gaps) >= 0.8 * cost / 0.1, (gaps, cost)
