"""GET /healthz latency while 8 clients create and delete runs and 50 viewers watch, on loopback.

A real `python -m app serve` process (recording on) trains the lecture's comparison (the preset
sigmoid-vs-relu-vs-leaky-relu, 3 runs at 20 steps/s) with 50 websocket viewers on it, while 8 clients each create
a run (default network, 20 steps/s), read it, and delete it, over and over. The load runs in a child process;
this one asks /healthz every 20 ms on its own keep-alive connection and times each answer, so the figure is the
server's and not the load generator's. The server runs in a session of its own, as one started from a terminal. Every loop is bounded in count and in time.
Printed: p50, p99 and max of the /healthz answers, and how many runs were created and deleted. Goal: p99 <= 100 ms.

Run: .venv/bin/python bench/health_under_load.py [--seconds 30] [--clients 8] [--viewers 50] [--nice0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.serve import server  # noqa: E402

PROBE_INTERVAL_S = 0.02
MAX_CYCLES = 10_000  # per client: a bound on the create/delete loop whatever the duration


async def _viewer(url: str, stop: float, counts: dict) -> None:
    with contextlib.suppress(websockets.ConnectionClosed, OSError, TimeoutError):
        async with websockets.connect(url, max_size=None, compression=None, open_timeout=30) as ws:
            while time.monotonic() < stop:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ws.recv(), 1.0)
                    counts["messages"] += 1


async def _client(base: str, stop: float, counts: dict) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        for _ in range(MAX_CYCLES):
            if time.monotonic() >= stop:
                return
            r = await c.post("/api/runs", json={"steps_per_second": 20})
            if r.status_code != 201:
                counts[f"create {r.status_code}"] = counts.get(f"create {r.status_code}", 0) + 1
                await asyncio.sleep(0.1)
                continue
            rid = r.json()["id"]
            counts["created"] += 1
            await asyncio.sleep(0.2)
            (await c.get(f"/api/runs/{rid}")).raise_for_status()
            (await c.delete(f"/api/runs/{rid}")).raise_for_status()
            counts["deleted"] += 1


async def _load(base: str, group: str, seconds: float, clients: int, viewers: int, out) -> None:
    stop = time.monotonic() + seconds
    counts = {"messages": 0, "created": 0, "deleted": 0}
    ws_url = base.replace("http", "ws") + f"/ws/groups/{group}"
    tasks = [asyncio.create_task(_viewer(ws_url, stop, counts)) for _ in range(viewers)]
    tasks += [asyncio.create_task(_client(base, stop, counts)) for _ in range(clients)]
    await asyncio.gather(*tasks)
    out.put(counts)


def load_process(base: str, group: str, seconds: float, clients: int, viewers: int, out) -> None:
    asyncio.run(_load(base, group, seconds, clients, viewers, out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument(
        "--nice0",
        action="store_true",
        help="GRADCAST_TRAINING_NICE=0 and GRADCAST_SESSION_NICE=0 (the shipped niceness yields to other sessions)",
    )
    args = parser.parse_args()
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes add noise)"
    )
    env = {"GRADCAST_RECORD": "true", "GRADCAST_MAX_RUNNING_RUNS": str(args.clients + 4)}
    if args.nice0:
        env |= {"GRADCAST_TRAINING_NICE": "0", "GRADCAST_SESSION_NICE": "0"}
    print(f"{args.clients} clients creating and deleting runs, {args.viewers} viewers; {env}")
    # The server in a session of its own (as when started from another terminal): its lowered session priority
    # then applies to it alone, not to the clients and the prober in this one.
    with server(new_session=True, **env) as (base, _), httpx.Client(base_url=base, timeout=30) as probe:
        group = probe.post("/api/presets/sigmoid-vs-relu-vs-leaky-relu/runs").json()["group"]
        out = multiprocessing.get_context("spawn").Queue()
        child = multiprocessing.get_context("spawn").Process(
            target=load_process, args=(base, group, args.seconds, args.clients, args.viewers, out)
        )
        child.start()
        time.sleep(2.0)  # viewers connected, clients under way
        times: list[float] = []
        end = time.monotonic() + args.seconds - 3.0
        while time.monotonic() < end and len(times) < 100_000:
            t0 = time.perf_counter()
            probe.get("/healthz").raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
            time.sleep(max(0.0, PROBE_INTERVAL_S - (time.perf_counter() - t0)))
        counts = out.get(timeout=60)
        child.join(30)
    q = statistics.quantiles(times, n=100)
    print(
        f"/healthz over {len(times)} requests: p50 {q[49]:.1f} ms   p99 {q[98]:.1f} ms   max {max(times):.1f} ms"
        "   (goal: p99 <= 100 ms)"
    )
    print(f"load: {counts}")
    print(f"load average now: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
