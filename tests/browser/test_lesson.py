"""Lesson mode in a real browser: every step of the built-in lesson live in both languages, the clicker's keys,
a follower without the token on the presenter's address, and the handout opened offline."""

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.lessons.builtin import VANISHING_GRADIENT
from tests.browser.support import Watched
from tests.support.live import wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "lesson-lecture-token"
STEP_MS = 30_000  # a step's view is live within a few seconds on a quiet machine; generous on a loaded one
PAGE = "/static/js/pages/lesson.js"
LOCATIONS = (
    "window.__locations = 0; document.addEventListener('gradcast:location', () => window.__locations++);"
)

# The page's store, read through the page module (the same instance the page runs).
RUNS = f"async () => {{ const s = (await import('{PAGE}')).lessonPage.store; return [...s.runs.values()].map((r) => ({{id: r.run.id, status: r.run.status, step: r.lastStep, full: Boolean(r.latestFull)}})); }}"
LIVE = f"async () => {{ const s = (await import('{PAGE}')).lessonPage.store; const rs = [...s.runs.values()]; return rs.length > 0 && rs.every((r) => r.run.status === 'running' && r.latestFull && r.lastStep > 0); }}"


def plotted(w: Watched, name: str) -> bool:
    data = w.plot(name)
    return bool(data) and any(t["y"] and any(v is not None for v in t["y"]) for t in data)


def wait_view_live(w: Watched, n: int) -> None:
    """Step n shown and its view live: frames of running runs drawn, the sweep drawn, or z_k measured."""
    w.wait(f"document.body.dataset.stepReady === '{n}'", STEP_MS)
    view = VANISHING_GRADIENT.steps[n - 1].view
    page = w.page
    if view.kind == "preset":
        page.wait_for_function(LIVE, timeout=STEP_MS)
        wait_until(lambda: plotted(w, "gradflow"), timeout=STEP_MS / 1000)
    elif view.kind == "sweep":
        wait_until(lambda: plotted(w, "sweep"), timeout=60)  # computed once per server (cached), then at once
    else:
        page.wait_for_function(LIVE, timeout=STEP_MS)

        def measured() -> list[dict]:  # this step's bars of measured z_k (not the previous step's)
            return [t for t in (w.plot("function") or []) if t["meta"] and t["meta"].get("lessonStep") == n]

        bars = wait_until(measured, timeout=STEP_MS / 1000)
        assert [t["meta"]["layer"] for t in bars] == view.measure.layers
    cards = page.eval_on_selector_all(
        '[data-role="lesson-grid"] [data-chart]',
        "els => els.filter((e) => !e.hidden).map((e) => e.dataset.chart)",
    )
    assert VANISHING_GRADIENT.steps[n - 1].highlight in cards
    assert page.locator(".card.highlight").count() == 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("lesson")) as srv:
        yield srv


@pytest.mark.parametrize(
    ("lang", "next_key", "back_key"), [("en", "ArrowRight", "ArrowLeft"), ("ko", "PageDown", "PageUp")]
)
def test_every_step_opens_live_in_both_languages(server, browser, tmp_path, lang, next_key, back_key):
    ctx = browser.new_context()
    w = Watched(ctx, server.url)
    w.page.add_init_script(LOCATIONS)
    page = w.goto(f"/lessons/vanishing-gradient?lang={lang}", ready="lesson")
    total = len(VANISHING_GRADIENT.steps)
    for n in range(1, total + 1):
        wait_view_live(w, n)
        step = VANISHING_GRADIENT.steps[n - 1]
        assert page.locator('[data-role="step-title"]').inner_text() == getattr(step.title, lang)
        assert page.locator('[data-role="step-formula"] math').count() == 1  # native MathML from the server
        assert f"step={n}" in page.url and "session=" in page.url
        counter = page.locator('[data-role="deck-counter"]').inner_text()
        assert str(n) in counter and str(total) in counter
        if lang == "en" and n in SHOTS:
            shoot(w, n, tmp_path)
        if n < total:
            page.keyboard.press(next_key)
    # Only the open step's runs train: every other run of the lesson is paused (or never started).
    sid = parse_qs(urlsplit(page.url).query)["session"][0]
    sources = [s["source"] for s in httpx.get(f"{server.url}/api/lessons/sessions/{sid}").json()["steps"]]
    ours = {r for s in sources if s for r in s["runs"]}
    shown = {r["id"] for r in page.evaluate(RUNS)}

    def only_shown_train() -> bool:
        running = {r["id"] for r in httpx.get(f"{server.url}/api/runs").json() if r["status"] == "running"}
        return ours & running == shown

    wait_until(only_shown_train, timeout=15)
    page.keyboard.press(back_key)
    w.wait(f"document.body.dataset.stepReady === '{total - 1}'", STEP_MS)
    page.keyboard.press(back_key)
    wait_view_live(w, total - 2)
    assert f"step={total - 2}" in page.url
    assert page.evaluate("window.__locations") >= total + 2  # one per step shown: the stage republishes on it
    page.keyboard.press("o")  # the overview: every step, the current one marked
    items = page.locator('[data-role="deck-list"] li')
    assert items.count() == total and "current" in (items.nth(total - 3).get_attribute("class") or "")
    items.nth(0).locator("button").click()
    wait_view_live(w, 1)
    w.assert_clean()
    ctx.close()


SHOTS = {3: "lesson_chainrule", 4: "lesson_sigmoid", 9: "lesson_comparison"}


def shoot(w: Watched, n: int, tmp_path) -> None:
    """The README's pictures: the chain rule with live numbers, σ and σ′ with the measured z, the comparison."""
    if n == 3:
        w.wait("document.querySelectorAll('.factor-card').length === 10")
        w.wait("document.querySelectorAll('[data-number]').length === 3")
    time.sleep(2)  # a few more frames: the numbers and charts as the room sees them mid-run
    w.screenshot(SHOTS[n], tmp_path)


def test_a_follower_sees_the_presenters_step_and_runs_and_creates_none(browser, tmp_path):
    with live_server(tmp_path, lecture=True, presenter_token=TOKEN) as srv:
        presenter = Watched(browser.new_context(), srv.url)
        presenter.goto(f"/?token={TOKEN}", ready="home")  # the presenter link: the cookie
        page = presenter.goto("/lessons/vanishing-gradient?step=3", ready="lesson")
        wait_view_live(presenter, 3)
        address = page.url.removeprefix(srv.url)
        assert address.startswith("/lessons/vanishing-gradient?") and "step=3" in address
        runs_before = httpx.get(f"{srv.url}/api/runs").json()

        follower = Watched(browser.new_context(), srv.url)  # no cookie: a student
        posts: list[str] = []
        follower.page.on("request", lambda r: r.method != "GET" and posts.append(f"{r.method} {r.url}"))
        fpage = follower.goto(address, ready="lesson")
        wait_view_live(follower, 3)
        assert fpage.locator('[data-role="controls"]').count() == 0
        assert {r["id"] for r in fpage.evaluate(RUNS)} == {r["id"] for r in page.evaluate(RUNS)}
        assert fpage.locator('[data-role="step-title"]').inner_text() == VANISHING_GRADIENT.steps[2].title.en
        fpage.keyboard.press("Space")  # not the presenter: Space pauses nothing
        time.sleep(0.5)
        assert all(r["status"] == "running" for r in fpage.evaluate(RUNS))

        for _ in range(6):
            page.keyboard.press("ArrowRight")
        wait_view_live(presenter, 9)
        wait_view_live(follower, 9)  # the follower keeps to the presenter's step
        ids = {r["id"] for r in page.evaluate(RUNS)}
        assert len(ids) == 3 and {r["id"] for r in fpage.evaluate(RUNS)} == ids

        # A student arriving late, on a phone, on the presenter's address.
        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        late = Watched(phone, srv.url, viewport=(390, 844))
        late.goto(page.url.removeprefix(srv.url), ready="lesson")
        wait_view_live(late, 9)
        assert {r["id"] for r in late.page.evaluate(RUNS)} == ids
        assert (
            late.page.evaluate("document.documentElement.scrollWidth") <= 390
        )  # nothing wider than the phone
        assert posts == []
        runs_after = httpx.get(f"{srv.url}/api/runs").json()
        made_by_presenter = {r["id"] for r in runs_after} - {r["id"] for r in runs_before}
        assert made_by_presenter and all(
            r["preset"] != "sigmoid-deep" for r in runs_after if r["id"] in made_by_presenter
        )
        for w in (presenter, follower, late):
            w.assert_clean()


def open_offline(browser, html: str, path) -> tuple[object, list[str]]:
    """The saved file in an offline browser: (page, problems: requests made or errors logged)."""
    path.write_text(html, encoding="utf-8")
    page = browser.new_context(offline=True).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file:") else problems.append("request " + r.url))
    page.goto(path.as_uri())
    return page, problems


def test_the_handout_opens_offline_with_its_charts(browser, tmp_path):
    with live_server(tmp_path, record=True) as srv, httpx.Client(base_url=srv.url, timeout=120) as c:
        sid = c.post("/api/lessons/vanishing-gradient/sessions").json()["id"]
        for n in (1, 4, 9):
            assert c.post(f"/api/lessons/sessions/{sid}/steps/{n}/open").status_code == 200
            source = c.get(f"/api/lessons/sessions/{sid}").json()["steps"][n - 1]["source"]
            wait_until(
                lambda s=source: all(c.get(f"/api/runs/{r}").json()["step"] >= 20 for r in s["runs"]), 60
            )
        handouts = {
            lang: c.get(f"/api/lessons/sessions/{sid}/handout.html", params={"lang": lang})
            for lang in ("en", "ko")
        }

    for lang, resp in handouts.items():
        assert resp.status_code == 200 and "<script src" not in resp.text  # one file, Plotly inline
        page, problems = open_offline(browser, resp.text, tmp_path / f"handout-{lang}.html")
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 8", timeout=30_000)
        assert problems == []
        assert page.locator("h1").inner_text() == getattr(VANISHING_GRADIENT.title, lang)
        assert page.locator("section.step").count() == len(VANISHING_GRADIENT.steps)
        assert page.locator("section.step .formula math").count() == len(VANISHING_GRADIENT.steps)
        flow = page.eval_on_selector(
            "#step-1 .js-plotly-plot", "el => el.data.map((t) => ({name: t.name, n: t.y.length}))"
        )
        assert flow == [{"name": "sigmoid-deep", "n": 11}]  # 10 hidden layers and the output, as recorded
        assert page.locator("#step-9 .js-plotly-plot").count() == 2
        bars = page.eval_on_selector(
            "#step-4 .js-plotly-plot", "el => el.data.filter((t) => t.type === 'bar').length"
        )
        assert bars == 2  # z_1 and z_10 measured
        assert page.locator("#step-5 .js-plotly-plot").count() == 1  # the sweep
        page.context.close()
