"""Dashboard rendering in headless Chromium: what the page paints while runs train, and what it costs.

Two views (--view):
  comparison  4 runs x 31 layers (30 hidden + output), unthrottled, 1400x1800 (every chart on screen)
  lecture     the lecture's own view: the `sigmoid-vs-relu-vs-leaky-relu` preset (3 runs x 11 layers) at its
              default 20 steps/s, 1920x1080, projector mode (the charts a projector shows without scrolling)
Measured in one page, side by side, by bench/support/render_probe.js, injected before the page's own scripts
(static/js holds no benchmark code):
  step-to-paint   server time of the newest step in the store when a chart redraws -> the frame that shows it is
                  on screen (ms, p50/p95; all charts and the gradient-flow chart alone)
  renders/s       Plotly redraws per second of each chart, and whether it is in view at the end
  budget          per chart: redraw cost (ms until Plotly.react returns: the frame's own share; for a data-only
                  redraw, Plotly.animate, until its traces are drawn) x renders/s = ms of main thread per second;
                  their sum beside the main thread's busy share (Chromium's TaskDuration), so the limit is visible
  redraw ratio    median redraw of the page's charts / median bare Plotly.react of one trace on the same page,
                  timed in between (the fixed cost Plotly charges any redraw on this machine)
  key press       keydown -> the frame after its handler (ms), a key every 2 s throughout
  heap            JS heap after a forced GC, sampled every 10 s: first, last, growth per minute, and the
                  least-squares slope over the second half (after the bounded series have filled)
The server runs in this process and, as any GradCast server does, lowers its session's CPU priority while it runs
(GRADCAST_SESSION_NICE), so the browser, another session, is served first; "steps reached" shows what training got.
The load average is printed at the start and the end: on a shared machine the figures are only as good as it.
Goals (no GPU): lecture: gradient flow 20 renders/s (every step), every other chart in view >= 10/s, step-to-paint
p95 <= 100 ms; comparison: >= 15 renders/s per chart in view, key press <= 100 ms, flat heap over 10 minutes.
Run: .venv/bin/python bench/render.py [--view lecture|comparison] [--seconds 120] (--seconds 600: the heap check)
[--profile 10] (then a CPU profile of the page: where the main thread's time goes, by function)
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
from app.ml.presets import PRESETS  # noqa: E402
from bench.support import cpu_profile  # noqa: E402
from tests.conftest import CHROMIUM_ARGS, chromium_path  # noqa: E402
from tests.support.server import live_server  # noqa: E402

PROBE = Path(__file__).resolve().parent / "support" / "render_probe.js"
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")  # the comparison: 4 runs
DEPTH = 30  # hidden layers: 31 layers with the output
LECTURE_PRESET = "sigmoid-vs-relu-vs-leaky-relu"
LECTURE_STEPS_PER_SECOND = 20.0  # the preset's default pace (PresetStart.steps_per_second)
VIEWS = {  # view -> (viewport, URL query, goal renders/s per chart in view, goal step-to-paint p95 ms)
    "comparison": ({"width": 1400, "height": 1800}, "", 15, None),
    "lecture": ({"width": 1920, "height": 1080}, "?projector=1", 10, 100),
}
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
# The chart divs on screen (in the viewport, not hidden): the ones the goals count.
IN_VIEW = """() => Array.from(document.querySelectorAll('[data-plot]')).filter((el) => {
  if (el.id === 'bench-bare' || !el.offsetParent) return false;
  const r = el.getBoundingClientRect();
  return r.height > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
}).map((el) => el.dataset.plot)"""
STEPS = "() => import('/static/js/pages/live.js').then((l) => Array.from(l.live.store.runs.values()).map((s) => s.lastStep))"


def metrics_of(cdp) -> dict[str, float]:
    """Chromium's page counters (JSHeapUsedSize in bytes, TaskDuration in s of main-thread work)."""
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def start_group(srv, view: str) -> str:
    """The view's runs in one lockstep group: 4 x 30 hidden layers unthrottled, or the lecture's preset at 20/s."""
    manager = srv.app.state.manager
    if view == "lecture":
        preset = PRESETS[LECTURE_PRESET]
        configs = [(r.label, r.config.model_copy(update={"max_steps": 1_000_000})) for r in preset.runs]
        coro = manager.create(
            configs,
            steps_per_second=LECTURE_STEPS_PER_SECOND,
            paused=False,
            preset=LECTURE_PRESET,
            grouped=True,
        )
    else:
        configs = [(a, RunConfig(activation=a, depth=DEPTH, max_steps=1_000_000)) for a in ACTIVATIONS]
        coro = manager.create(configs, steps_per_second=0, paused=False, grouped=True)
    group, _ = asyncio.run_coroutine_threadsafe(coro, manager.loop).result(timeout=60)
    return group.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--view", choices=sorted(VIEWS), default="comparison", help="which page and load")
    parser.add_argument(
        "--seconds", type=float, default=120, help="measurement window (600 for the 10-minute heap check)"
    )
    parser.add_argument("--warmup", type=float, default=10, help="seconds before measuring")
    parser.add_argument(
        "--profile",
        type=float,
        default=0,
        help="then a CPU profile of the page over this many seconds (top functions)",
    )
    args = parser.parse_args()
    path = chromium_path()
    if path is None:
        print("no chromium found", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    viewport, query, goal_rate, goal_p95 = VIEWS[args.view]
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, live_server(Path(tmp)) as srv, sync_playwright() as pw:
        group_id = start_group(srv, args.view)
        runs = 3 if args.view == "lecture" else len(ACTIVATIONS)
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=viewport)
        page.add_init_script(path=str(PROBE))
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{srv.url}/groups/{group_id}{query}")
        page.wait_for_function(
            f"() => {{ const el = document.getElementById('chart-gradflow'); return el && el.data && el.data.length === {runs}; }}",
            timeout=60_000,
        )
        page.wait_for_timeout(args.warmup * 1000)
        page.evaluate("() => window.__renderProbe.reset()")
        steps0 = page.evaluate(STEPS)
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
                heap.append((elapsed, metrics_of(cdp)["JSHeapUsedSize"] / 1e6))
                next_heap += 10
            page.wait_for_timeout(1200)
        seconds = time.monotonic() - t0
        m = page.evaluate("() => window.__renderProbe.read()")
        perf = {k: v - perf0.get(k, 0) for k, v in metrics_of(cdp).items()}
        steps = page.evaluate(STEPS)
        in_view = page.evaluate(IN_VIEW)
        profile = ""
        if args.profile:  # after the measured window: the profiler's own cost stays out of the figures
            cpu_profile.start(cdp)
            page.wait_for_timeout(args.profile * 1000)
            profile = cpu_profile.summarize(cdp)
        browser.close()
    report(args, m, perf, seconds, steps0, steps, in_view, bare, heap, runs, goal_rate, goal_p95, load_start)
    if profile:
        print(profile)
    return 0


def report(
    args, m, perf, seconds, steps0, steps, in_view, bare, heap, runs, goal_rate, goal_p95, load_start
) -> None:
    """Print the figures (see the module docstring), each goal beside it."""
    print(
        f"machine: {os.cpu_count()} cores, load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f}"
        " at the end (the browser and the training share them)"
    )
    what = (
        f"lecture view ({LECTURE_PRESET}), {runs} runs x 11 layers at {LECTURE_STEPS_PER_SECOND:g} steps/s, 1920x1080, projector"
        if args.view == "lecture"
        else f"comparison view, {runs} runs x {DEPTH + 1} layers, unthrottled, 1400x1800"
    )
    rate = [(b - a) / seconds for a, b in zip(steps0, steps, strict=True)]
    print(
        f"{what}; {seconds:.0f} s measured; steps reached {steps} ({', '.join(f'{r:.1f}' for r in rate)} steps/s)"
    )
    busy = perf["TaskDuration"]
    print(
        f"data in           {m['frames'] / seconds / runs:6.1f} frames/s per run; "
        f"page main thread busy {100 * busy / seconds:4.0f}% of the time (script"
        f" {100 * perf['ScriptDuration'] / seconds:.0f}%, style {100 * perf['RecalcStyleDuration'] / seconds:.0f}%,"
        f" layout {100 * perf['LayoutDuration'] / seconds:.0f}%)"
    )
    arrive = m["arrivals"]
    print(
        f"frame arrival     p50 {pct(arrive, 0.5):6.1f} ms p95 {pct(arrive, 0.95):6.1f} ms from the step's server time"
        " (the server's, the socket's and the machine's share of step-to-paint; the rest is the page's)"
    )
    lat = [x["ms"] for x in m["latencies"]]
    flow = [x["ms"] for x in m["latencies"] if x["chart"] == "gradflow"]
    goal = f"goal p95 <= {goal_p95}" if goal_p95 else "no goal in this view"
    print(
        f"step-to-paint     all charts p50 {pct(lat, 0.5):6.1f} ms p95 {pct(lat, 0.95):6.1f} ms (n={len(lat)});"
        f" gradient flow p50 {pct(flow, 0.5):6.1f} ms p95 {pct(flow, 0.95):6.1f} ms   ({goal})"
    )
    total = 0.0
    print(
        "chart        in view  renders/s  redraw median (returns / settles)   budget (ms of main thread per s)"
    )
    for name, n in sorted(m["draws"].items(), key=lambda kv: -kv[1]):
        own = [r for r in m["reacts"] if r["chart"] == name]
        sync = statistics.median([r["sync"] for r in own]) if own else float("nan")
        settle = statistics.median([r["ms"] for r in own]) if own else float("nan")
        per_s = n / seconds
        cost = sync * per_s if own else 0.0
        total += cost
        goal = ""
        if name in in_view:
            want = LECTURE_STEPS_PER_SECOND if (args.view == "lecture" and name == "gradflow") else goal_rate
            goal = f"goal >= {want:g}/s"
        # Data-only redraws (Plotly.animate, charts/plot.js): their cost is taken with the traces drawn.
        data_only = sum(r.get("method") == "animate" for r in own) / len(own) if own else 0.0
        print(
            f"{name:12s} {'yes' if name in in_view else 'no ':7s} {per_s:9.1f}  {sync:6.1f} / {settle:6.1f} ms"
            f"          {cost:6.0f} ms/s = {cost / 10:4.1f}%   {goal}"
            + (f"   ({100 * data_only:.0f}% data only)" if data_only else "")
        )
    print(
        f"budget            charts' redraws {total / 10:4.1f}% of the main thread; busy in all {100 * busy / seconds:4.0f}%"
        " (the rest: messages, store, DOM views, style, layout and paint)"
    )
    redraws = [r["ms"] for r in m["reacts"]]
    if redraws and bare:
        med_page, med_bare = statistics.median(redraws), statistics.median(bare)
        print(
            f"redraw            page median {med_page:6.1f} ms / bare Plotly.react {med_bare:6.1f} ms = {med_page / med_bare:5.2f}x"
        )
    keys = m["keys"]
    print(
        f"key press         p50 {pct(keys, 0.5):6.1f} ms   p99 {pct(keys, 0.99):6.1f} ms   max {max(keys or [float('nan')]):6.1f} ms"
        f"   over 100 ms: {sum(k > 100 for k in keys)} of {len(keys)}   (goal <= 100)"
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


if __name__ == "__main__":
    raise SystemExit(main())
