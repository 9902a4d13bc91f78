"""A replayed comparison in Debian's chromium: a badge, a group's controls (pause, step, speed) and a timeline that
seeks every run together; a second viewer sees the same steps."""

import httpx
import pytest

from tests.browser.support import Watched
from tests.support.live import all_recorded, holds, wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONFIG = {
    "depth": 3,
    "width": 8,
    "max_steps": 200,
    "steps_per_second": 0,
}  # a short run, trained at full speed
PACE = 10  # steps/s of the replay: 200 steps last 20 s, longer than the test watches them
SHOWN_STEP = "document.querySelector('[data-role=\"step\"]').textContent"


def recorded_pair(url: str) -> list[str]:
    """Two runs trained to the end and written to the record: their ids."""
    with httpx.Client(base_url=url, timeout=10) as client:
        ids = []
        for _ in range(2):
            resp = client.post("/api/runs", json=CONFIG)
            assert resp.status_code == 201, resp.text
            ids.append(resp.json()["id"])
        all_recorded(client, ids, timeout=30)
        return ids


def replay_of(url: str, group: str) -> dict:
    """The replay in progress for this group, as GET /api/records/replays lists it."""
    replays = httpx.get(f"{url}/api/records/replays", timeout=10).json()
    (found,) = [r for r in replays if "group" in r and r["group"]["id"] == group]
    return found


STEPS_SHOWN = "Array.from(window.__live.store.runs.values()).map((s) => s.run.step)"
EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"


def all_at(step: int) -> str:
    """JS: every run of the page's store is at `step` (lockstep)."""
    return f"({STEPS_SHOWN}).length === 2 && ({STEPS_SHOWN}).every((s) => s === {step})"


def test_replayed_group_view(browser, tmp_path):
    with live_server(tmp_path, record=True) as server:
        ids = recorded_pair(server.url)
        resp = httpx.post(
            f"{server.url}/api/records/replay", params={"ids": ",".join(ids), "steps_per_second": PACE}
        )
        assert resp.status_code == 201, resp.text
        group = resp.json()["group"]
        ctx = browser.new_context()
        try:
            w = Watched(ctx, server.url)
            page = w.goto(f"/groups/{group}", ready="live")
            page.evaluate(EXPOSE)
            badge = page.locator('[data-role="replay-badge"]')
            badge.wait_for(state="visible", timeout=10_000)
            assert badge.inner_text() == "replay of a recorded comparison"
            for role in ("play-toggle", "step-once", "reset", "timeline-range"):
                assert page.locator(f'[data-role="{role}"]').is_visible(), role
            other = browser.new_context()
            follower = Watched(
                other, server.url
            )  # another viewer of the same page, read-only, in its own window
            follower.goto(f"/groups/{group}?view=1", ready="live").evaluate(EXPOSE)
            w.wait(f"/[0-9]/.test({SHOWN_STEP})")
            # Running: the shown step moves. Pause: it holds for a second; the replay itself says paused.
            moving = page.evaluate(SHOWN_STEP)
            w.wait(f"{SHOWN_STEP} !== {moving!r}", timeout_ms=5_000)
            play = page.locator('[data-role="play-toggle"]')
            play.click()
            w.wait(
                "document.querySelector('[data-role=\"play-toggle\"]').dataset.state === 'play'",
                timeout_ms=5_000,
            )
            w.wait("window.__live.store.status() === 'paused'")
            held = replay_of(server.url, group)["step"]
            wait_until(lambda: page.evaluate(STEPS_SHOWN) == [held, held])  # the frames on the wire land
            # Letting time pass is the test: a second of a replay that would still be playing.
            holds(lambda: page.evaluate(STEPS_SHOWN) == [held, held], 1.0)
            assert replay_of(server.url, group)["paused"] is True
            # One step (the arrow key, as for a trained group): both runs move one recorded step, together.
            step = replay_of(server.url, group)["step"]
            page.keyboard.press("ArrowRight")
            w.wait(all_at(step + 1))
            # Seek back with the timeline: both runs, on both screens, at that step.
            page.evaluate(
                "() => { const r = document.querySelector('[data-role=\"timeline-range\"]'); r.value = '5';"
                " r.dispatchEvent(new Event('input')); r.dispatchEvent(new Event('change')); }"
            )
            w.wait(all_at(5))
            follower.wait(all_at(5))
            assert follower.page.evaluate("window.__live.store.status()") == "paused"
            # Play again: it moves on, on the follower's screen too.
            play.click()
            follower.wait(f"({STEPS_SHOWN}).every((s) => s > 7)", timeout_ms=5_000)
            # Space pauses too.
            page.keyboard.press("Space")
            w.wait(
                "document.querySelector('[data-role=\"play-toggle\"]').dataset.state === 'play'",
                timeout_ms=5_000,
            )
            # The speed slider sets the replay's pace (index 4 of controls.js SPEEDS: 8 steps/s).
            page.evaluate(
                "() => { const s = document.querySelector('[data-role=\"speed\"]');"
                " s.value = '4'; s.dispatchEvent(new Event('change')); }"
            )
            wait_until(lambda: replay_of(server.url, group)["steps_per_second"] == 8, timeout=5)
            w.assert_clean()
            follower.assert_clean()
            other.close()
        finally:
            ctx.close()
