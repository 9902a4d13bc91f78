"""Seeking a replay of a 100,000-step record, end to end: POST /api/runs/{id}/seek until the snapshot of that step
reaches a websocket viewer, against a real server on loopback.

    .venv/bin/python bench/seek.py

Side by side in one run: the same record's history up to the step read by a scan (every row, as an export does)
instead of by key. Goal: every seek under 0.5 s. Figures need a quiet machine: check `uptime`.
"""

import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.store.runstore import RunStore  # noqa: E402
from app.store.schema import db_path  # noqa: E402
from tests.support.records import write_long_run  # noqa: E402
from tests.support.server import live_server  # noqa: E402

STEPS = 100_000
SEEKS = 12


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    path = db_path(tmp / "data")
    path.parent.mkdir(parents=True)
    t0 = time.perf_counter()
    write_long_run(path, "long", STEPS)
    print(f"wrote a {STEPS:,}-step, 10-layer record in {time.perf_counter() - t0:.1f} s")
    rng = random.Random(0)
    targets = [rng.randrange(1, STEPS + 1) for _ in range(SEEKS)]
    with live_server(tmp, record=True) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        run = c.post("/api/records/long/replay", params={"steps_per_second": 20}).json()
        c.post(f"/api/runs/{run['id']}/pause")
        seek_s = []
        with connect(f"{srv.ws_url}/ws/runs/{run['id']}", max_size=None) as ws:
            ws.recv(timeout=10)  # the first snapshot
            for step in targets:
                t = time.perf_counter()
                r = c.post(f"/api/runs/{run['id']}/seek", json={"step": step})
                assert r.status_code == 200, r.text
                while True:
                    m = json.loads(ws.recv(timeout=10))
                    if m["type"] == "snapshot":
                        break
                seek_s.append(time.perf_counter() - t)
                assert m["runs"][0]["history"][-1]["step"] == step
    store = RunStore(path)
    names = store.get("long")["layer_names"]
    scan_s = []
    for step in targets[:3]:
        t = time.perf_counter()
        for rec in store.history("long", names):
            if rec.step >= step:
                break
        scan_s.append(time.perf_counter() - t)
    print(
        f"seek (POST until the viewer has the snapshot), {SEEKS} random steps: median {statistics.median(seek_s):.3f} s,"
        f" max {max(seek_s):.3f} s (goal < 0.5 s)"
    )
    print(
        f"reading the history up to the step by a scan instead: median {statistics.median(scan_s):.3f} s"
        f" ({statistics.median(scan_s) / statistics.median(seek_s):.1f}x the seek)"
    )


if __name__ == "__main__":
    main()
