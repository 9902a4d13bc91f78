"""A recorded preset run replayed in Debian's chromium: the replay badge, every panel its record has data for,
the run's controls (pause, step), the timeline (seek back), and the backprop walkthrough on a recorded step."""

import re

import httpx
import pytest

from tests.browser.support import Watched
from tests.support.live import holds, wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRESET = "sigmoid-deep"  # 10 sigmoid layers on the spiral: saturation, a'(z) <= 0.25, a boundary
RECORDED = 200  # steps trained before the run is stopped
PACE = 4  # steps/s of the replay: it plays for ~50 s, longer than the test watches it
TALL = (1400, 2450)  # every chart on screen, so every chart draws
EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"
SHOWN_STEP = "document.querySelector('[data-role=\"step\"]').textContent"
STORE_STEP = "window.__live.store.runs.values().next().value.run.step"
PANELS = ("gradflow", "chainrule", "heatmap", "lines", "loss", "update", "health", "hist", "boundary")
TRACED = ("gradflow", "heatmap", "lines", "loss", "update", "health", "hist", "boundary")  # Plotly charts


def recorded_preset(c: httpx.Client) -> dict:
    """The preset trained as fast as it goes, stopped past RECORDED steps; its record once fully written."""
    r = c.post(f"/api/presets/{PRESET}/runs", json={"steps_per_second": 0})
    assert r.status_code == 201, r.text
    rid = r.json()["runs"][0]["id"] if "runs" in r.json() else r.json()["id"]
    wait_until(lambda: c.get(f"/api/runs/{rid}").json()["step"] >= RECORDED, timeout=60)
    assert c.post(f"/api/runs/{rid}/stop").status_code == 200
    step = c.get(f"/api/runs/{rid}").json()["step"]
    return wait_until(
        lambda: (
            (x := c.get(f"/api/records/{rid}").json()).get("steps") == step and x["status"] == "stopped" and x
        ),
        timeout=15,
    )


def seek_by_timeline(page, step: int) -> None:
    """Drag the timeline's thumb to `step` and let go (input, then change: what a pointer does)."""
    page.evaluate(
        "(step) => { const r = document.querySelector('[data-role=\"timeline-range\"]'); r.value = String(step);"
        " r.dispatchEvent(new Event('input')); r.dispatchEvent(new Event('change')); }",
        step,
    )


def test_a_recorded_preset_replays_with_every_panel_controls_timeline_and_walkthrough(tmp_path, browser):
    with live_server(tmp_path, record=True) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        rec = recorded_preset(c)
        assert rec["preset"] == PRESET
        replay = c.post(f"/api/records/{rec['id']}/replay", params={"steps_per_second": PACE}).json()
        ctx = browser.new_context()
        try:
            w = Watched(ctx, srv.url, viewport=TALL)
            page = w.goto(f"/runs/{replay['id']}", ready="live")
            page.evaluate(EXPOSE)
            w.wait("window.__live && window.__live.store.runs.size === 1")
            badge = page.locator('[data-role="replay-badge"]')
            badge.wait_for(state="visible", timeout=10_000)
            assert badge.inner_text() == "replay of a recorded run"
            assert not page.locator('[data-role="external-badge"]').is_visible()
            for role in ("play-toggle", "step-once", "reset", "speed", "timeline-range"):
                assert page.locator(f'[data-role="{role}"]').is_visible(), role
            assert page.locator('[data-role="timeline-range"]').get_attribute("max") == str(rec["steps"])

            # Every panel the record has data for: none says "not measured", each chart draws numbers.
            w.wait(f"{STORE_STEP} >= 12", timeout_ms=20_000)
            for name in PANELS:
                assert "missing" not in (
                    page.locator(f'[data-chart="{name}"]').get_attribute("class") or ""
                ), name
            for name in TRACED:
                w.page.wait_for_function(
                    "(name) => { const el = document.getElementById('chart-' + name);"
                    " return el && el.data && el.data.some((t) => (t.y || t.z || []).length > 0); }",
                    arg=name,
                    timeout=15_000,
                )
            assert (
                page.locator('[data-role="chain-factors"] .factor-card').count() >= 9
            )  # a'(z) of each hidden layer

            # Pause: the step holds. Step: exactly one more recorded step.
            page.locator('[data-role="play-toggle"]').click()
            w.wait("document.querySelector('[data-role=\"play-toggle\"]').dataset.state === 'play'")
            w.wait("window.__live.store.runs.values().next().value.run.status === 'paused'")
            held = c.get(f"/api/runs/{replay['id']}").json()["step"]
            wait_until(lambda: page.evaluate(STORE_STEP) == held)  # the frames on the wire land
            # Letting time pass is the test: 3 steps at PACE, were it still playing.
            holds(lambda: page.evaluate(STORE_STEP) == held, 0.75)
            page.locator('[data-role="step-once"]').click()
            w.wait(f"{STORE_STEP} === {held + 1}")
            page.keyboard.press("ArrowLeft")  # and one recorded step back
            w.wait(f"{STORE_STEP} === {held}")

            # Seek back with the timeline: the history is as it was at that step, and the replay waits there.
            back = 30
            seek_by_timeline(page, back)
            w.wait(f"{STORE_STEP} === {back}")
            state = page.evaluate(
                "() => { const s = window.__live.store.runs.values().next().value;"
                " return {last: s.lastStep, full: s.latestFull && s.latestFull.step, status: s.run.status,"
                " shown: document.querySelector('[data-role=\"timeline-value\"]').textContent}; }"
            )
            assert state["last"] == back and state["status"] == "paused", state
            assert state["shown"] == f"step {back} of {rec['steps']}"
            history = c.get(f"/api/records/{rec['id']}").json()["history"]
            full_steps = [
                s["step"] for s in history if "mean_act_deriv" in s["layers"][0] and s["step"] <= back
            ]
            assert (
                state["full"] == full_steps[-1]
            )  # the panels draw the newest recorded display step at or before it
            assert c.get(f"/api/runs/{replay['id']}").json()["step"] == back  # the server agrees

            # The walkthrough on that recorded step: from the output down, one factor per key press.
            w.wait("document.querySelector('[data-role=\"chain-walk-hint\"]').textContent.length > 0")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("ArrowDown")
            w.wait("document.querySelector('[data-role=\"chain-walk-at\"]').textContent.length > 0")
            walk = page.locator('[data-role="chain-walk-at"]').inner_text()  # "At layer K: a′ = X, ..."
            full = next(s for s in history if s["step"] == full_steps[-1])
            match = re.match(r"At layer (\d+): a′ = ([0-9.]+),", walk)
            assert match, walk
            want = full["layers"][int(match[1]) - 1][
                "mean_act_deriv"
            ]  # that layer's a'(z) at the recorded step
            assert abs(float(match[2]) - want) <= 0.05 * want, (walk, want)
            current = page.locator('[data-role="chain-factors"] .factor-card.current')
            assert current.count() == 1 and current.get_attribute("data-layer") == match[1]

            # Play on from there: it moves forward again.
            page.locator('[data-role="play-toggle"]').click()
            w.wait(f"{STORE_STEP} > {back + 2}", timeout_ms=10_000)
            w.assert_clean()
        finally:
            ctx.close()
