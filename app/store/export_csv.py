"""A recorded run as CSV: one row per step, `metric.layer` columns (docs/recording.md), streamed in pieces.

Each number column is written at the precision the JSON export gives it (float32 where every value is one, else
float64; app/store/columns.py), so both hold exactly what is stored.
"""

import csv
import io
from collections.abc import Iterator

from app.ml.records import DISPLAY_LAYER_METRICS
from app.store.columns import is_f32, number_text, trim_hist
from app.store.runstore import RunStore

CSV_METRICS = ("weight_grad_norm", "bias_grad_norm", *DISPLAY_LAYER_METRICS)
CSV_STEP = ("step", "t", "loss", "train_acc", "test_acc", "test_loss")
EXPORT_CHUNK = 500  # CSV rows per yielded piece


def _cell(v: float | None, dtype: str) -> str:
    """Empty for absent; else the shortest text of v at the column's precision (columns.number_text)."""
    return "" if v is None else number_text(v, dtype)


def _hist_cell(counts: list[int] | None) -> str:
    """A layer's histogram in one cell: "first:count count ..", the bins before `first` and after the last
    count being 0 (docs/recording.md)."""
    trimmed = trim_hist(counts)
    if trimmed is None:
        return ""
    return f"{trimmed[0]}:" + " ".join(map(str, trimmed[1:]))


def csv_columns(layer_names: list[str]) -> list[str]:
    """step, t, loss, accuracies, `metric.layer` for each per-layer metric, then `grad_hist.layer` (input -> output)."""
    return (
        list(CSV_STEP)
        + [f"{m}.{name}" for m in CSV_METRICS for name in layer_names]
        + [f"grad_hist.{name}" for name in layer_names]
    )


def precisions(store: RunStore, rid: str, names: list[str]) -> dict[str, str]:
    """Each number column's dtype in the JSON export: "f4" when every value of it is a float32, else "f8" (the CSV
    writes each at the same precision, so both hold exactly what is stored)."""
    keys = [*CSV_STEP[2:], *CSV_METRICS]
    f64: set[str] = set()
    for rec in store.history(rid, names):
        for k in keys:
            if k in f64:
                continue
            values = [getattr(rec, k)] if k in CSV_STEP else [getattr(lr, k) for lr in rec.layers]
            if not all(is_f32(v) for v in values):
                f64.add(k)
    return {k: "f8" if k in f64 else "f4" for k in keys}


def iter_csv(store: RunStore, rid: str, run: dict) -> Iterator[str]:
    """One header line, then one line per recorded step (display-rate cells empty between display steps). The
    history is read twice: once for each column's precision, once for the rows."""
    names = run["layer_names"]
    dtype = precisions(store, rid, names)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_columns(names))
    for i, rec in enumerate(store.history(rid, names), 1):
        row = [rec.step, number_text(rec.t, "f8")] + [_cell(getattr(rec, k), dtype[k]) for k in CSV_STEP[2:]]
        if not rec.layers:  # a step whose gradients were not read: its loss only
            row += [""] * ((len(CSV_METRICS) + 1) * len(names))
        for m in CSV_METRICS:
            row += [_cell(getattr(lr, m), dtype[m]) for lr in rec.layers]
        row += [_hist_cell(lr.grad_hist) for lr in rec.layers]
        writer.writerow(row)
        if i % EXPORT_CHUNK == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
