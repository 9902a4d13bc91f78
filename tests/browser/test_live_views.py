"""The comparison and run views in Debian's chromium against a real server training real networks."""

from pathlib import Path

import httpx
import pytest

from tests.browser.support import Watched, start_preset
from tests.support.live import eventually, holds, wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMPARISON = "sigmoid-vs-relu-vs-leaky-relu"
# The page's live objects (socket, store), reached by importing the same module the page imported.
EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"
GROUP_STEP = "Math.max(...Array.from(window.__live.store.runs.values()).map((s) => s.lastStep))"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One server for the module and one sigmoid/ReLU/Leaky ReLU comparison training on it."""
    with live_server(tmp_path_factory.mktemp("live")) as srv:
        started = start_preset(srv.url, COMPARISON, steps_per_second=20)
        yield srv, started


def wait_plot(w: Watched, name: str, traces: int, timeout_ms: int = 30_000) -> None:
    w.page.wait_for_function(
        "([name, n]) => { const el = document.getElementById('chart-' + name); return el && el.data && el.data.length >= n; }",
        arg=[name, traces],
        timeout=timeout_ms,
    )


def open_comparison(served, context, query: str = "", viewport=(1400, 1000)) -> Watched:
    """The module's comparison open in a new page, its three gradient-flow lines drawn."""
    srv, started = served
    w = Watched(context, srv.url, viewport=viewport)
    w.goto(f"/groups/{started['group']}{query}", ready="live")
    wait_plot(w, "gradflow", 3)
    return w


AXIS_END_AND_NEWEST_X = """(name) => {
  const el = document.querySelector(`[data-plot="${name}"]`);
  return [el._fullLayout.xaxis.range[1], Math.max(...el.data.map((t) => t.x[t.x.length - 1]))];
}"""


def plotted_step(w: Watched) -> int:
    """The newest step drawn in the gradient-flow chart (its traces carry the step they show)."""
    return max(t["meta"]["step"] for t in w.plot("gradflow") if t["meta"])


def test_comparison_shows_sigmoid_vanishing_and_relu_holding_up(served, context, tmp_path):
    _, started = served
    w = open_comparison(
        served, context, viewport=(1400, 1750)
    )  # tall: every chart on screen, so every chart draws
    ratios: dict[str, list[float]] = {"sigmoid": [], "relu": [], "leaky_relu": []}
    looked_at = 0
    for _ in range(4):  # four looks at the plotted data, each at a newer step than the last
        looked_at = wait_until(lambda after=looked_at: (step := plotted_step(w)) > after and step, timeout=10)
        for trace in w.plot("gradflow"):
            y = trace["y"]
            ratios[trace["meta"]["activation"]].append(y[0] / y[-1])
    assert all(r < 1e-3 for r in ratios["sigmoid"]), ratios
    assert all(1e-2 <= r <= 1e2 for r in ratios["relu"]), ratios
    assert all(1e-2 <= r <= 1e2 for r in ratios["leaky_relu"]), ratios
    # What the room reads: the verdicts in plain words, one per run.
    verdicts = {el.get_attribute("data-run"): el for el in w.page.query_selector_all(".verdict[data-run]")}
    kinds = {r["config"]["activation"]: verdicts[r["id"]].get_attribute("data-kind") for r in started["runs"]}
    assert kinds == {"sigmoid": "vanishing", "relu": "healthy", "leaky_relu": "healthy"}
    sigmoid_text = verdicts[started["runs"][0]["id"]].inner_text()
    assert "vanishing" in sigmoid_text and "of the last layer's gradient" in sigmoid_text
    # Every chart of the view drew real data.
    for name in ("ratio", "deriv", "loss"):
        wait_plot(w, name, 3)

    # Each line chart's step axis keeps up with its lines (Plotly.react must see new arrays, not grown ones): once
    # the lines have grown past step 40, the axis reaches their end (an axis fixed at its first range never does).
    def axes_keep_up() -> None:
        for name in ("ratio", "loss"):
            end, newest = w.page.evaluate(AXIS_END_AND_NEWEST_X, name)
            assert end >= newest - 1 and newest > 40, (name, end, newest)

    eventually(axes_keep_up, timeout=30)
    w.screenshot("comparison", tmp_path, full_page=True)
    w.assert_clean()


def test_pause_stops_updates_and_play_resumes(served, context):
    srv, started = served
    w = open_comparison(served, context)
    page = w.page
    page.click('[data-role="play-toggle"]')
    page.wait_for_selector('[data-role="status"][data-status="paused"]', timeout=10_000)
    group = f"{srv.url}/api/groups/{started['group']}"
    server_step = max(r["step"] for r in httpx.get(group, timeout=10).json()["runs"])
    wait_until(
        lambda: plotted_step(w) == server_step
    )  # frames already on the wire land, then the chart holds
    # Letting time pass is the test: ~30 steps at 20 steps/s, were the runs still training.
    holds(lambda: plotted_step(w) == server_step, 1.5)
    paused_at = server_step
    page.keyboard.press(" ")  # space: play
    page.wait_for_selector('[data-role="status"][data-status="running"]', timeout=10_000)
    page.wait_for_function(
        "([step]) => { const el = document.getElementById('chart-gradflow'); return el.data.some((t) => t.meta && t.meta.step > step + 5); }",
        arg=[paused_at],
        timeout=10_000,
    )
    w.assert_clean()


def test_dropped_connection_reconnects_and_resumes_without_gap(served, context):
    w = open_comparison(served, context)
    page = w.page
    page.evaluate(EXPOSE)
    before = page.evaluate(GROUP_STEP)
    seq_before = page.evaluate("window.__live.socket.lastSeq")
    page.evaluate("window.__live.socket.drop()")
    page.wait_for_selector('[data-role="conn"][data-state="reconnecting"]', timeout=5_000)
    w.wait("window.__live.socket.reconnects >= 1 && window.__live.socket.ws.readyState === 1")
    w.wait(f"{GROUP_STEP} > {before} + 10")
    sock = page.evaluate(
        "({gaps: window.__live.socket.gaps, reconnects: window.__live.socket.reconnects, seq: window.__live.socket.lastSeq})"
    )
    assert sock["gaps"] == 0 and sock["reconnects"] == 1 and sock["seq"] > seq_before
    # No step was lost across the drop: the every-step series has no hole.
    holes = page.evaluate(
        "Array.from(window.__live.store.runs.values()).map((s) => { const st = s.steps.slice(-60); return st.slice(1).filter((x, i) => x !== st[i] + 1).length; })"
    )
    assert holes == [0, 0, 0]
    assert page.locator('[data-role="conn"]').get_attribute("data-state") == "live"
    w.assert_clean()


def test_run_view_chain_rule_walkthrough_and_exports(served, context, tmp_path):
    srv, started = served
    sigmoid = next(r for r in started["runs"] if r["config"]["activation"] == "sigmoid")
    w = Watched(context, srv.url, viewport=(1400, 2450))  # tall: every chart on screen, so every chart draws
    page = w.goto(f"/runs/{sigmoid['id']}", ready="live")
    for name, n in (
        ("gradflow", 1),
        ("heatmap", 1),
        ("lines", 5),
        ("loss", 4),
        ("update", 2),
        ("health", 2),
        ("hist", 2),
        ("boundary", 1),
    ):
        wait_plot(w, name, n)
    # The chain rule typeset in MathML, one factor card per hidden layer, each beside the 0.25 bound.
    assert page.locator('[data-role="chain-formula"] math').count() == 1
    cards = page.locator(".factor-card")
    assert cards.count() == sigmoid["config"]["depth"]
    derivs = [float(x) for x in page.locator(".factor-card .factor-deriv").all_inner_texts()]
    assert all(0 < d <= 0.25 for d in derivs), derivs  # the sigmoid's bound, measured
    w.screenshot("run", tmp_path, full_page=True)
    # The histograms: the first layer beside the last, or beside any layer picked; what is plotted is that
    # layer's counts, normalised, as the store holds them.
    hist_title = "document.getElementById('chart-hist').layout.xaxis2.title.text"
    assert page.evaluate(hist_title).startswith("last layer")
    page.select_option('[data-role="hist-layer"]', "2")
    w.wait(f"{hist_title}.startsWith('layer 3')")
    page.evaluate(EXPOSE)
    plotted, stored = page.evaluate(
        """() => {
          const tr = document.getElementById('chart-hist').data[1];
          const last = tr.x.length - 1;
          const rec = window.__live.store.runs.values().next().value.full.find((r) => r.step === tr.x[last]);
          const counts = rec.layers[2].grad_hist, total = counts.reduce((a, b) => a + b, 0);
          return [tr.z.map((row) => row[last]), counts.map((c) => c / total)];
        }"""
    )
    assert plotted == pytest.approx(stored) and sum(stored) == pytest.approx(1.0)
    # Paused: the walk steps from the output layer down, factor by factor.
    page.click('[data-role="play-toggle"]')
    page.wait_for_selector('[data-role="status"][data-status="paused"]')
    page.wait_for_selector(".factor-card.current", timeout=5_000)
    first = page.locator(".factor-card.current").get_attribute("data-layer")
    assert first == str(sigmoid["config"]["depth"])  # the output side comes first
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    w.wait(f"Number(document.querySelector('.factor-card.current').dataset.layer) < {first}")
    assert "running product" in page.locator('[data-role="chain-walk-at"]').inner_text()
    # Exports: the run's history as CSV and JSON, a chart as PNG.
    with page.expect_download() as csv_download:
        page.click('[data-role="export-csv"]')
    lines = Path(csv_download.value.path()).read_text().splitlines()
    assert lines[0].startswith("step,t,loss,train_acc") and "layer1.weight_grad_norm" in lines[0]
    assert len(lines) > 10
    with page.expect_download() as png_download:
        page.click('[data-export-png="gradflow"]')
    assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.click('[data-role="play-toggle"]')  # leave it running for the next test
    page.wait_for_selector('[data-role="status"][data-status="running"]')
    w.assert_clean()


def test_projector_mode_and_korean_render(served, context, tmp_path):
    srv, started = served
    w = Watched(context, srv.url, viewport=(1024, 768))
    page = w.goto(f"/groups/{started['group']}?lang=ko", ready="live")
    wait_plot(w, "gradflow", 3)
    assert page.evaluate("document.documentElement.lang") == "ko"
    page.wait_for_selector('.verdict[data-kind="vanishing"]')
    assert "기울기 사라짐" in page.locator('.verdict[data-kind="vanishing"]').inner_text()
    assert "기울기 흐름" in page.locator('[data-chart="gradflow"] h2').inner_text()
    w.screenshot("korean", tmp_path)
    page.keyboard.press("p")
    assert "projector" in page.get_attribute("body", "class")
    assert "projector=1" in page.url
    # Large type at 1024x768: each run's one-word verdict at least 22 px, its sentence at least 18 px, chart text 16.
    px = "(sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize)"
    assert page.evaluate(px, ".verdict .verdict-short") >= 22
    assert page.evaluate(px, ".verdict .verdict-text") >= 18
    assert page.locator(".verdict .verdict-short").first.is_visible()
    w.wait("document.getElementById('chart-gradflow').layout.font.size >= 16")
    assert page.locator(".card-head .btn").first.is_hidden()  # minimal chrome
    page.keyboard.press("l")  # language toggle, in place
    w.wait("document.documentElement.lang === 'en'")
    w.wait(
        "document.querySelector('.verdict[data-kind=\"vanishing\"]').innerText.includes('vanishing')", 3_000
    )
    assert "lang=en" in page.url
    w.next_frames(w.page.evaluate("document.querySelectorAll('.chart-card').length") + 2)  # charts in English
    w.screenshot("projector", tmp_path)
    page.keyboard.press("?")
    assert page.locator('[data-role="help-dialog"]').is_visible()
    w.assert_clean()


def test_viewer_link_shows_no_controls(served, context):
    srv, started = served
    w = open_comparison(served, context, "?view=1")
    page = w.page
    assert page.locator('[data-role="controls"]').count() == 0
    assert page.locator("button", has_text="Pause").count() == 0
    sent: list[str] = []
    page.on("request", lambda r: r.method != "GET" and sent.append(f"{r.method} {r.url}"))
    page.keyboard.press(" ")  # a viewer's keys do not drive the run
    page.keyboard.press("ArrowRight")
    # Letting time pass is the test: a key that reached the server would pause the comparison within this.
    group = f"{srv.url}/api/groups/{started['group']}"
    holds(lambda: httpx.get(group, timeout=10).json()["status"] == "running", 0.5, interval=0.1)
    assert page.locator('[data-role="status"]').get_attribute("data-status") == "running"
    assert sent == []
    page.goto(f"{srv.url}/?view=1")
    w.wait("document.body.dataset.ready === 'home'")
    assert page.locator('[data-role="builder"]').count() == 0
    assert page.locator("[data-start-preset]").count() == 0
    w.assert_clean()


def test_unknown_run_says_so(served, context):
    srv, _ = served
    w = Watched(context, srv.url)
    page = w.goto("/runs/no-such-run", ready="live")
    page.wait_for_selector('[data-role="notice"]:not([hidden])', timeout=10_000)
    assert "no-such-run" in page.locator('[data-role="notice"]').inner_text()
    assert page.locator('[data-role="conn"]').get_attribute("data-state") == "closed"
    w.assert_clean()
