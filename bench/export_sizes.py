"""Export sizes of a real recorded run: a preset trained here for 2,000 steps (10 layers, histograms, boundaries),
stored as the recorder stores it, then exported as JSON, CSV and the offline HTML report.

    .venv/bin/python bench/export_sizes.py                      # sigmoid-deep, every step a display step
    .venv/bin/python bench/export_sizes.py --display-every 10   # as a run trained at full speed records it

Goals (docs/recording.md#the-json-export): JSON <= 2 MB, CSV <= 1.5 MB, HTML <= 1.5 MB. Sizes, not speed: the
figures do not depend on the machine's load.

It also prints the floor of any decimal CSV of the run: its numbers alone (no histograms, no empty cells), each
in the shortest text that reads back as the same number, plus one separator. When that floor passes the goal,
no spreadsheet-readable layout reaches it without dropping digits; gzip does.
"""

import argparse
import csv
import gzip
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ml.instrument import HIST_EDGES  # noqa: E402
from app.ml.presets import PRESETS  # noqa: E402
from app.ml.trainer import Trainer  # noqa: E402
from app.store import export_csv, export_json, report  # noqa: E402
from app.store.columns import number_text  # noqa: E402
from app.store.runstore import RunStore  # noqa: E402

GOALS = {"json": 2.0, "csv": 1.5, "html": 1.5}  # MB


def csv_floor(text: str) -> tuple[int, int, int]:
    """(numbers, bytes, bytes at float32): the CSV's non-empty number cells (histograms left out), each with one
    separator, as written and as if every one were written at float32's shortest (the least any decimal takes)."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows)
    numeric = [i for i, h in enumerate(header) if not h.startswith("grad_hist.") and h not in ("step", "t")]
    count = size = size32 = 0
    for row in rows:
        for i in numeric:
            if row[i]:
                count += 1
                size += len(row[i]) + 1
                size32 += len(number_text(float(row[i]))) + 1
    return count, size, size32


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="sigmoid-deep")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--display-every", type=int, default=1)
    args = ap.parse_args()
    config = PRESETS[args.preset].runs[0].config.model_copy(update={"max_steps": args.steps})
    trainer = Trainer(config, display_every=args.display_every, eval_every=5 * args.display_every)
    records = list(trainer)
    store = RunStore(Path(tempfile.mkdtemp()) / "db.sqlite3")
    run = {
        "name": args.preset,
        "preset": args.preset,
        "config": config.model_dump(mode="json"),
        "layer_names": trainer.layer_names,
        "status": "finished",
        "hist_edges": [float(e) for e in HIST_EDGES],
    }
    rid = store.add(run, records, [])
    run = store.get(rid)
    out = {
        "json": b"".join(export_json.iter_json(store, rid, run)),
        "csv": "".join(export_csv.iter_csv(store, rid, run)).encode(),
        "html": report.render(store, [(rid, run)]).encode(),
    }
    full = sum(r.full for r in records)
    print(f"{args.preset}: {len(records)} steps, {len(trainer.layer_names)} layers, {full} display steps")
    for k, body in out.items():
        print(
            f"  {k:4s} {len(body) / 1e6:5.2f} MB (gzip {len(gzip.compress(body)) / 1e6:4.2f} MB)"
            f"  goal <= {GOALS[k]} MB"
        )
    count, floor, floor32 = csv_floor(out["csv"].decode())
    print(
        f"  csv floor: {count} numbers, one separator each: {floor / 1e6:.2f} MB as written,"
        f" {floor32 / 1e6:.2f} MB were every one at float32's shortest"
    )


if __name__ == "__main__":
    main()
