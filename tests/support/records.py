"""Long recorded runs made quickly: rows written straight into a store's database (no training, no recorder)."""

import json
import random
import time
from array import array
from pathlib import Path

from app.ml.records import LayerRecord, StepRecord
from app.store import codec
from app.store.runstore import RunStore
from app.store.schema import INSERT_RUN, INSERT_STEP, connect

BINS = 28  # gradient-histogram bins (app/ml/instrument.py)


def layer_names(n: int) -> list[str]:
    return [f"layer{i}" for i in range(1, n)] + ["output"]


def step_record(step: int, names: list[str], full: bool, rng: random.Random) -> StepRecord:
    """One plausible step: gradients shrinking toward the input, every metric on a display-rate step. Numbers are
    float32 values, as the trainer's (torch measures in float32), except update_ratio, a float64 quotient."""

    def f32(v: float) -> float:
        return array("f", [v])[0]

    layers = []
    for i, name in enumerate(names):
        scale = 10.0 ** (i - len(names))
        lr = LayerRecord(
            name,
            weight_grad_norm=f32(scale * rng.uniform(0.5, 2)),
            bias_grad_norm=f32(scale * rng.random()),
        )
        if full:
            lr.act_grad_norm = f32(scale * rng.uniform(1, 3))
            lr.mean_act_deriv = f32(rng.uniform(0.15, 0.25))
            lr.weight_norm = f32(rng.uniform(2, 4))
            lr.update_ratio = rng.uniform(1e-6, 1e-2)
            lr.saturated_frac = rng.choice([0.0, 0.0, 0.03125, 0.0625])
            lr.dead_frac = None if name == "output" else 0.0
            lo = rng.randrange(0, BINS - 8)
            lr.grad_hist = [0] * lo + [rng.randrange(0, 400) for _ in range(7)] + [0] * (BINS - lo - 7)
        layers.append(lr)
    rec = StepRecord(
        step=step, loss=f32(rng.uniform(0.1, 0.7)), layers=layers, full=full, t=1.7e9 + step / 20
    )
    if full and step % 5 == 0:
        rec.train_acc, rec.test_acc, rec.test_loss = f32(rng.random()), f32(rng.random()), f32(rng.random())
    return rec


GRID = 40  # boundary cells per axis (app/ml/evaluate.py)


def boundary(step: int) -> dict:
    """A 2-D decision boundary: two classes split by a line that turns as training goes on."""
    axis = [-1.5 + 3 * i / (GRID - 1) for i in range(GRID)]
    slope = 1 + step / 500
    return {"x": axis, "y": axis, "z": [[int(y > slope * x) for x in axis] for y in axis]}


def synthetic_records(
    steps: int, layers: int, full_every: int = 1, seed: int = 0, boundary_every: int = 0
) -> list[StepRecord]:
    """`steps` step records of a `layers`-layer network, every `full_every`-th (and the first) display-rate;
    with a decision boundary on every `boundary_every`-th display step (0: none: not 2-D data)."""
    rng = random.Random(seed)
    names = layer_names(layers)
    out = []
    for s in range(1, steps + 1):
        full = s == 1 or s % full_every == 0
        rec = step_record(s, names, full, rng)
        if full and boundary_every and s % boundary_every == 0:
            rec.train_acc, rec.test_acc, rec.test_loss = (array("f", [rng.random()])[0] for _ in range(3))
            rec.boundary = boundary(s - s % 25)  # the same grid for 25 steps: stored once
        out.append(rec)
    return out


def write_long_run(path: Path, rid: str, steps: int, layers: int = 10, full_every: int = 10) -> dict:
    """A finished run of `steps` steps written row by row; a few distinct step rows are repeated with new step
    numbers, so 100,000 steps take a second or two. Returns the run dict as RunStore.get gives it."""
    store = RunStore(path)
    names = layer_names(layers)
    rng = random.Random(1)
    templates = [
        codec.to_row(rid, step_record(1, names, True, rng)),
        codec.to_row(rid, step_record(2, names, False, rng)),
    ]
    run = {"name": rid, "config": {}, "layer_names": names, "status": "finished"}
    conn = connect(path)
    try:
        conn.execute("BEGIN")
        conn.execute(INSERT_RUN, codec.run_row(rid, run, steps=steps, now=time.time(), external=False))
        rows = (
            (
                rid,
                s,
                1.7e9 + s / 20,
                0.5 + (s % 7) / 100,
                *templates[0 if s == 1 or s % full_every == 0 else 1][4:],
            )
            for s in range(1, steps + 1)
        )
        conn.executemany(INSERT_STEP, rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
    out = store.get(rid)
    assert out is not None and json.dumps(out)
    return out
