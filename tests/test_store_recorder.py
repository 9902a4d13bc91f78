"""Recorder + RunStore: a restart keeps runs and their history identical; a crash loses at most one batch."""

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import torch

from app.live.messages import step_dict
from app.ml.config import RunConfig
from app.ml.records import LayerRecord, StepRecord
from app.ml.trainer import Trainer
from app.store.recorder import Recorder
from app.store.runstore import RunStore
from app.store.schema import db_path

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]
SMALL = {"depth": 3, "width": 8, "n_samples": 200, "activation": "sigmoid", "max_steps": 120}


def run_info(rid: str, trainer: Trainer, **kw) -> dict:
    """The protocol's run dict, as the run manager hands it to on_create."""
    return {
        "id": rid,
        "name": kw.get("name", rid),
        "preset": kw.get("preset"),
        "group": None,
        "status": "created",
        "config": trainer.config.model_dump(mode="json"),
        "layer_names": trainer.layer_names,
        "hist_edges": trainer.hist_edges,
        "created": time.time(),
    }


def record_run(rec: Recorder, rid: str, cfg: RunConfig, **kw) -> list[StepRecord]:
    """Train cfg for real, feeding the recorder as the run manager does; returns what the trainer yielded."""
    trainer = Trainer(cfg)
    rec.on_create(run_info(rid, trainer, **kw))
    rec.on_status(rid, "running", 0, None)
    out = []
    for step in trainer:
        rec.on_record(rid, step)
        out.append(step)
    rec.on_status(rid, "finished", trainer.step_count, None)
    return out


def test_restart_keeps_runs_and_history_identical(tmp_path):
    path = db_path(tmp_path)
    rec = Recorder(path)
    a = record_run(rec, "a", RunConfig(**SMALL), preset="vanishing")
    b = record_run(rec, "b", RunConfig(**{**SMALL, "activation": "relu", "seed": 3}), name="relu run")
    rec.close()  # the server stops
    assert rec.status()["written"] == len(a) + len(b)

    store = RunStore(path)  # a new process would open exactly this
    by_id = {r["id"]: r for r in store.list_runs()}
    assert set(by_id) == {"a", "b"}
    assert by_id["a"]["steps"] == len(a) == SMALL["max_steps"] and by_id["a"]["status"] == "finished"
    assert by_id["a"]["preset"] == "vanishing" and by_id["b"]["name"] == "relu run"
    for rid, trained in (("a", a), ("b", b)):
        run = store.get(rid)
        assert run["config"] == RunConfig(**run["config"]).model_dump(mode="json")
        assert run["hist_edges"] == Trainer.hist_edges
        stored = list(store.history(rid, run["layer_names"]))
        # Bit for bit: every number of every step, display metrics and boundary included.
        assert [step_dict(s) for s in stored] == [step_dict(s) for s in trained]
        assert [s.full for s in stored] == [s.full for s in trained]
        assert [e["status"] for e in store.events(rid)] == ["running", "finished"]
    # The stuck sigmoid net's repeated boundary was stored once, then as a mark.
    with sqlite3.connect(path) as conn:
        marks = conn.execute("SELECT count(*) FROM steps WHERE metrics LIKE '%boundary_same%'").fetchone()[0]
    assert marks > 0
    assert [r["id"] for r in store.list_runs("relu")] == ["b"]  # search by activation
    assert [r["id"] for r in store.list_runs("vanish")] == ["a"]  # search by preset


def test_nonfinite_and_reset_are_kept(tmp_path):
    """A diverged step keeps NaN and inf apart from null-on-the-wire; a reset starts the history over."""
    path = db_path(tmp_path)
    rec = Recorder(path)
    names = ["layer1", "output"]
    rec.on_create({"id": "x", "name": "x", "config": {}, "layer_names": names, "status": "created"})

    def step(n: int, loss: float, w: float) -> StepRecord:
        return StepRecord(
            n, loss, [LayerRecord("layer1", w, 1.0), LayerRecord("output", 2.0, None)], t=float(n)
        )

    for n in (1, 2, 3):
        rec.on_record("x", step(n, 0.5, 1e-3 * n))
    rec.on_record("x", step(1, 0.7, 5.0))  # reset: step 1 again
    rec.on_record("x", step(2, math.nan, math.inf))
    assert rec.flush()
    stored = list(RunStore(path).history("x", names))
    assert [s.step for s in stored] == [1, 2]
    assert stored[0].loss == 0.7 and math.isnan(stored[1].loss)
    assert stored[1].layers[0].weight_grad_norm == math.inf
    assert stored[1].layers[1].bias_grad_norm is None and stored[1].layers[0].bias_grad_norm == 1.0
    rec.close()


def test_runs_left_live_by_a_dead_process_are_marked_stopped(tmp_path):
    path = db_path(tmp_path)
    rec = Recorder(path)
    rec.on_create({"id": "x", "name": "x", "config": {}, "layer_names": ["output"], "status": "created"})
    rec.on_status("x", "running", 0)
    rec.close()
    assert RunStore(path).get("x")["status"] == "running"
    Recorder(path).close()  # the next server start
    run = RunStore(path).get("x")
    assert run["status"] == "stopped" and "server stopped" in run["reason"]
    assert [e["status"] for e in RunStore(path).events("x")] == ["running", "stopped"]


CHILD = """
import sys, time, torch
torch.set_num_threads(1)
from app.ml.config import RunConfig
from app.ml.trainer import Trainer
from app.store.recorder import Recorder
rec = Recorder(sys.argv[1], flush_interval=0.25)
trainer = Trainer(RunConfig(depth=3, width=8, n_samples=200, max_steps=100000))
rec.on_create({"id": "k", "name": "killed", "config": trainer.config.model_dump(mode="json"),
               "layer_names": trainer.layer_names, "status": "created"})
rec.on_status("k", "running", 0)
for step in trainer:
    rec.on_record("k", step)
    print(step.step, repr(step.loss), time.monotonic(), flush=True)
    time.sleep(0.003)  # pacing: ~250 steps/s, a fast live run (500 steps: ~2 s, 8 flush intervals)
"""


def test_sigkill_loses_at_most_the_last_batch(tmp_path):
    """Kill a process that trains and records; the file opens and holds every step up to the last batch."""
    path = db_path(tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    trained: dict[int, tuple[str, float]] = {}
    deadline = time.monotonic() + 40
    try:
        for line in child.stdout:  # bounded: the deadline below, and the child's own max_steps
            n, loss, t = line.split()
            trained[int(n)] = (loss, float(t))
            if int(n) >= 500 or time.monotonic() > deadline:
                break
        os.kill(child.pid, signal.SIGKILL)
        killed_at = time.monotonic()
    finally:
        child.kill()
        child.wait(10)
    assert len(trained) >= 500, "the child did not train 500 steps in 40 s"

    store = RunStore(path)  # the file is intact: it opens and answers
    run = store.get("k")
    assert run is not None and run["status"] == "running"
    stored = list(store.history("k", run["layer_names"]))
    steps = [s.step for s in stored]
    assert steps == list(range(1, len(steps) + 1)), "recorded steps must be a gap-free prefix"
    for s in stored:  # what was written is exactly what was trained
        assert repr(s.loss) == trained[s.step][0]
    # Every step trained more than one flush interval (+ 0.75 s for a loaded machine) before the kill is there.
    old = [n for n, (_, t) in trained.items() if t < killed_at - 0.25 - 0.75]
    assert old and max(old) <= len(steps), f"lost steps up to {max(old)}, only {len(steps)} recorded"
    assert run["steps"] == len(steps)
    assert json.loads(json.dumps(run["config"]))["depth"] == 3
