"""The classroom, end to end: a presenter in lecture mode, students following on two phones and a laptop, and a
late joiner. Each of the presenter's actions reaches every follower within a second; a student who explores on
their own stays put and follows again with one tap; followers cannot publish.
"""

import httpx
import pytest

from tests.browser.support import Watched
from tests.support.live import all_recorded, holds, wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "classroom-token-for-tests"
PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
REACH_S = 1.0  # the goal: a stage change reaches every follower within a second

# Logged in the page before its scripts run (sessionStorage: kept across the follower's navigations): when each
# stage arrived on /ws/stage (followers), and when each publish was sent (the presenter), in Date.now() ms.
STAGE_LOG = """
(() => {
  const log = (key, entry) => {
    const all = JSON.parse(sessionStorage.getItem(key) || "[]");
    all.push(entry);
    sessionStorage.setItem(key, JSON.stringify(all));
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      if (String(url).endsWith("/ws/stage"))
        this.addEventListener("message", (e) => log("__received", [JSON.parse(e.data).seq, Date.now()]));
    }
  };
  const nativeFetch = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const sent = Date.now();
    const resp = await nativeFetch(input, init);
    if (String(input).endsWith("/api/stage") && init.method === "POST" && resp.ok)
      resp.clone().json().then((s) => log("__published", [s.seq, sent, s.path]));
    return resp;
  };
})();
"""


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    with live_server(
        tmp_path_factory.mktemp("classroom"),
        lecture=True,
        presenter_token=TOKEN,
        max_running_runs=4,
        record=True,
    ) as srv:
        yield srv


def _recorded_run(srv) -> str:
    """A short run trained to the end and recorded: what the presenter replays."""
    with httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as c:
        rid = c.post(
            "/api/runs", json={"depth": 3, "width": 8, "max_steps": 60, "steps_per_second": 0}
        ).json()["id"]
        all_recorded(c, [rid])
        return rid


def _watched(browser, srv, viewport, **context_options):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, **context_options)
    w = Watched(ctx, srv.url, viewport)
    w.page.add_init_script(STAGE_LOG)
    return ctx, w


def _stage(srv) -> dict:
    return httpx.get(f"{srv.url}/api/stage", timeout=10).json()


def _published(w, seq: int) -> int:
    """Date.now() when the presenter's page sent the publish that got `seq`."""
    log = w.page.evaluate("JSON.parse(sessionStorage.getItem('__published') || '[]')")
    return next(sent for s, sent, _ in log if s == seq)


def _received(w, seq: int) -> int | None:
    log = w.page.evaluate("JSON.parse(sessionStorage.getItem('__received') || '[]')")
    return min((at for s, at in log if s >= seq), default=None)


def _await_publish(srv, presenter, path_prefix: str, after: int, **state) -> dict:
    """The stage the presenter's last action published: seq past `after`, path starting with path_prefix, and
    the given state fields (polled, bounded)."""
    stage = wait_until(
        lambda: (
            (s := _stage(srv))["seq"] > after
            and s["path"].startswith(path_prefix)
            and all(s["state"].get(k) == v for k, v in state.items())
            and s
        ),
        timeout=20,
    )
    presenter.wait(f"Number(document.body.dataset.stageSeq || 0) >= {stage['seq']}")
    return stage


def _reached(followers, presenter, stage: dict, what: str) -> None:
    """Every follower received `stage` within REACH_S of its publish, and shows its path with its seq applied."""
    sent = _published(presenter, stage["seq"])
    path = stage["path"].split("?")[0]
    for name, w in followers.items():
        w.wait(
            f"location.pathname === {path!r} && Number(document.body.dataset.stageSeq || 0) >= {stage['seq']}",
            30_000,
        )
        got = _received(w, stage["seq"])
        assert got is not None, f"{name}: no stage {stage['seq']} received ({what})"
        assert (got - sent) / 1000 <= REACH_S, f"{name}: {what} took {(got - sent) / 1000:.2f} s to arrive"


def _status(w) -> str:
    return w.page.locator('[data-role="status"]').first.get_attribute("data-status") or ""


def test_the_room_follows_the_presenter(lecture, browser):
    srv = lecture
    recorded = _recorded_run(srv)
    pctx, presenter = _watched(browser, srv, (1600, 900))
    presenter.goto(f"/?token={TOKEN}", ready="home")
    assert presenter.page.locator('[data-role="classroom"] img').is_visible()  # the viewer link and its QR
    link = presenter.page.locator('[data-role="classroom-url"]').inner_text()
    assert link.endswith("/follow")
    home = _await_publish(srv, presenter, "/", 0)

    contexts = [pctx]
    followers = {}
    for name, viewport, options in (
        ("phone-390", (390, 844), PHONE),
        ("phone-360", (360, 740), PHONE),
        ("laptop", (1280, 800), {}),
    ):
        ctx, w = _watched(browser, srv, viewport, **options)
        contexts.append(ctx)
        w.goto("/follow")  # the one viewer link (a LAN address in a real room; loopback here)
        w.wait(
            f"document.body.dataset.follow === 'on' && Number(document.body.dataset.stageSeq || 0) >= {home['seq']}"
        )
        followers[name] = w
    assert all(w.page.locator('[data-role="follow-bar"]').is_visible() for w in followers.values())
    assert all(w.page.locator('[data-role="controls"]').count() == 0 for w in followers.values())

    # 1. start a comparison from the gallery
    presenter.page.locator('[data-start-preset="sigmoid-vs-relu-vs-leaky-relu"]').click()
    first = _await_publish(srv, presenter, "/groups/", home["seq"])
    _reached(followers, presenter, first, "start a comparison")

    # 2. start another preset: home, then its run
    presenter.page.locator('[data-role="home-link"]').click()
    back_home = _await_publish(srv, presenter, "/", first["seq"])
    presenter.wait("document.body.dataset.ready === 'home'", 20_000)
    presenter.page.locator('[data-start-preset="sigmoid-deep"]').click()
    run = _await_publish(srv, presenter, "/runs/", back_home["seq"])
    _reached(followers, presenter, run, "start another preset")
    presenter.wait("document.body.dataset.ready === 'live'", 20_000)

    # A student explores on their own: one tap; they stay put from now on.
    explorer = followers.pop("phone-360")
    explorer.page.locator('[data-role="follow-toggle"]').tap()
    explorer.wait("document.body.dataset.follow === 'off'")
    explorer_path = explorer.page.evaluate("location.pathname")

    # 3. pause (the third change since the first screen): status reaches everyone, through the stage and the run
    presenter.wait("document.querySelector('[data-role=\"status\"]')?.dataset.status === 'running'", 20_000)
    presenter.page.keyboard.press(" ")
    paused = _await_publish(srv, presenter, "/runs/", run["seq"], status="paused")
    _reached(followers, presenter, paused, "pause")
    for w in followers.values():
        w.wait("document.querySelector('[data-role=\"status\"]')?.dataset.status === 'paused'", 5_000)

    # A late joiner: its first screen is the room's (the run, paused), not the gallery.
    lctx, late = _watched(browser, srv, (390, 844), **PHONE)
    contexts.append(lctx)
    late.goto("/follow")
    late.wait("document.body.dataset.ready === 'live'", 30_000)
    assert late.page.evaluate("location.pathname") == presenter.page.evaluate("location.pathname")
    late.wait("document.querySelector('[data-role=\"status\"]')?.dataset.status === 'paused'", 10_000)
    followers["late"] = late

    # 4. step: the step counter moves on every follower (their run socket brings it)
    before = presenter.page.locator('[data-role="step"]').inner_text()
    presenter.page.keyboard.press("ArrowRight")
    presenter.wait(f"document.querySelector('[data-role=\"step\"]').textContent !== {before!r}", 10_000)
    step_text = presenter.page.locator('[data-role="step"]').inner_text()
    for w in followers.values():
        w.wait(f"document.querySelector('[data-role=\"step\"]').textContent === {step_text!r}", 5_000)

    # 5. walk ↑/↓: the presenter shows the chain rule card and walks; followers' walkthroughs move with it only
    presenter.page.locator('[data-chart="chainrule"]').scroll_into_view_if_needed()
    current = "document.querySelector('[data-chart=\"chainrule\"] .factor-card.current')?.dataset.layer || ''"
    presenter.wait(f"({current}) !== ''", 15_000)
    seq_before = int(presenter.page.evaluate("document.body.dataset.stageSeq"))
    presenter.page.keyboard.press("ArrowUp")
    presenter.page.keyboard.press("ArrowDown")
    presenter.page.keyboard.press("ArrowDown")
    # The three keys' publishes coalesce: the stage ends at the walk the presenter's page shows.
    _await_publish(srv, presenter, "/runs/", seq_before)
    walk_shown = "[...document.querySelectorAll('[data-chart=\"chainrule\"] .factor-card')].findIndex((c) => c.classList.contains('current')) + 1"
    walked = wait_until(
        lambda: (s := _stage(srv))["state"].get("walk") == presenter.page.evaluate(walk_shown) and s
    )
    layer = presenter.page.evaluate(current)
    assert walked["state"]["walk"] >= 1 and layer
    _reached(followers, presenter, walked, "walk")
    for w in followers.values():
        w.page.locator('[data-chart="chainrule"]').scroll_into_view_if_needed()
        w.wait(f"({current}) === {layer!r}", 5_000)
    # Letting time pass is the test: a walk that played on its own clock (a factor every 0.9 s) would move.
    holds(
        lambda: all(w.page.evaluate(current) == layer for w in (presenter, *followers.values())),
        2.0,
        interval=0.1,
    )
    hint = (
        '[data-role="chain-walk-hint"]'  # a follower is told whose walk it is (its own keys do not move it)
    )
    assert (
        followers["laptop"].page.locator(hint).text_content()
        == "The presenter walks through the layers (↑/↓)."
    )
    assert presenter.page.locator(hint).text_content().startswith("Paused: step from the output layer down")

    # The explorer stayed where they were, and no banner yet: the presenter is still on that run.
    assert explorer.page.evaluate("location.pathname") == explorer_path
    assert explorer.page.locator('[data-role="follow-moved"]').is_hidden()

    # 6. open the sweep
    seq_before = int(presenter.page.evaluate("document.body.dataset.stageSeq"))
    presenter.page.locator(".topnav a[href='/sweep']").click()
    sweep = _await_publish(srv, presenter, "/sweep", seq_before)
    _reached(followers, presenter, sweep, "open the sweep")

    # The explorer learns that the presenter moved on, then follows again with one tap.
    explorer.wait("!document.querySelector('[data-role=\"follow-moved\"]').hidden", 5_000)
    assert explorer.page.evaluate("location.pathname") == explorer_path
    explorer.page.locator('[data-role="follow-toggle"]').tap()
    explorer.wait("location.pathname === '/sweep' && document.body.dataset.follow === 'on'", 20_000)

    # 7. open a replay of a recorded run (from the home page's records panel)
    presenter.page.locator('[data-role="home-link"]').click()
    home_again = _await_publish(srv, presenter, "/", sweep["seq"])
    presenter.wait("document.body.dataset.ready === 'home'", 20_000)
    presenter.page.locator(f'[data-record="{recorded}"] [data-record-action="replay"]').click()
    replay = _await_publish(srv, presenter, "/runs/", home_again["seq"])
    _reached(followers, presenter, replay, "open a replay")
    for w in followers.values():
        w.wait(
            "!document.querySelector('[data-role=\"replay-badge\"]').hidden", 10_000
        )  # a replay is a run of kind replay

    # Followers cannot publish: their session is no presenter's.
    refused = followers["laptop"].page.evaluate(
        """() => fetch('/api/stage', {method: 'POST', headers: {'Content-Type': 'application/json'},
                  body: JSON.stringify({path: '/', state: {}})}).then((r) => r.status)"""
    )
    assert refused == 401
    assert _stage(srv)["path"] == replay["path"]
    followers["laptop"].errors = [
        e for e in followers["laptop"].errors if "401" not in e
    ]  # the refusal asked for
    for w in (*followers.values(), explorer):
        log = w.page.evaluate("JSON.parse(sessionStorage.getItem('__published') || '[]')")
        assert log == []  # a follower's page never published
        w.assert_clean()
    presenter.assert_clean()
    for ctx in contexts:
        ctx.close()


def test_projector_mode_persists_across_pages(lecture, browser):
    ctx, w = _watched(browser, lecture, (1280, 800))
    w.goto(f"/?token={TOKEN}", ready="home")
    w.page.keyboard.press("p")
    assert w.page.evaluate("document.body.classList.contains('projector')")
    w.goto("/sweep", ready="sweep")
    assert w.page.evaluate("document.body.classList.contains('projector')")
    w.page.keyboard.press("p")
    w.goto("/", ready="home")
    assert not w.page.evaluate("document.body.classList.contains('projector')")
    w.assert_clean()
    ctx.close()
