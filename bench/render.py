"""Dashboard rendering in headless Chromium: the comparison view of 4 runs x 30 layers, training unthrottled.

Measured in one page, side by side:
  step-to-paint   server time of a step's metrics -> the frame that shows them is on screen (ms, p50/p95)
  renders/s       Plotly redraws per second of each chart
  redraw ratio    median redraw of the page's charts / median bare Plotly.react of one trace on the same page,
                  timed in between (the fixed cost Plotly charges any redraw on this machine)
  key press       keydown -> the frame after its handler (ms), a key every 2 s throughout
  heap            JS heap after a forced GC, sampled every 10 s: first, last, growth per minute, and the
                  least-squares slope over the second half (after the bounded series have filled)
The server runs in this process and, as any GradCast server does, lowers its session's CPU priority while it runs
(GRADCAST_SESSION_NICE), so the browser, another session, is served first; "steps reached" shows what training got.
Goals (no GPU): p95 step-to-paint <= 250 ms, >= 8 renders/s per chart, key press <= 100 ms, flat heap.
Run: .venv/bin/python bench/render.py [--seconds 120] (use --seconds 600 for the 10-minute heap check)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ml.config import RunConfig  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.support.server import live_server  # noqa: E402

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")  # 4 runs
DEPTH = 30  # hidden layers: 31 layers with the output
BARE_REACT = """async () => {
  let div = document.getElementById('bench-bare');
  if (!div) {
    div = document.createElement('div');
    div.id = 'bench-bare';
    div.style.cssText = 'width:600px;height:300px';
    document.querySelector('main').append(div);
  }
  const times = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => requestAnimationFrame(r));
    const y = Array.from({length: 31}, () => Math.random());
    const t0 = performance.now();
    await Plotly.react(div, [{type: 'scatter', mode: 'lines', y}], {margin: {l: 40, r: 10, t: 10, b: 30}}, {displayModeBar: false});
    times.push(performance.now() - t0);
  }
  return times;
}"""
MODULES = "Promise.all(['scheduler.js', 'keys.js', 'charts/plot.js'].map((m) => import('/static/js/' + m)))"
READ_METRICS = f"""() => {MODULES}.then(([s, k, p]) => ({{
  redraws: p.reactTimes.slice(), syncs: s.metrics.redraws.slice(), latencies: s.metrics.latencies.slice(), draws: {{...s.metrics.draws}},
  keys: k.keyMetrics.latencies.slice()}}))"""
RESET_METRICS = f"""() => {MODULES}.then(([s, k, p]) => {{
  p.reactTimes.length = 0; s.metrics.redraws.length = 0; s.metrics.latencies.length = 0; for (const n in s.metrics.draws) s.metrics.draws[n] = 0;
  k.keyMetrics.latencies.length = 0; }})"""


FRAMES = "() => import('/static/js/pages/live.js').then((l) => l.live.store.framesApplied)"


def metrics_of(cdp) -> dict[str, float]:
    """Chromium's page counters (JSHeapUsedSize in bytes, TaskDuration in s of main-thread work)."""
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def start_group(srv) -> str:
    """4 runs of 30 layers in one lockstep group, unthrottled (steps_per_second=0)."""
    manager = srv.app.state.manager
    configs = [(a, RunConfig(activation=a, depth=DEPTH, max_steps=1_000_000)) for a in ACTIVATIONS]
    coro = manager.create(configs, steps_per_second=0, paused=False, grouped=True)
    group, _ = asyncio.run_coroutine_threadsafe(coro, manager.loop).result(timeout=60)
    return group.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=120, help="measurement window (600 for the 10-minute heap check)"
    )
    parser.add_argument("--warmup", type=float, default=10, help="seconds before measuring")
    args = parser.parse_args()
    path = chromium_path()
    if path is None:
        print("no chromium found", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp)) as srv, sync_playwright() as pw:
        group_id = start_group(srv)
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})  # every chart on screen: all redraw
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{srv.url}/groups/{group_id}")
        page.wait_for_function(
            "() => { const el = document.getElementById('chart-gradflow'); return el && el.data && el.data.length === 4; }",
            timeout=60_000,
        )
        page.wait_for_timeout(args.warmup * 1000)
        page.evaluate(RESET_METRICS)
        frames0 = page.evaluate(FRAMES)
        perf0 = metrics_of(cdp)
        bare: list[float] = []
        heap: list[tuple[float, float]] = []
        t0 = time.monotonic()
        next_heap = 0.0
        while (elapsed := time.monotonic() - t0) < args.seconds:
            page.keyboard.press("?")  # opens the help dialog ...
            page.wait_for_timeout(300)
            page.keyboard.press("?")  # ... and closes it
            page.wait_for_timeout(300)
            bare.extend(page.evaluate(BARE_REACT))
            if elapsed >= next_heap:
                cdp.send("HeapProfiler.collectGarbage")
                used = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}[
                    "JSHeapUsedSize"
                ]
                heap.append((elapsed, used / 1e6))
                next_heap += 10
            page.wait_for_timeout(1200)
        seconds = time.monotonic() - t0
        m = page.evaluate(READ_METRICS)
        frames = page.evaluate(FRAMES) - frames0
        perf = {k: v - perf0.get(k, 0) for k, v in metrics_of(cdp).items()}
        busy = perf["TaskDuration"]
        steps = page.evaluate(
            "() => import('/static/js/pages/live.js').then((l) => Array.from(l.live.store.runs.values()).map((s) => s.lastStep))"
        )
        browser.close()

    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end (the browser shares them)"
    )
    redraws = [r["ms"] for r in m["redraws"]]  # ms from Plotly.react's call until its promise settled
    lat = m["latencies"]
    print(
        f"comparison view, {len(ACTIVATIONS)} runs x {DEPTH + 1} layers, unthrottled; {seconds:.0f} s measured; steps reached {steps}"
    )
    print(
        f"data in           {frames / seconds / len(ACTIVATIONS):6.1f} frames/s per run; "
        f"page main thread busy {100 * busy / seconds:4.0f}% of the time (script"
        f" {100 * perf['ScriptDuration'] / seconds:.0f}%, style {100 * perf['RecalcStyleDuration'] / seconds:.0f}%,"
        f" layout {100 * perf['LayoutDuration'] / seconds:.0f}%)"
    )
    print(
        f"step-to-paint     p50 {pct(lat, 0.5):7.1f} ms   p95 {pct(lat, 0.95):7.1f} ms   (n={len(lat)}; goal p95 <= 250)"
    )
    for name, n in m["draws"].items():
        if name not in ("verdicts", "progress"):  # the DOM views (text), not Plotly charts
            own = [r["ms"] for r in m["redraws"] if r["chart"] == name] or [float("nan")]
            sync = [r["ms"] for r in m["syncs"] if r["name"] == name] or [float("nan")]
            print(
                f"renders/s {name:9s} {n / seconds:6.1f}   redraw median {statistics.median(own):5.1f} ms"
                f" ({statistics.median(sync):5.1f} ms before Plotly.react returns)"
                "   (goal >= 8/s; a chart redraws only when its data changed)"
            )
    med_page, med_bare = statistics.median(redraws), statistics.median(bare)
    print(
        f"redraw            page median {med_page:6.1f} ms / bare Plotly.react {med_bare:6.1f} ms = {med_page / med_bare:5.2f}x"
    )
    print(
        f"key press         p50 {pct(m['keys'], 0.5):6.1f} ms   p99 {pct(m['keys'], 0.99):6.1f} ms   max {max(m['keys'] or [float('nan')]):6.1f} ms"
        f"   over 100 ms: {sum(k > 100 for k in m['keys'])} of {len(m['keys'])}   (goal <= 100)"
    )
    if len(heap) >= 2:
        growth = (heap[-1][1] - heap[0][1]) / max((heap[-1][0] - heap[0][0]) / 60, 1e-9)
        print(
            f"heap after GC     first {heap[0][1]:6.1f} MB   last {heap[-1][1]:6.1f} MB   growth {growth:+.2f} MB/min over {heap[-1][0]:.0f} s"
        )
        # The stores fill during the first minutes (bounded series); a leak shows as a slope after that.
        late = [(t, mb) for t, mb in heap if t >= heap[-1][0] / 2]
        if len(late) >= 3:
            slope = statistics.linear_regression([t / 60 for t, _ in late], [mb for _, mb in late]).slope
            print(
                f"                  second half: least-squares slope {slope:+.2f} MB/min"
                f" ({min(mb for _, mb in late):.1f}..{max(mb for _, mb in late):.1f} MB over {len(late)} samples)"
            )
        per_minute = [f"{mb:.1f}" for t, mb in heap if int(t) % 60 < 10]
        print(f"                  each minute: {' '.join(per_minute)} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
