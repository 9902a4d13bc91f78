"""Training speed with recording vs without, measured side by side in one process.

Alternates blocks of real Trainer steps with and without a Recorder fed every step (as the run manager does),
and prints median steps/s of each and their ratio (goal >= 0.95). "incl. flush" also waits, at the end of each
recorded block, until everything is committed: the writer keeps up, it does not just fall behind.

    .venv/bin/python bench/record_overhead.py [--blocks 12] [--steps 300]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ml.config import RunConfig  # noqa: E402
from app.ml.trainer import Trainer  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store.recorder import Recorder  # noqa: E402
from app.store.schema import db_path  # noqa: E402

CONFIGS = {
    "default (spiral, 6x32 relu)": {},
    "tiny (3x8 sigmoid): the fastest steps, the worst case": {
        "depth": 3,
        "width": 8,
        "activation": "sigmoid",
    },
}


def bench(overrides: dict, blocks: int, steps: int, data_dir: Path) -> tuple[float, float, float, int]:
    """(median steps/s without, with, with incl. flush, steps recorded) over interleaved blocks."""
    trainer = Trainer(RunConfig(max_steps=1_000_000, **overrides))
    recorder = Recorder(db_path(data_dir))
    rid = "bench-" + str(time.monotonic_ns())
    recorder.on_create(
        {
            "id": rid,
            "name": rid,
            "config": trainer.config.model_dump(mode="json"),
            "layer_names": trainer.layer_names,
            "status": "created",
        }
    )
    recorder.on_status(rid, "running", 0)
    recorder.flush()
    for _ in range(steps):  # warm-up: allocator, caches, first display steps
        trainer.step()
    plain, recorded, flushed = [], [], []
    for b in range(2 * blocks):
        record = b % 2 == 1
        t0 = time.perf_counter()
        for _ in range(steps):
            rec = trainer.step()
            if record:
                recorder.on_record(rid, rec)
        t1 = time.perf_counter()
        if record:
            recorder.flush(timeout=30)
            recorded.append(steps / (t1 - t0))
            flushed.append(steps / (time.perf_counter() - t0))
        else:
            plain.append(steps / (t1 - t0))
    written = recorder.status()["written"]
    recorder.close()
    return statistics.median(plain), statistics.median(recorded), statistics.median(flushed), written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=12, help="blocks of each kind, interleaved")
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps per block")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as a run's worker thread does
    sys.setswitchinterval(Settings().switch_interval)  # as the server sets it (RunManager.start)
    with tempfile.TemporaryDirectory() as tmp:
        for label, overrides in CONFIGS.items():
            plain, rec, flushed, written = bench(overrides, args.blocks, args.steps, Path(tmp))
            print(
                f"{label}: {plain:.0f} steps/s without, {rec:.0f} with recording "
                f"-> ratio {rec / plain:.3f} (incl. flush {flushed / plain:.3f}); {written} steps written"
            )


if __name__ == "__main__":
    main()
