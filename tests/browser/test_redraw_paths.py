"""A chart redrawn with only new data (Plotly.animate, no full redraw: charts/plot.js) shows exactly that data.

The gradient-flow and a′(z) charts of a comparison keep their axes while runs train, so each new step redraws only
their traces. What a person sees is the markers on screen: each must sit where its trace's newest value belongs on
the axes, after many such redraws and after a full one (projector mode changes the layout).
"""

import pytest

from tests.browser.support import Watched, start_preset
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Counts the page's Plotly calls per chart, from outside its code (wrapped after the page loaded Plotly).
COUNT_CALLS = """() => {
  window.__calls = {react: {}, animate: {}};
  for (const method of ['react', 'animate']) {
    const call = window.Plotly[method];
    window.Plotly[method] = function (el, ...rest) {
      const name = el.dataset.plot;
      window.__calls[method][name] = (window.__calls[method][name] || 0) + 1;
      return call.call(this, el, ...rest);
    };
  }
}"""
# Each marker's drawn position against where its value belongs: the largest miss in pixels, and how many markers.
# (Read in one task: Plotly updates a chart's data and its markers within the same frame.)
MARKER_MISS = """(name) => {
  const el = document.getElementById('chart-' + name);
  const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis;
  const traces = el.querySelectorAll('.scatterlayer .trace');
  let worst = 0, markers = 0;
  el.data.forEach((t, i) => {
    if (!(t.mode || '').includes('markers')) return; // a guide line: no markers
    const points = traces[i].querySelectorAll('.points path.point'); // one per value that is not null
    let drawn = 0;
    t.y.forEach((y, k) => {
      if (y === null) return;
      const point = points[drawn++];
      const cat = xa.type === 'category' ? xa._categories.indexOf(String(t.x[k])) : t.x[k];
      const want = [xa.l2p(xa.type === 'category' ? cat : xa.d2l(cat)), ya.l2p(ya.type === 'log' ? Math.log10(y) : y)];
      const m = /translate\\(([-\\d.e]+),\\s*([-\\d.e]+)\\)/.exec(point.getAttribute('transform'));
      worst = Math.max(worst, Math.abs(Number(m[1]) - want[0]), Math.abs(Number(m[2]) - want[1]));
      markers += 1;
    });
  });
  return {worst, markers, step: Math.max(...el.data.map((t) => (t.meta && t.meta.step) || 0))};
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("redraw")) as srv:
        yield srv, start_preset(srv.url, "sigmoid-vs-relu-vs-leaky-relu", steps_per_second=20)


def test_data_only_redraws_draw_the_new_data(served, browser):
    srv, started = served
    ctx = browser.new_context()
    try:
        w = Watched(ctx, srv.url, viewport=(1400, 1750))  # every chart on screen
        page = w.goto(f"/groups/{started['group']}", ready="live")
        w.wait("window.Plotly && document.getElementById('chart-gradflow').data?.length === 3", 30_000)
        page.evaluate(COUNT_CALLS)
        # Steps keep coming: gradient flow and a′(z) redraw their traces alone (their axes do not move).
        w.wait(
            "(window.__calls.animate.gradflow || 0) >= 10 && (window.__calls.animate.deriv || 0) >= 3", 30_000
        )
        seen = []
        for _ in range(3):
            for name in ("gradflow", "deriv"):
                miss = page.evaluate(MARKER_MISS, name)
                assert miss["markers"] >= 30, (name, miss)  # 3 runs x 11 layers (a′: the hidden ones)
                assert miss["worst"] < 1.0, (name, miss)
            seen.append(page.evaluate(MARKER_MISS, "gradflow")["step"])
            page.wait_for_timeout(400)  # pacing: three looks at three moments while steps arrive
        assert seen[-1] > seen[0], f"the drawn step did not move: {seen}"
        # A new layout (projector mode: larger type and markers) is a full redraw; the markers still sit right.
        reacts = page.evaluate("window.__calls.react.gradflow || 0")
        page.keyboard.press("p")
        w.wait(f"(window.__calls.react.gradflow || 0) > {reacts}")
        w.wait("document.getElementById('chart-gradflow').layout.font.size >= 16")
        w.next_frames(4)  # the new layout's drawing, and a data-only redraw or two after it
        assert page.evaluate(MARKER_MISS, "gradflow")["worst"] < 1.0
        w.assert_clean()
    finally:
        ctx.close()


NEWEST_STEP = "(el) => Math.max(...el.data.filter((t) => t.x?.length).map((t) => t.x[t.x.length - 1]))"


def test_a_step_axis_zoomed_by_hand_stays_until_a_double_click(served, browser):
    """The loss chart's step axis moves in chunks as steps arrive; a person's zoom holds through those moves."""
    srv, started = served
    ctx = browser.new_context()
    try:
        w = Watched(ctx, srv.url, viewport=(1400, 1750))
        page = w.goto(f"/groups/{started['group']}", ready="live")
        loss = page.locator("#chart-loss")
        w.wait(
            f"(() => {{ const el = document.getElementById('chart-loss'); return el.data?.length && ({NEWEST_STEP})(el) > 60; }})()",
            60_000,
        )
        newest = loss.evaluate(NEWEST_STEP)
        zoom = [newest - 40, newest - 20]
        loss.evaluate("(el, r) => Plotly.relayout(el, {'xaxis.range': r})", zoom)  # what a drag-zoom calls
        # Steps keep arriving: the axis would have moved several chunks (each ≤ a twentieth of the span).
        w.wait(f"({NEWEST_STEP})(document.getElementById('chart-loss')) > {newest + 40}", 30_000)
        kept = loss.evaluate("(el) => el._fullLayout.xaxis.range")
        assert kept == pytest.approx(zoom), kept
        loss.evaluate("(el) => Plotly.relayout(el, {'xaxis.autorange': true})")  # what a double-click calls
        after = loss.evaluate(NEWEST_STEP)
        w.wait(
            f"(() => {{ const el = document.getElementById('chart-loss'); const r = el._fullLayout.xaxis.range;"
            f" return ({NEWEST_STEP})(el) > {after + 20} && r[1] >= ({NEWEST_STEP})(el); }})()",
            30_000,
        )
    finally:
        ctx.close()


# The step each gradient-flow redraw shows (its traces' meta), logged from outside the page's code.
LOG_GRADFLOW_STEPS = """() => {
  window.__shown = [];
  for (const method of ['react', 'animate']) {
    const call = window.Plotly[method];
    window.Plotly[method] = function (el, ...rest) {
      if (el.id === 'chart-gradflow') {
        const data = method === 'react' ? rest[0] : rest[0].data;
        window.__shown.push(...new Set((data || []).map((t) => t && t.meta && t.meta.step).filter(Boolean)));
      }
      return call.call(this, el, ...rest);
    };
  }
}"""


def test_gradient_flow_shows_every_step_at_the_lecture_pace_through_key_presses(served, browser):
    """At 20 steps/s every step is a frame; a key press holds the charts back a few frames, and two frames may share
    an animation frame: the gradient-flow chart then shows the waiting steps in turn instead of skipping them."""
    srv, started = served
    ctx = browser.new_context()
    try:
        w = Watched(ctx, srv.url, viewport=(1920, 1080))
        page = w.goto(f"/groups/{started['group']}?projector=1", ready="live")
        w.wait("window.Plotly && document.getElementById('chart-gradflow').data?.length === 3", 30_000)
        page.evaluate(LOG_GRADFLOW_STEPS)
        w.wait("window.__shown.length >= 20", 10_000)  # settled: the page's first redraws are behind it
        start = max(page.evaluate("window.__shown"))
        for _ in range(8):  # a key every half second (Shift: no shortcut), while steps keep coming
            page.keyboard.press("Shift")
            page.wait_for_timeout(500)  # pacing: the presses are the load under test
        seen = sorted({step for step in page.evaluate("window.__shown") if step >= start})
        expected = range(start, seen[-1] + 1)
        missing = sorted(set(expected) - set(seen))
        assert len(expected) >= 40, f"only steps {start}..{seen[-1]} were drawn in 4 s"
        # Each press used to cost the chart two or three steps (a quarter of them in this test); a page that falls
        # far behind still jumps to the newest (a backlog over 5 frames), which a busy 2-core machine can cause once.
        assert len(missing) <= len(expected) // 12, f"steps never drawn: {missing}"
    finally:
        ctx.close()
