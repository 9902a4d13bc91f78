"""Training speed with recording vs without, measured side by side in one process.

One real Trainer takes blocks of steps, alternately with and without a Recorder fed every step (as the run
manager feeds it), in ABBA order so drift and other processes' load hit both alike. Printed: the median over
pairs of (steps/s with) / (steps/s without) (goal >= 0.95), the same including a wait at the end of each
recorded block until everything is committed (the writer keeps up, it does not just fall behind), and the
process CPU time per step (training + writer thread) with / without, which other processes' load does not skew.

    .venv/bin/python bench/record_overhead.py [--pairs 16] [--steps 150]
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
    "tiny (3x8 sigmoid, the fastest steps: the worst case)": {
        "depth": 3,
        "width": 8,
        "activation": "sigmoid",
    },
}


def block(trainer: Trainer, steps: int, recorder: Recorder | None, rid: str) -> tuple[float, float, float]:
    """(wall s, wall s incl. flush, process CPU s) for `steps` steps."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        rec = trainer.step()
        if recorder is not None:
            recorder.on_record(rid, rec)
    t1 = time.perf_counter()
    if recorder is not None:
        recorder.flush(timeout=30)
    return t1 - t0, time.perf_counter() - t0, time.process_time() - c0


def bench(overrides: dict, pairs: int, steps: int, data_dir: Path) -> dict:
    trainer = Trainer(RunConfig(max_steps=1_000_000, **overrides))
    recorder = Recorder(db_path(data_dir))
    rid = f"bench-{time.monotonic_ns()}"
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
    block(trainer, steps, recorder, rid)  # warm-up: allocator, caches, the file's first pages
    wall, flushed, cpu = [], [], []
    for p in range(pairs):
        order = (None, recorder) if p % 2 == 0 else (recorder, None)  # ABBA
        res = {id(r): block(trainer, steps, r, rid) for r in order}
        plain, rec = res[id(None)], res[id(recorder)]
        wall.append(plain[0] / rec[0])  # speed ratio = inverse time ratio
        flushed.append(plain[0] / rec[1])
        cpu.append(rec[2] / plain[2])
    written = recorder.status()["written"]
    recorder.close()
    return {
        "wall": statistics.median(wall),
        "flushed": statistics.median(flushed),
        "cpu": statistics.median(cpu),
        "spread": (min(wall), max(wall)),
        "written": written,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=16, help="pairs of blocks (with, without), ABBA order")
    parser.add_argument("--steps", type=int, default=150, help="optimizer steps per block")
    args = parser.parse_args()
    torch.set_num_threads(1)  # as a run's worker thread does
    sys.setswitchinterval(Settings().switch_interval)  # as the server sets it (RunManager.start)
    with tempfile.TemporaryDirectory() as tmp:
        for label, overrides in CONFIGS.items():
            r = bench(overrides, args.pairs, args.steps, Path(tmp))
            lo, hi = r["spread"]
            print(
                f"{label}: speed with/without recording {r['wall']:.3f} (pairs {lo:.2f}..{hi:.2f}; "
                f"incl. flush {r['flushed']:.3f}); CPU per step with/without {r['cpu']:.3f}; "
                f"{r['written']} steps written"
            )


if __name__ == "__main__":
    main()
