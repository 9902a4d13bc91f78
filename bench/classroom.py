"""Classroom benchmark on loopback: one presenter, N followers on /ws/stage, a run training beside them.

A real `python -m app serve` in lecture mode trains one run unthrottled. The presenter (this process) publishes a
stage change (POST /api/stage with the token) every PUBLISH_EVERY seconds (--publish-every); N followers (websocket clients in
this process) each note when every stage arrives. For N = 0, 50, 200, 500, in rounds whose order rotates:
1. stage change -> follower receipt: time from just before the POST to each follower's receive (one clock:
   this process's), p50 and p99 over every follower and every change. Goal: p99 <= 1 s at 500 followers.
2. training steps/s while they follow, divided by steps/s with no followers in the same round (the presenter
   publishes in both). Goal: >= 0.8.
The server is pinned to CPU 0 and the clients to CPU 1 (--no-pin: both float), as in bench/stream.py.

Run: .venv/bin/python bench/classroom.py          (about 2 minutes; --quick for a shorter, noisier pass)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support.serve import WATCHED, server  # noqa: E402

TOKEN = "classroom-bench-token"
COUNTS = [0, 50, 200, 500]
PUBLISH_EVERY = (
    1.0  # s between stage changes: a busy presenter (the walkthrough steps every 0.9 s when it plays)
)


class Followers:
    """N open /ws/stage sockets; each notes (seq, monotonic time) of every stage it receives."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.conns: list = []
        self.tasks: list[asyncio.Task] = []
        self.logs: list[list[tuple[int, float]]] = []

    async def resize(self, n: int) -> None:
        while len(self.conns) > n:
            await self.conns.pop().close()
            self.tasks.pop().cancel()
            self.logs.pop()
        while len(self.conns) < n:
            ws = await websockets.connect(self.ws_url, max_size=None, compression=None, open_timeout=30)
            log: list[tuple[int, float]] = []
            self.conns.append(ws)
            self.logs.append(log)
            self.tasks.append(asyncio.create_task(self._read(ws, log)))

    @staticmethod
    async def _read(ws, log: list[tuple[int, float]]) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in ws:
                log.append((json.loads(text)["seq"], time.monotonic()))

    def latencies(self, sent: dict[int, float]) -> list[float]:
        """Per follower and published seq: the first receipt of that seq or a newer one, minus its send time."""
        out: list[float] = []
        for log in self.logs:
            for seq, at in sent.items():
                got = next((t for s, t in log if s >= seq), None)
                out.append(float("inf") if got is None else at_ms(got - at))
        return out


def at_ms(seconds: float) -> float:
    return seconds * 1000


async def _rounds(
    url: str, rid: str, rounds: int, window: float, every: float
) -> dict[int, dict[str, float]]:
    followers = Followers(url.replace("http", "ws") + "/ws/stage")
    rates: dict[int, list[float]] = {n: [] for n in COUNTS}
    ratios: dict[int, list[float]] = {n: [] for n in COUNTS}
    lat: dict[int, list[float]] = {n: [] for n in COUNTS}
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as c:

        async def steps() -> int:
            return (await c.get(f"/api/runs/{rid}", params={"history": "none"})).json()["step"]

        async def publish_for(seconds: float) -> dict[int, float]:
            sent: dict[int, float] = {}
            end = time.monotonic() + seconds
            i = 0
            while time.monotonic() < end:
                at = time.monotonic()
                r = await c.post("/api/stage", json={"path": f"/runs/{rid}", "state": {"walk": i % 10}})
                r.raise_for_status()
                sent[r.json()["seq"]] = at
                i += 1
                await asyncio.sleep(max(0.0, every - (time.monotonic() - at)))
            return sent

        await asyncio.sleep(2.0)  # warm-up: the first steps of a run are slower
        for r in range(rounds):
            order = COUNTS[r % len(COUNTS) :] + COUNTS[: r % len(COUNTS)]
            found: dict[int, float] = {}
            for n in order:
                await followers.resize(n)
                await asyncio.sleep(0.5)  # settle: the first (current) stage reached everyone
                s0, t0 = await steps(), time.monotonic()
                sent = await publish_for(window)
                s1, t1 = await steps(), time.monotonic()
                await asyncio.sleep(1.0)  # the last change's deliveries
                found[n] = (s1 - s0) / (t1 - t0)
                lat[n] += followers.latencies(sent)
            for n in COUNTS:
                rates[n].append(found[n])
                ratios[n].append(found[n] / found[0])
        await followers.resize(0)
    out: dict[int, dict[str, float]] = {}
    for n in COUNTS:
        q = statistics.quantiles(lat[n], n=100) if len(lat[n]) >= 2 else [float("nan")] * 99
        out[n] = {
            "rate": statistics.median(rates[n]),
            "ratio": statistics.median(ratios[n]),
            "p50": q[49],
            "p99": q[98],
            "max": max(lat[n], default=float("nan")),
            "samples": len(lat[n]),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two rounds of 3 s windows (noisier)")
    parser.add_argument("--no-pin", action="store_true", help="leave server and clients unpinned")
    parser.add_argument("--publish-every", type=float, default=PUBLISH_EVERY, help="s between stage changes")
    args = parser.parse_args()
    rounds, window = (2, 3.0) if args.quick else (4, 5.0)
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other processes add noise)"
    )
    where = "server on CPU 0, presenter and followers on CPU 1" if pin else "unpinned"
    print(
        f"one unthrottled run; the presenter publishes every {args.publish_every:g} s; {where};"
        f" median of {rounds} rounds of {window:g} s, rotating"
    )
    mine = os.sched_getaffinity(0)
    lecture = server(
        "--lecture",
        cpus={0} if pin else None,
        GRADCAST_PRESENTER_TOKEN=TOKEN,
        GRADCAST_MAX_VIEWERS="1000",  # 500 followers and room to spare
    )
    with lecture as (url, _):
        made = httpx.post(
            url + "/api/runs",
            json={**WATCHED, "steps_per_second": 0},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        made.raise_for_status()
        rid = made.json()["id"]
        if pin:
            os.sched_setaffinity(0, {1})
        try:
            results = asyncio.run(_rounds(url, rid, rounds, window, args.publish_every))
        finally:
            os.sched_setaffinity(0, mine)
    for n, r in results.items():
        lat = (
            ""
            if n == 0
            else f"   stage -> follower p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms  max {r['max']:6.1f} ms"
        )
        print(
            f"   {n:3d} followers: {r['rate']:6.0f} steps/s   ratio {r['ratio']:4.2f}{lat}   ({r['samples']} receipts)"
        )
    print(f"load average now: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
