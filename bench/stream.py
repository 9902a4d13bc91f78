"""Streaming benchmark on loopback, against real `python -m app serve` processes, figures side by side.

1. Step-to-client latency at 30 frames/s: client receive time minus the frame's "t" (server time when that step's
   metrics were taken), p50/p99, while a second run trains unthrottled beside it (the event loop competes with
   training threads for the GIL). Measured with Python's default GIL switch interval (5 ms) and ours (1 ms).
   Goal: p50 <= 30 ms, p99 <= 100 ms.
2. Unthrottled training steps/s of one run with 0, 1, 50, 200 viewers, as a ratio to 0 viewers (rounds of
   windows in rotating order; the median ratio to the same round's 0-viewer window).
   The viewers run in this process and only count messages; the server is pinned to CPU 0 and the viewers to
   CPU 1 (--no-pin: both float), so the ratio shows the server's own cost of fanning out.
   Goal: >= 0.8 at 200.
3. Server RSS after 100k steps minus after 1k steps of a small unthrottled run (history bounded). Goal <= 20 MB.

Run: .venv/bin/python bench/stream.py          (about 4 minutes; --quick for a shorter, noisier pass)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.serve import WATCHED, server  # noqa: E402

SMALL = {"dataset": "spiral", "depth": 1, "width": 4, "n_samples": 50, "batch_size": 8}


def rss_mb(proc: subprocess.Popen) -> float:
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def create(url: str, **body) -> str:
    r = httpx.post(url + "/api/runs", json=body, timeout=30)
    r.raise_for_status()
    return r.json()["id"]


def step_of(url: str, rid: str) -> int:
    return httpx.get(f"{url}/api/runs/{rid}", params={"history": "none"}, timeout=30).json()["step"]


# ---- 1. latency -------------------------------------------------------------------------------------------


async def _latencies(ws_url: str, seconds: float) -> list[float]:
    out: list[float] = []
    async with websockets.connect(ws_url, max_size=None, compression=None) as ws:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            text = await asyncio.wait_for(ws.recv(), 5)
            now = time.time()
            msg = json.loads(text)
            if msg["type"] == "frame":
                out.append((now - msg["t"]) * 1000)
    return out[5:]  # the first frames include connection set-up


def latency(switch_interval: str, seconds: float) -> list[float]:
    """Milliseconds from each step's metrics to a client's receive, for one server process."""
    with server(GRADCAST_SWITCH_INTERVAL=switch_interval) as (url, _):
        create(url, **WATCHED, steps_per_second=0)  # the busy neighbour
        rid = create(url, **WATCHED, steps_per_second=30)
        return asyncio.run(_latencies(url.replace("http", "ws") + f"/ws/runs/{rid}", seconds))


def quantiles(ms: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(ms, n=100)
    return q[49], q[98]


# ---- 2. steps/s against viewers ---------------------------------------------------------------------------


async def _throughput(url: str, rid: str, rounds: int, window: float) -> dict[int, list[float]]:
    """Steps/s per viewer count, in rounds whose order rotates; each round's figures are ratios to its own 0."""
    ws_url = url.replace("http", "ws") + f"/ws/runs/{rid}"
    conns: list = []
    tasks: list[asyncio.Task] = []
    received = 0  # messages delivered to all viewers

    async def drain(ws) -> None:
        nonlocal received
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in ws:
                received += 1

    async def steps() -> int:
        async with httpx.AsyncClient() as c:
            r = await c.get(f"{url}/api/runs/{rid}", params={"history": "none"}, timeout=30)
            return r.json()["step"]

    ratios: dict[int, list[float]] = {n: [] for n in COUNTS}
    rates: dict[int, list[float]] = {n: [] for n in COUNTS}
    delivered: dict[int, list[float]] = {n: [] for n in COUNTS}
    await asyncio.sleep(2.0)  # warm-up: the first steps of a run are slower
    for r in range(rounds):
        order = COUNTS[r % len(COUNTS) :] + COUNTS[: r % len(COUNTS)]
        found: dict[int, float] = {}
        for n in order:
            while len(conns) > n:
                await conns.pop().close()
                tasks.pop().cancel()
            while len(conns) < n:
                ws = await websockets.connect(ws_url, max_size=None, compression=None)
                conns.append(ws)
                tasks.append(asyncio.create_task(drain(ws)))
            await asyncio.sleep(0.3)  # settle
            s0, r0, t0 = await steps(), received, time.monotonic()
            await asyncio.sleep(window)
            s1, r1, t1 = await steps(), received, time.monotonic()
            found[n] = (s1 - s0) / (t1 - t0)
            delivered[n].append((r1 - r0) / (t1 - t0))
        for n in COUNTS:
            rates[n].append(found[n])
            ratios[n].append(found[n] / found[0])
    for ws in conns:
        await ws.close()
    return {n: [statistics.median(x) for x in (rates[n], ratios[n], delivered[n])] for n in COUNTS}


COUNTS = [0, 1, 50, 200]


def throughput(rounds: int, window: float, pin: bool) -> dict[int, list[float]]:
    """With pin: the server on CPU 0 and the viewers (this process) on CPU 1, so the ratio shows the server's
    own cost of fan-out rather than the viewers' parsing competing for the same core."""
    mine = os.sched_getaffinity(0)
    with server(cpus={0} if pin else None, GRADCAST_MAX_VIEWERS="1000") as (url, _):
        rid = create(url, **WATCHED, steps_per_second=0)
        if pin:
            os.sched_setaffinity(0, {1})
        try:
            return asyncio.run(_throughput(url, rid, rounds, window))
        finally:
            os.sched_setaffinity(0, mine)


# ---- 3. memory over a long run ----------------------------------------------------------------------------


def memory(total: int) -> tuple[float, float, float, float]:
    with server() as (url, proc):
        rid = create(url, **SMALL, steps_per_second=0, max_steps=total)
        start = time.monotonic()
        while step_of(url, rid) < 1000:
            time.sleep(0.05)
        early = rss_mb(proc)
        while (s := httpx.get(f"{url}/api/runs/{rid}", params={"history": "none"}).json())[
            "status"
        ] == "running":
            time.sleep(0.5)
        late = rss_mb(proc)
        assert s["step"] == total, s
        return early, late, late - early, total / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows and 20k steps (noisier)")
    parser.add_argument("--no-pin", action="store_true", help="part 2: leave server and viewers unpinned")
    args = parser.parse_args()
    quick = args.quick
    seconds, pairs, rounds, window, total = (4.0, 1, 3, 1.0, 20_000) if quick else (6.0, 3, 8, 1.5, 100_000)
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes add noise)"
    )

    print(
        f"1. step-to-client latency at 30 frames/s beside an unthrottled run ({pairs} A/B pairs of {seconds:g} s)"
    )
    pooled: dict[str, list[float]] = {"0.005": [], "0.001": []}
    for _ in range(pairs):
        for interval in pooled:
            pooled[interval] += latency(interval, seconds)
    for label, interval in (("Python default 0.005 s", "0.005"), ("GradCast 0.001 s", "0.001")):
        p50, p99 = quantiles(pooled[interval])
        n = len(pooled[interval])
        print(f"   switch interval {label:24s} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({n} frames)")

    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    where = "server on CPU 0, viewers on CPU 1" if pin else "unpinned"
    print(
        f"2. unthrottled steps/s with viewers ({where}; median of {rounds} rounds of {window:g} s, rotating)"
    )
    for n, (rate, ratio, msgs) in throughput(rounds, window, pin).items():
        print(
            f"   {n:3d} viewers: {rate:6.0f} steps/s   ratio {ratio:4.2f}   ({msgs:5.0f} messages/s delivered)"
        )

    print(f"load average now: {os.getloadavg()[0]:.1f}")
    print(f"3. server memory over a {total:,}-step unthrottled run")
    early, late, diff, rate = memory(total)
    print(
        f"   RSS after 1k steps {early:.1f} MB, after {total // 1000}k steps {late:.1f} MB:"
        f" difference {diff:+.1f} MB   ({rate:.0f} steps/s)"
    )


if __name__ == "__main__":
    main()
