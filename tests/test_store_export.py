"""Exports that travel: a 2,000-step, 10-layer run with histograms exported as JSON, CSV and an HTML report within
their size goals (the sizes are printed), and a JSON export imported back gives back exactly what it holds."""

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from app.ml.instrument import HIST_EDGES
from app.ml.records import StepRecord
from app.store import export, importer, report
from app.store.columns import to_f32
from app.store.runstore import RunStore
from bench.export_sizes import csv_floor
from tests.support.records import layer_names, synthetic_records

STEPS, LAYERS = 2000, 11  # 10 hidden layers and the output
GOALS = {"json": 2_000_000, "csv": 1_500_000, "html": 1_500_000}  # bytes
CONFIG = {"dataset": "spiral", "depth": 10, "width": 32, "activation": "sigmoid"}


def stored(tmp_path: Path, full_every: int) -> tuple[RunStore, str, dict]:
    """A recorded run: display-rate metrics and histograms every `full_every` steps, a boundary every 5th."""
    store = RunStore(tmp_path / "db.sqlite3")
    run = {
        "name": "sigmoid-10",
        "preset": "sigmoid-deep",
        "config": CONFIG,
        "layer_names": layer_names(LAYERS),
        "status": "finished",
        "hist_edges": [float(e) for e in HIST_EDGES],
    }
    events = [
        {"t": 1.7e9, "status": "running", "step": 0},
        {"t": 1.7e9 + 100, "status": "finished", "step": STEPS},
    ]
    rid = store.add(run, synthetic_records(STEPS, LAYERS, full_every, boundary_every=5 * full_every), events)
    return store, rid, store.get(rid)


def sizes(store: RunStore, rid: str, run: dict) -> dict[str, tuple[int, int]]:
    """(bytes, gzip bytes) of each export."""
    out = {
        "json": b"".join(export.iter_json(store, rid, run)),
        "csv": "".join(export.iter_csv(store, rid, run)).encode(),
        "html": report.render(store, [(rid, run)]).encode(),
    }
    return {k: (len(v), len(gzip.compress(v))) for k, v in out.items()}


@pytest.mark.parametrize(
    ("full_every", "what"),
    [
        (10, "recorded at full speed (a display step in 10)"),
        (1, "recorded at lecture pace (every step displayed)"),
    ],
)
def test_export_sizes(tmp_path, full_every, what):
    store, rid, run = stored(tmp_path, full_every)
    got = sizes(store, rid, run)
    print(f"\n{STEPS} steps x {LAYERS} layers with histograms, {what}:")
    for k, (raw, gz) in got.items():
        print(f"  {k:4s} {raw / 1e6:5.2f} MB (gzip {gz / 1e6:4.2f} MB)  goal <= {GOALS[k] / 1e6:.1f} MB")
    assert got["json"][0] <= GOALS["json"] and got["html"][0] <= GOALS["html"]
    if full_every > 1:
        assert got["csv"][0] <= GOALS["csv"]
    else:
        # Every step with 88 numbers: their shortest float32 texts alone, one comma each, pass the goal (no
        # decimal layout fits without dropping digits: docs/recording.md); gzip (Accept-Encoding) fits.
        count, floor = csv_floor("".join(export.iter_csv(store, rid, run)))
        print(f"  csv floor: {count} numbers at their shortest, one separator each: {floor / 1e6:.2f} MB")
        assert floor > GOALS["csv"]
        assert got["csv"][1] <= GOALS["csv"]


def as_f32(rec: StepRecord) -> tuple:
    """A step record's numbers as an f4 column keeps them (t stays float64), for comparing."""
    layers = [
        tuple(to_f32(v) if isinstance(v, float) else v for v in (getattr(lr, k) for k in lr.__slots__))
        for lr in rec.layers
    ]
    evals = tuple(to_f32(getattr(rec, k)) for k in ("train_acc", "test_acc", "test_loss"))
    return rec.step, rec.t, to_f32(rec.loss), rec.full, layers, evals, rec.boundary, rec.diverged, rec.extra


def test_a_json_export_imports_back_exactly(tmp_path):
    store, rid, run = stored(tmp_path, 3)
    first = b"".join(export.iter_json(store, rid, run))
    new_run, records, events = importer.parse(json.loads(first))
    back = store.add(new_run, records, events)
    # What was stored, at the export's float32 precision, step by step: every metric, histogram, boundary.
    names = run["layer_names"]
    assert [as_f32(r) for r in store.history(back, names)] == [as_f32(r) for r in store.history(rid, names)]
    # And the import's export is the export, byte for byte.
    assert b"".join(export.iter_json(store, back, store.get(back))) == first
    assert store.events(back) == store.events(rid)


def test_the_csv_holds_every_step_and_every_display_metric(tmp_path):
    store, rid, run = stored(tmp_path, 4)
    rows = list(csv.DictReader(io.StringIO("".join(export.iter_csv(store, rid, run)))))
    recs = list(store.history(rid, run["layer_names"]))
    assert [int(r["step"]) for r in rows] == [r.step for r in recs]
    for row, rec in zip(rows, recs, strict=True):
        for lr in rec.layers:
            assert to_f32(float(row[f"weight_grad_norm.{lr.name}"])) == to_f32(lr.weight_grad_norm)
            for k in export.CSV_METRICS[2:]:
                cell = row[f"{k}.{lr.name}"]
                assert (
                    (cell == "") if getattr(lr, k) is None else to_f32(float(cell)) == to_f32(getattr(lr, k))
                )
            cell = row[f"grad_hist.{lr.name}"]
            if lr.grad_hist is None:
                assert cell == ""
            else:
                first, counts = cell.split(":")
                hist = [0] * int(first) + [int(c) for c in counts.split()]
                assert hist + [0] * (len(lr.grad_hist) - len(hist)) == lr.grad_hist
