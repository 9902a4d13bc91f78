"""Seeking a recorded run: the history at any step of a 100,000-step record, read by the primary key (the work
SQLite does is the same as for a short record), and reading on from there."""

import sqlite3

import pytest

from app.store import runstore
from app.store.tape import RecordTape
from tests.support.records import write_long_run

LONG = 100_000
POINTS = 500  # records a seek loads per run (snapshot_points)


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("tape") / "db.sqlite3"
    write_long_run(path, "short", 1_000)
    write_long_run(path, "long", LONG)
    return path


@pytest.mark.parametrize("step", [1, 7, 50_000, LONG - 1, LONG])
def test_the_history_at_any_step(long_run, step):
    store = runstore.RunStore(long_run)
    tape = RecordTape(store, "long", store.get("long")["layer_names"])
    assert (tape.first, tape.last) == (1, LONG)
    recs = tape.view(step, POINTS)
    steps = [r.step for r in recs]
    assert steps[-1] == step and steps == sorted(set(steps)) and len(steps) <= POINTS
    dense = steps[-min(step, POINTS // 2) :]
    assert dense == list(range(step - len(dense) + 1, step + 1))  # the newest half: every step
    if step > POINTS:
        assert steps[0] == 1 and len(steps) >= POINTS - 1  # the older steps: evenly thinned from the first
    assert any(r.full for r in recs)  # the panels' newest display-rate step is there
    nxt = tape.read(step, 3)  # and playing on reads from there
    assert [r.step for r in nxt] == list(range(step + 1, min(step + 3, LONG) + 1))


def _sqlite_work(monkeypatch, path, rid: str, step: int) -> int:
    """SQLite virtual-machine instructions (in thousands) a seek to `step` of run `rid` costs."""
    count = [0]
    real = runstore.connect

    def counted(*args, **kwargs) -> sqlite3.Connection:
        conn = real(*args, **kwargs)
        conn.set_progress_handler(lambda: count.__setitem__(0, count[0] + 1) or 0, 1000)
        return conn

    monkeypatch.setattr(runstore, "connect", counted)
    store = runstore.RunStore(path)
    tape = RecordTape(store, rid, store.get(rid)["layer_names"])
    count[0] = 0
    tape.view(step, POINTS)
    tape.read(step, 100)
    return count[0]


def test_a_seek_reads_by_key_not_by_scanning(long_run, monkeypatch):
    short = _sqlite_work(monkeypatch, long_run, "short", 900)
    deep = _sqlite_work(monkeypatch, long_run, "long", 90_000)
    # A scan of 100,000 rows would cost ~100 times the 1,000-step record's; a lookup by key about the same.
    assert deep <= 2 * short + 50, (short, deep)
