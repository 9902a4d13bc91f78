"""What each chart plots is what the API measured: every preset and a few builder configs, in chromium.

For each view: the plotted numbers equal the API's history, each run's line covers its own layers only, every
plotted finite value lies inside its axis range, and the a′ bound drawn is the run's own (from the registry).
"""

import math

import httpx
import pytest

from tests.browser.support import Watched, start_preset
from tests.support.live import eventually, wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every trace of a chart as Plotly holds it, with the axes it sits on.
CHART = """(name) => {
  const el = document.getElementById('chart-' + name);
  if (!el || !el.data || !el._fullLayout) return null;
  const L = el._fullLayout;
  return {
    traces: el.data.map((t) => ({name: t.name, x: t.x, y: t.y, meta: t.meta || null, yaxis: t.yaxis || 'y',
                                 symbol: t.marker ? t.marker.symbol : null, dash: t.line ? t.line.dash : null,
                                 visible: t.visible === undefined ? true : t.visible})),
    y: {type: L.yaxis.type, range: L.yaxis.range}, y2: L.yaxis2 ? {range: L.yaxis2.range} : null,
    xtitle: L.xaxis.title.text,
  };
}"""
STORE_STEPS = """() => import('/static/js/pages/live.js').then((m) =>
  Array.from(m.live.store.runs.values()).map((s) => [s.run.id, s.lastStep, s.latestFull ? s.latestFull.step : -1]))"""

PRESETS = [
    "sigmoid-deep",
    "relu-deep",
    "leaky-relu-deep",
    "tanh-xavier",
    "exploding",
    "batchnorm-rescue",
    "residual-rescue",
    "sigmoid-vs-relu-vs-leaky-relu",
    "init-default-vs-xavier-vs-kaiming",
    "depth-3-vs-10-vs-30",
]
BUILDER = {
    "tanh-20": {
        "activation": "tanh",
        "init": "xavier_normal",
        "depth": 20,
        "lr": 0.05,
        "optimizer": "momentum",
    },
    "sigmoid-3": {"activation": "sigmoid", "depth": 3},
    "relu-exploding": {"activation": "relu", "init": "normal", "init_std": 0.6, "depth": 8},
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("physics")) as srv:
        with srv.client() as c:
            registry = c.get("/api/registry").json()
        yield srv, registry


def api_runs(srv, ids: list[str]) -> dict[str, dict]:
    """Each run with its history as {step: record}."""
    out = {}
    with srv.client() as c:
        for run_id in ids:
            run = c.get(f"/api/runs/{run_id}", params={"history": "records"}).json()
            run["by_step"] = {r["step"]: r for r in run["history"]}
            out[run_id] = run
    return out


def settle(w: Watched, srv, kind: str, ident: str, ids: list[str], min_step: int = 12) -> dict[str, dict]:
    """Let the runs train a little, pause them, wait until the page's store holds their last step; the API's runs
    (the charts draw it on their next animation frames: check them with eventually())."""
    w.page.wait_for_function(
        f"() => import('/static/js/pages/live.js').then((m) => m.live.store && "
        f"Array.from(m.live.store.runs.values()).every((s) => s.lastStep >= {min_step} || "
        f"['diverged', 'finished', 'failed'].includes(s.run.status)))",
        timeout=60_000,
        polling=250,
    )
    with srv.client() as c:
        c.post(f"/api/{kind}/{ident}/pause")  # a diverged run is over already: its 409 is fine
    runs = api_runs(srv, ids)
    want = sorted([r["id"], r["step"]] for r in runs.values())
    wait_until(lambda: sorted([i, s] for i, s, _ in w.page.evaluate(STORE_STEPS)) == want, timeout=10)
    return runs


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-30)


def assert_inside(chart: dict, name: str) -> None:
    """Every plotted finite value lies inside the axis range (log axes in decades)."""
    lo, hi = chart["y"]["range"]
    for tr in chart["traces"]:
        if tr["yaxis"] != "y" or tr["visible"] is not True:
            continue
        for v in tr["y"] or []:
            if v is None or not math.isfinite(v):
                continue
            if chart["y"]["type"] == "log":
                if v <= 0:
                    continue
                assert lo - 1e-9 <= math.log10(v) <= hi + 1e-9, (name, tr["name"], v, chart["y"]["range"])
            else:
                assert lo - 1e-9 <= v <= hi + 1e-9, (name, tr["name"], v, chart["y"]["range"])


def bound_of(registry, run) -> float:
    return registry["activations"][run["config"]["activation"]]["deriv_bound"]


def label_of(registry, run, lang="en") -> str:
    return registry["activations"][run["config"]["activation"]]["label"][lang]


def check_run_view(w: Watched, run: dict, registry: dict) -> None:
    """The one-run view: gradient flow, per-layer lines, update ratios and the chain rule's bound."""
    n = len(run["layer_names"])
    last = max(run["by_step"])
    flow = w.page.evaluate(CHART, "gradflow")
    bars = flow["traces"][0]
    rec = run["by_step"][bars["meta"]["step"]]
    assert len(bars["x"]) == n  # this run's layers, no more
    assert all(close(a, lay["weight_grad_norm"]) for a, lay in zip(bars["y"], rec["layers"], strict=True))
    finite = [r for r in run["history"] if any(lay["weight_grad_norm"] is not None for lay in r["layers"])]
    assert bars["meta"]["step"] == finite[-1]["step"]  # the newest step with a finite gradient
    assert_inside(flow, "gradflow")
    # Per-layer lines: every plotted point is that layer's ‖∂L/∂W‖ at that step.
    lines = w.page.evaluate(CHART, "lines")
    for tr in lines["traces"]:
        if tr["meta"] and tr["meta"].get(
            "nonfinite"
        ):  # crosses exactly on the steps with a non-finite gradient
            grads = [[lay["weight_grad_norm"] for lay in run["by_step"][step]["layers"]] for step in tr["x"]]
            assert all(None in g for g in grads)
            continue
        s0 = next(i for i, v in enumerate(tr["y"]) if v is not None)
        layer = next(
            k
            for k in range(n)
            if close(run["by_step"][tr["x"][s0]]["layers"][k]["weight_grad_norm"], tr["y"][s0])
        )
        for step, v in zip(tr["x"], tr["y"], strict=True):
            assert close(v, run["by_step"][step]["layers"][layer]["weight_grad_norm"]), (tr["name"], step)
    assert max(tr["x"][-1] for tr in lines["traces"]) == last
    assert_inside(lines, "lines")
    update = w.page.evaluate(CHART, "update")
    assert len(update["traces"][0]["x"]) == n
    assert_inside(update, "update")
    # The chain rule: the run's own bound, named after its activation.
    note = w.page.locator(".bound-note")
    assert float(note.get_attribute("data-bound")) == bound_of(registry, run)
    text = note.inner_text()
    assert label_of(registry, run).lower() in text.lower()  # named (a sentence may capitalise it)
    if bound_of(registry, run) >= 1:
        assert "does not shrink the product by itself" in text and "weights" in text
    else:
        assert "never exceeds 0.25" in text
    if run["status"] != "diverged":
        assert w.page.locator(".factor-card").count() == run["config"]["depth"]


def check_group_view(w: Watched, runs: dict[str, dict], registry: dict) -> None:
    """The comparison: per-run lines over each run's own layers, ratios and a′ against the API, own bounds."""
    names = {tuple(r["layer_names"]) for r in runs.values()}
    flow = w.page.evaluate(CHART, "gradflow")
    per_run = [tr for tr in flow["traces"] if tr["meta"] and not tr["meta"].get("nonfinite")]
    assert {tr["meta"]["run"] for tr in per_run} == set(runs)
    for tr in per_run:
        run = runs[tr["meta"]["run"]]
        n = len(run["layer_names"])
        assert len(tr["x"]) == len(tr["y"]) == n  # its own layers only
        rec = run["by_step"][tr["meta"]["step"]]
        assert all(close(a, lay["weight_grad_norm"]) for a, lay in zip(tr["y"], rec["layers"], strict=True))
        if len(names) > 1:  # different depths: numbered from the input, each output layer marked
            assert tr["x"] == list(range(1, n + 1))
            assert tr["symbol"][-1] == "diamond" and set(tr["symbol"][:-1]) == {"circle"}
    if len(names) > 1:
        assert "counted from the input" in flow["xtitle"]
    assert_inside(flow, "gradflow")
    ratio = w.page.evaluate(CHART, "ratio")
    for tr in ratio["traces"]:
        if not tr["meta"] or tr["meta"].get("nonfinite"):
            continue
        run = runs[tr["meta"]["run"]]
        for step, v in zip(tr["x"], tr["y"], strict=True):
            g = [lay["weight_grad_norm"] for lay in run["by_step"][step]["layers"]]
            assert close(v, g[0] / g[-1] if None not in g and g[-1] > 0 else None), (step, v)
    assert_inside(ratio, "ratio")
    deriv = w.page.evaluate(CHART, "deriv")
    for tr in deriv["traces"]:
        if tr["meta"] and "run" in tr["meta"]:
            run = runs[tr["meta"]["run"]]
            assert len(tr["x"]) == len(run["layer_names"])
            rec = run["by_step"][tr["meta"]["step"]]
            assert all(
                close(a, lay.get("mean_act_deriv")) for a, lay in zip(tr["y"], rec["layers"], strict=True)
            )
    bounds = {
        tr["meta"]["bound"]: tr["name"] for tr in deriv["traces"] if tr["meta"] and "bound" in tr["meta"]
    }
    assert set(bounds) == {bound_of(registry, r) for r in runs.values()}  # each run's own, no other
    for r in runs.values():
        assert label_of(registry, r) in bounds[bound_of(registry, r)]
    assert_inside(deriv, "deriv")
    # The loss card carries each run's test accuracy too, as the API measured it.
    loss = w.page.evaluate(CHART, "loss")
    acc = [tr for tr in loss["traces"] if tr["meta"] and tr["meta"].get("series") == "test_acc"]
    assert {tr["meta"]["run"] for tr in acc} == set(runs)
    for tr in acc:
        run = runs[tr["meta"]["run"]]
        assert tr["yaxis"] == "y2"
        assert all(close(v, run["by_step"][s].get("test_acc")) for s, v in zip(tr["x"], tr["y"], strict=True))
    assert_inside(loss, "loss")


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_plots_what_the_api_measured(served, context, name, tmp_path):
    srv, registry = served
    started = start_preset(srv.url, name, steps_per_second=25)
    ids = [r["id"] for r in started["runs"]]
    w = Watched(context, srv.url, viewport=(1400, 3000))  # tall: every chart on screen, so every chart draws
    try:
        if started["group"]:
            w.goto(f"/groups/{started['group']}", ready="live")
            runs = settle(w, srv, "groups", started["group"], ids)
            eventually(lambda: check_group_view(w, runs, registry))
            if name == "depth-3-vs-10-vs-30":
                w.page.set_viewport_size({"width": 1400, "height": 1750})
                w.screenshot("depth_comparison", tmp_path, full_page=True)
        else:
            w.goto(f"/runs/{ids[0]}", ready="live")
            runs = settle(w, srv, "runs", ids[0], ids)
            eventually(lambda: check_run_view(w, runs[ids[0]], registry))
        w.assert_clean()
    finally:
        with srv.client() as c:
            for run_id in ids:
                c.post(f"/api/runs/{run_id}/stop")  # frees the CPU for the next preset


@pytest.mark.parametrize("key", list(BUILDER))
def test_builder_configs_plot_what_the_api_measured(served, context, key):
    srv, registry = served
    with srv.client() as c:
        r = c.post("/api/runs", json={**BUILDER[key], "steps_per_second": 25})
        assert r.status_code == 201, r.text
        run_id = r.json()["id"]
    w = Watched(context, srv.url, viewport=(1400, 3000))
    try:
        w.goto(f"/runs/{run_id}", ready="live")
        runs = settle(w, srv, "runs", run_id, [run_id])
        eventually(lambda: check_run_view(w, runs[run_id], registry))
        w.assert_clean()
    finally:
        with srv.client() as c:
            c.post(f"/api/runs/{run_id}/stop")


def test_the_exploding_run_shows_the_explosion_and_marks_what_is_not_finite(served, context, tmp_path):
    srv, registry = served
    started = start_preset(srv.url, "exploding", steps_per_second=10)
    run_id = started["runs"][0]["id"]
    w = Watched(context, srv.url, viewport=(1400, 3000))
    w.goto(f"/runs/{run_id}", ready="live")
    w.page.wait_for_selector('.verdict[data-kind="diverged"]', timeout=60_000)
    run = api_runs(srv, [run_id])[run_id]  # diverged: its history is final
    assert run["status"] == "diverged"
    measured = [
        lay["weight_grad_norm"] for r in run["history"] for lay in r["layers"] if lay["weight_grad_norm"]
    ]
    assert max(measured) > 1e5  # the explosion the preset is about
    bad_steps = [
        r["step"] for r in run["history"] if any(lay["weight_grad_norm"] is None for lay in r["layers"])
    ]

    def drawn() -> None:  # the charts' redraws of the last steps follow the verdict by a frame or two
        lines = w.page.evaluate(CHART, "lines")
        plotted = [
            v for tr in lines["traces"] if not (tr["meta"] or {}).get("nonfinite") for v in tr["y"] if v
        ]
        assert max(plotted) == pytest.approx(max(measured))  # drawn ...
        assert_inside(lines, "lines")  # ... and inside the axis, not off its top
        marks = [tr for tr in lines["traces"] if (tr["meta"] or {}).get("nonfinite")]
        assert (
            bad_steps and marks and marks[0]["x"] == bad_steps
        )  # the non-finite step is marked, not dropped
        heat = w.page.evaluate(CHART, "heatmap")
        crosses = [tr for tr in heat["traces"] if (tr["meta"] or {}).get("nonfinite")]
        assert crosses and set(crosses[0]["x"]) == set(bad_steps)  # the heat map's gap is crossed too
        flow = w.page.evaluate(CHART, "gradflow")
        assert any((tr["meta"] or {}).get("nonfinite") for tr in flow["traces"])
        assert_inside(flow, "gradflow")

    eventually(drawn)
    verdict = w.page.locator(".verdict").inner_text()
    assert "Diverged at step" in verdict and "exploded" in verdict
    w.page.set_viewport_size({"width": 1400, "height": 1500})
    w.next_frames()  # the page laid out at its new height before the picture
    w.screenshot("exploding", tmp_path)
    w.assert_clean()


SWEEP = """() => document.getElementById('chart-sweep').data.map((t) => ({
  name: t.name, y: t.y, meta: t.meta || null, symbol: t.marker ? t.marker.symbol : null,
  dash: t.line ? t.line.dash : null, visible: t.visible}))"""


def test_the_sweep_shows_both_inits_and_relu_holds_up_with_kaiming(served, context, tmp_path):
    srv, _ = served
    w = Watched(context, srv.url, viewport=(1400, 1100))
    page = w.goto("/sweep?init=both")
    page.wait_for_function("() => document.body.dataset.ready === 'sweep'", timeout=240_000, polling=500)
    traces = page.evaluate(SWEEP)
    lines = {
        (t["meta"]["activation"], t["meta"]["sweep"]): t for t in traces if t["meta"] and "sweep" in t["meta"]
    }
    relu_kaiming, relu_default = lines[("relu", "recommended")], lines[("relu", "default")]
    assert relu_kaiming["meta"]["init"] == "kaiming_normal" and relu_default["meta"]["init"] == "default"
    assert lines[("tanh", "recommended")]["meta"]["init"].startswith("xavier")
    assert lines[("sigmoid", "recommended")]["meta"]["init"].startswith("xavier")
    assert 1e-1 <= relu_kaiming["meta"]["ratio"][29] <= 1e1  # He et al. 2015: flat at depth 30
    assert relu_default["meta"]["ratio"][29] < 1e-6  # PyTorch's default: ~0.4x per layer
    # Which init each line uses is written on it and on the page.
    assert "Kaiming" in relu_kaiming["name"] and "PyTorch default" in relu_default["name"]
    shown = page.locator('[data-role="sweep-shown"]').inner_text()
    assert "recommended" in shown and "PyTorch default" in shown
    # Lines that coincide stay told apart: ReLU and Leaky ReLU differ in marker and dash; inits in dash and fill.
    leaky = lines[("leaky_relu", "recommended")]
    assert (leaky["symbol"], leaky["dash"]) != (relu_kaiming["symbol"], relu_kaiming["dash"])
    assert relu_default["dash"] == "dash" and relu_default["symbol"].endswith("-open")
    assert relu_kaiming["visible"] is True and relu_default["visible"] is True
    w.screenshot("sweep_inits", tmp_path)
    # One init at a time: the default only.
    page.select_option('[data-role="sweep-init"]', "default")
    page.wait_for_function("() => document.body.dataset.ready === 'sweep'", timeout=240_000, polling=500)
    # The chart redraws with the default sweep only (it was drawn with both, so this fails if it never redraws).
    wait_until(
        lambda: (
            {t["meta"]["sweep"] for t in page.evaluate(SWEEP) if t["meta"] and "sweep" in t["meta"]}
            == {"default"}
        ),
        timeout=30,
    )
    w.assert_clean()


def test_the_sweep_api_refuses_an_unknown_init(served):
    srv, _ = served
    r = httpx.get(f"{srv.url}/api/sweep", params={"init": "bogus", "max_depth": 2}, timeout=30)
    assert r.status_code == 422 and "init" in r.json()["detail"][0]["loc"]
