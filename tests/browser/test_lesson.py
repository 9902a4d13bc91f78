"""Lesson mode in a real browser: every step of the built-in lesson live in both languages, the clicker's keys,
a follower without the token on the presenter's address, and the handout opened offline."""

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


@pytest.mark.parametrize(
    ("lang", "next_key", "back_key"), [("en", "ArrowRight", "ArrowLeft"), ("ko", "PageDown", "PageUp")]
)
def test_every_step_opens_live_in_both_languages(srv, browser, tmp_path, lang, next_key, back_key):
    ctx = browser.new_context()
    w = Watched(ctx, srv.url)
    w.page.add_init_script(LOCATIONS)
    page = w.goto(f"/lessons/vanishing-gradient?lang={lang}", ready="lesson")
    total = len(VANISHING_GRADIENT.steps)
    for n in range(1, total + 1):
        wait_view_live(w, n)
        step = VANISHING_GRADIENT.steps[n - 1]
        assert page.locator('[data-role="step-title"]').inner_text() == getattr(step.title, lang)
        assert page.locator('[data-role="step-formula"] math').count() == 1  # native MathML from the srv
        assert f"step={n}" in page.url and "session=" in page.url
        counter = page.locator('[data-role="deck-counter"]').inner_text()
        assert str(n) in counter and str(total) in counter
        if lang == "en" and n in SHOTS:
            shoot(w, n, tmp_path)
        if n < total:
            page.keyboard.press(next_key)
    # Only the open step's runs train: every other run of the lesson is paused (or never started).
    sid = parse_qs(urlsplit(page.url).query)["session"][0]
    sources = [s["source"] for s in httpx.get(f"{srv.url}/api/lessons/sessions/{sid}").json()["steps"]]
    ours = {r for s in sources if s for r in s["runs"]}
    shown = {r["id"] for r in page.evaluate(RUNS)}

    def only_shown_train() -> bool:
        running = {r["id"] for r in httpx.get(f"{srv.url}/api/runs").json() if r["status"] == "running"}
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
    # Mid-run, as the room sees it: the step's runs ten steps further on, and the charts' redraws of them.
    newest = lambda: max(r["step"] for r in w.page.evaluate(RUNS))  # noqa: E731
    start = newest()
    wait_until(lambda: newest() >= start + 10, timeout=STEP_MS / 1000)
    w.next_frames(w.page.evaluate("document.querySelectorAll('.chart-card').length") + 2)
    w.screenshot(SHOTS[n], tmp_path)


PHONE = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
REACH_MS = 1000  # a follower shows the presenter's step within a second of the clicker's key
# Logged before the page's scripts run, in sessionStorage (kept across a reload, so a reload would show twice):
# the presenter's key presses, a follower's steps shown and steps ready (runs streaming), each with Date.now().
TIMELINE = """
(() => {
  const log = (key, entry) => {
    const all = JSON.parse(sessionStorage.getItem(key) || "[]");
    all.push(entry);
    sessionStorage.setItem(key, JSON.stringify(all));
  };
  window.__pageId = Math.random();
  document.addEventListener("keydown", (e) => log("__keys", [e.key, Date.now()]), true);
  new MutationObserver(() => {
    const b = document.body;
    if (b.dataset.lessonStep && b.dataset.lessonStep !== window.__shown) log("__shown", [Number((window.__shown = b.dataset.lessonStep)), Date.now()]);
    if (b.dataset.stepReady && b.dataset.stepReady !== window.__ready) log("__ready", [Number((window.__ready = b.dataset.stepReady)), Date.now()]);
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-lesson-step", "data-step-ready"] });
})();
"""
SHOWN = """async () => {
  const page = (await import('/static/js/pages/lesson.js')).lessonPage;
  const card = document.querySelector('.card.highlight');
  return {
    step: Number(document.body.dataset.lessonStep),
    title: document.querySelector('[data-role="step-title"]').textContent,
    formula: document.querySelector('[data-role="step-formula"]').innerHTML,
    highlight: card ? card.dataset.chart : null,
    runs: page.stage.source()?.runs ?? [],
  };
}"""

KNOWS = "async (n) => (await import('/static/js/pages/lesson.js')).lessonPage.stage.knows(n)"


def _log(w: Watched, key: str) -> list:
    return w.page.evaluate(f"JSON.parse(sessionStorage.getItem('{key}') || '[]')")


def _phone(browser, srv, width: int, height: int) -> Watched:
    w = Watched(
        browser.new_context(viewport={"width": width, "height": height}, **PHONE), srv.url, (width, height)
    )
    w.page.add_init_script(TIMELINE)
    return w


def _prepared(srv, sid: str, n: int) -> bool:
    """Step n's runs exist (the presenter's page prepares the next step while this one is shown)."""
    step = httpx.get(f"{srv.url}/api/lessons/sessions/{sid}", timeout=10).json()["steps"][n - 1]
    return not step["needs_runs"] or step["source"] is not None


def test_the_room_follows_the_lesson_step_by_step_on_phones(browser, tmp_path):
    """Lecture mode: the presenter walks the built-in lesson with the clicker's keys; two phones (English and
    Korean) and a late joiner on a 360-px phone show each step (title, formula, highlighted panel, runs) within a
    second of the key, in place (no reload, no polling of the session); followers publish nothing."""
    steps = VANISHING_GRADIENT.steps
    total = len(steps)
    with live_server(tmp_path, lecture=True, presenter_token=TOKEN) as srv:
        presenter = Watched(browser.new_context(), srv.url, (1600, 900))
        presenter.page.add_init_script(TIMELINE)
        presenter.goto(f"/?token={TOKEN}", ready="home")  # the presenter link: the cookie
        assert presenter.page.evaluate(  # the presenter's home page: the viewer link, then the lessons
            "document.querySelector('.classroom-card').nextElementSibling.classList.contains('lessons-section')"
        )
        presenter.page.locator('[data-open-lesson="vanishing-gradient"]').click()
        presenter.wait("document.body.dataset.ready === 'lesson'", 30_000)
        wait_view_live(presenter, 1)
        sid = parse_qs(urlsplit(presenter.page.url).query)["session"][0]

        posts: list[str] = []
        followers = {"en-390": _phone(browser, srv, 390, 844), "ko-390": _phone(browser, srv, 390, 844)}
        for name, w in followers.items():
            w.page.on("request", lambda r: r.method != "GET" and posts.append(f"{r.method} {r.url}"))
            w.goto("/follow" + ("?lang=ko" if name.startswith("ko") else ""), ready="lesson")
            w.wait("document.body.dataset.stepReady === '1'", STEP_MS)

        def check(n: int, key_at: int | None) -> None:
            """Every follower shows step n as the presenter does; within REACH_MS of the key when one was pressed."""
            presenter.wait(f"document.body.dataset.stepReady === '{n}'", STEP_MS)
            want = presenter.page.evaluate(SHOWN)
            assert want["step"] == n
            assert want["runs"] or steps[n - 1].view.kind == "sweep"
            for name, w in followers.items():
                w.wait(f"document.body.dataset.stepReady === '{n}'", STEP_MS)
                got = w.page.evaluate(SHOWN)
                lang = "ko" if name.startswith("ko") else "en"
                assert got["title"] == getattr(steps[n - 1].title, lang), name
                assert (got["step"], got["formula"], got["highlight"], got["runs"]) == (
                    n,
                    want["formula"],
                    want["highlight"],
                    want["runs"],
                ), name
                if (
                    key_at is not None
                ):  # the step's text at once, its runs too (a sweep is computed: not timed)
                    shown = min(at for s, at in _log(w, "__shown") if s == n and at >= key_at) - key_at
                    ready = min(at for s, at in _log(w, "__ready") if s == n and at >= key_at) - key_at
                    assert shown <= REACH_MS, f"{name}: step {n} shown {shown} ms after the key"
                    assert ready <= REACH_MS or not want["runs"], (
                        f"{name}: step {n} runs {ready} ms after the key"
                    )
                if name == "ko-390" and n == 3:  # the README's phone: the chain rule as a student follows it
                    w.screenshot("phone_lesson_ko", tmp_path)
                width = w.page.viewport_size["width"]
                assert w.page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} step {n}"

        check(1, None)
        pages = {name: w.page.evaluate("window.__pageId") for name, w in followers.items()}
        keys = [("ArrowRight", 1), ("PageDown", 1)] * total
        n = 1
        for key, delta in [*keys[: total - 1], ("ArrowLeft", -1), ("PageUp", -1), ("ArrowRight", 1)]:
            wait_until(
                lambda n=n + delta: _prepared(srv, sid, n), timeout=STEP_MS / 1000
            )  # a lecturer's pause
            presenter.page.keyboard.press(key)
            n += delta
            key_at = max(at for k, at in _log(presenter, "__keys") if k == key)
            check(n, key_at)
            if n == 6 and "late-360" not in followers:  # a student arrives late, on a small phone
                late = _phone(browser, srv, 360, 740)
                late.page.on("request", lambda r: r.method != "GET" and posts.append(f"{r.method} {r.url}"))
                late.goto("/follow", ready="lesson")
                followers["late-360"] = late
                check(6, None)
                pages["late-360"] = late.page.evaluate("window.__pageId")
        assert n == total - 1

        # In place: no follower reloaded (a reload logs its step twice and changes __pageId); no polling.
        for name, w in followers.items():
            assert w.page.evaluate("window.__pageId") == pages[name], f"{name} reloaded"
        asked: list[str] = []
        phone = followers["en-390"].page
        session_url = (
            f"{srv.url}/api/lessons/sessions/{sid}"  # the step polling there was (z_k probes are not)
        )
        phone.on("request", lambda r: r.url.split("?")[0] == session_url and asked.append(r.url))
        phone.wait_for_timeout(2500)  # letting time pass is the test: a page that polled would ask by now
        assert asked == []

        # Followers cannot publish, nor drive the runs.
        phone.keyboard.press("Space")
        refused = phone.evaluate(
            """() => fetch('/api/stage', {method: 'POST', headers: {'Content-Type': 'application/json'},
                      body: JSON.stringify({path: '/', state: {}})}).then((r) => r.status)"""
        )
        assert refused == 401
        followers["en-390"].errors = [e for e in followers["en-390"].errors if "401" not in e]
        assert [p for p in posts if not p.endswith("/api/stage")] == []
        assert phone.locator('[data-role="controls"]').count() == 0
        assert httpx.get(f"{srv.url}/api/stage", timeout=10).json()["path"].startswith("/lessons/")
        assert all(r["status"] == "running" for r in phone.evaluate(RUNS))
        for w in (presenter, *followers.values()):
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
