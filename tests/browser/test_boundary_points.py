"""Chart g in chromium: the run's training points drawn over the decision boundary, live and replayed."""

import pytest

from tests.browser.support import Watched
from tests.support.live import SMALL, wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SPIRAL = {**SMALL, "n_samples": 1000}  # 800 training rows: 300 points drawn
TALL = (1400, 2450)  # every chart on screen, so every chart draws
# The boundary chart's traces as Plotly holds them: what is on screen.
TRACES = """() => { const el = document.getElementById('chart-boundary');
  return el && el.data ? el.data.map((t) => ({type: t.type, x: t.x, y: t.y, color: t.marker ? t.marker.color : null}))
                       : []; }"""


def _wait_traces(w: Watched, types: list[str], timeout_ms: int = 30_000) -> list[dict]:
    """The boundary chart's traces once their types are exactly `types`."""
    w.page.wait_for_function(
        f"(want) => JSON.stringify(({TRACES})().map((t) => t.type)) === JSON.stringify(want)",
        arg=types,
        timeout=timeout_ms,
    )
    return w.page.evaluate(TRACES)


def _assert_points_drawn(scatter: dict, points: dict) -> None:
    assert len(scatter["x"]) == len(scatter["y"]) == 300
    assert scatter["x"] == points["x"] and scatter["y"] == points["y"] and scatter["color"] == points["label"]


def test_run_view_draws_the_points_before_training_and_over_the_boundary_after(server, context):
    with server.client() as c:
        run = c.post("/api/runs", json={**SPIRAL, "max_steps": 200, "paused": True}).json()
        points = c.get(f"/api/runs/{run['id']}", params={"history": "none"}).json()["points"]
        w = Watched(context, server.url, viewport=TALL)
        w.goto(f"/runs/{run['id']}", ready="live")
        # Step 0, nothing trained: the data alone, so the room sees the spiral before the network does.
        (scatter,) = _wait_traces(w, ["scatter"])
        _assert_points_drawn(scatter, points)
        assert c.post(f"/api/runs/{run['id']}/resume").status_code == 200
        heat, scatter = _wait_traces(w, ["heatmap", "scatter"])
        _assert_points_drawn(scatter, points)
        assert len(heat["x"]) == 40 and heat["x"][0] < min(scatter["x"]) and max(scatter["x"]) < heat["x"][-1]
        assert w.page.locator('[data-chart="boundary"]').get_attribute("class").split().count("missing") == 0
        w.assert_clean()


def test_replay_view_shows_boundary_and_points(tmp_path, context):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        run = c.post("/api/runs", json={**SPIRAL, "max_steps": 60, "steps_per_second": 0}).json()
        points = c.get(f"/api/runs/{run['id']}", params={"history": "none"}).json()["points"]
        wait_until(lambda: c.get(f"/api/records/{run['id']}").json().get("steps") == 60, 30)
        live = c.post(f"/api/records/{run['id']}/replay", params={"steps_per_second": 10}).json()
        w = Watched(context, srv.url, viewport=TALL)
        w.goto(f"/runs/{live['id']}", ready="live")
        heat, scatter = _wait_traces(w, ["heatmap", "scatter"])
        _assert_points_drawn(scatter, points)
        # A replay has every panel its record has data for: none is labelled "not measured".
        for name in ("boundary", "chainrule", "update", "health", "hist"):
            card = w.page.locator(f'[data-chart="{name}"]')
            assert "missing" not in card.get_attribute("class").split(), name
        w.assert_clean()
