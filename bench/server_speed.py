"""Training inside the server vs a bare PyTorch loop: steps per second, side by side, windows alternated.

A real `python -m app serve` process (recording on, its shipped priorities unless --nice0) trains one run
unthrottled (steps_per_second=0) with one websocket viewer reading every frame. In this process a bare
`nn.Sequential` loop of the same shapes (bench/support/bare_loop.py: same initial weights, same batches, torch's
default optimizer) trains on its own. They take turns: in each round the server's run is resumed for a window
while the bare loop waits, then paused while the bare loop trains for a window (the order flips every round, so
drift hits both alike). Printed: every round's steps/s and ratio, and the ratio of the medians; and, since a
machine shared with other work makes wall-clock ratios noisy, the CPU time per step of the server process (all
its threads, and its busiest thread: training) against the bare loop's, which other processes barely move.

Networks: the default one (6 x 32 ReLU, batch 64, SGD with momentum) and the lecture's 10 x 64 sigmoid (batch 128,
plain SGD), both on the spiral. Goal: >= 0.90 on both (stretch 0.95).

Run: .venv/bin/python bench/server_speed.py [--rounds 4] [--window 3] [--nice0]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import torch
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ml.config import RunConfig  # noqa: E402
from bench.support.bare_loop import BareLoop, same_losses  # noqa: E402
from bench.support.serve import server  # noqa: E402

NETWORKS = {
    "default network (6 x 32 relu, batch 64, momentum)": {},
    "10 x 64 sigmoid (batch 128, plain SGD)": {
        "depth": 10,
        "width": 64,
        "activation": "sigmoid",
        "batch_size": 128,
        "optimizer": "sgd",
    },
}
MAX_STEPS = 1_000_000  # never reached: no forced last step
SETTLE_S = 0.3  # after a resume, before a window starts counting


class Viewer(threading.Thread):
    """One websocket viewer reading every message of the run (as a browser tab would), counting frames."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.ws = connect(url, max_size=None, compression=None)
        self.frames = 0

    def run(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            for text in self.ws:
                if '"type":"frame"' in text[:40]:
                    self.frames += 1

    def close(self) -> None:
        self.ws.close()


TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of a process, from /proc (Linux)."""
    out: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            out[int(task.name)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


@dataclass
class Window:
    rate: float  # steps/s, wall clock
    cpu_per_step: float  # s of CPU per step: the whole process (server: every thread)
    top_per_step: float = 0.0  # server: the busiest thread's share (the training thread)


def server_window(client: httpx.Client, pid: int, rid: str, window: float) -> Window:
    """Resume the run, count its steps and the server's CPU time over `window` s, pause it."""
    client.post(f"/api/runs/{rid}/resume").raise_for_status()
    time.sleep(SETTLE_S)
    s0, t0 = client.get(f"/api/runs/{rid}", params={"history": "none"}).json()["step"], time.perf_counter()
    c0 = thread_cpu(pid)
    time.sleep(window)
    c1 = thread_cpu(pid)
    s1, t1 = client.get(f"/api/runs/{rid}", params={"history": "none"}).json()["step"], time.perf_counter()
    client.post(f"/api/runs/{rid}/pause").raise_for_status()
    spent = [c1[t] - c0.get(t, 0.0) for t in c1]
    steps = max(1, s1 - s0)
    return Window((s1 - s0) / (t1 - t0), sum(spent) / steps, max(spent) / steps)


def bare_window(loop: BareLoop, window: float) -> Window:
    """Train the bare loop for `window` s (a clock read every 10 steps)."""
    n, t0, c0 = 0, time.perf_counter(), time.thread_time()
    end = t0 + window
    while True:
        for _ in range(10):
            loop.step()
        n += 10
        now = time.perf_counter()
        if now >= end:
            return Window(n / (now - t0), (time.thread_time() - c0) / n)


def measure(name: str, fields: dict, rounds: int, window: float, env: dict[str, str]) -> float:
    cfg = RunConfig(max_steps=MAX_STEPS, **fields)
    assert same_losses(cfg), "the bare loop does not compute what the engine does"
    loop = BareLoop(cfg)
    bare_window(loop, 1.0)  # warm-up
    with server(**env) as (url, proc), httpx.Client(base_url=url, timeout=30) as client:
        body = {**cfg.model_dump(mode="json"), "steps_per_second": 0, "paused": True}
        rid = client.post("/api/runs", json=body).json()["id"]
        viewer = Viewer(url.replace("http", "ws") + f"/ws/runs/{rid}")
        viewer.start()
        server_window(client, proc.pid, rid, 1.0)  # warm-up
        served: list[Window] = []
        bare: list[Window] = []
        frames0 = viewer.frames
        print(f"\n{name}")
        for r in range(rounds):
            if r % 2 == 0:
                served.append(server_window(client, proc.pid, rid, window))
                bare.append(bare_window(loop, window))
            else:
                bare.append(bare_window(loop, window))
                served.append(server_window(client, proc.pid, rid, window))
            a, b = served[-1], bare[-1]
            print(
                f"  round {r + 1}: server {a.rate:7.0f} steps/s   bare {b.rate:7.0f} steps/s   ratio {a.rate / b.rate:.3f}"
                f"   | CPU per step: server {a.cpu_per_step * 1e6:6.0f} us (training thread {a.top_per_step * 1e6:.0f}),"
                f" bare {b.cpu_per_step * 1e6:6.0f} us"
            )
        frames = viewer.frames - frames0
        viewer.close()
    med = statistics.median
    ratio = med(w.rate for w in served) / med(w.rate for w in bare)
    cpu = med(w.cpu_per_step for w in bare) / med(w.cpu_per_step for w in served)
    top = med(w.cpu_per_step for w in bare) / med(w.top_per_step for w in served)
    print(
        f"  median: server {med(w.rate for w in served):.0f}, bare {med(w.rate for w in bare):.0f} steps/s"
        f"   ratio of medians {ratio:.3f}   (goal >= 0.90; the viewer got {frames} frames)"
    )
    print(
        f"  by CPU time (load-proof): bare's CPU per step / the server's {cpu:.3f} (all its threads),"
        f" / its training thread's {top:.3f}"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--window", type=float, default=3.0, help="seconds per window")
    parser.add_argument(
        "--nice0",
        action="store_true",
        help="GRADCAST_TRAINING_NICE=0 and GRADCAST_SESSION_NICE=0 (the server's own priority for training)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the server's training threads (GRADCAST_TORCH_THREADS=1)
    env = {"GRADCAST_RECORD": "true"}
    if args.nice0:
        env |= {"GRADCAST_TRAINING_NICE": "0", "GRADCAST_SESSION_NICE": "0"}
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes add noise)"
    )
    print(f"{args.rounds} rounds of {args.window:g} s windows, server and bare loop alternated; {env}")
    for name, fields in NETWORKS.items():
        measure(name, fields, args.rounds, args.window, env)
    print(f"load average now: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
