"""Phones in the lecture hall: every page, in English and Korean, at 360×740 and 390×844 (Chromium emulating a
touch phone). Nothing scrolls sideways, no two text boxes of a chart card overlap, the header is one row, touch
targets are at least 44 px, no keyboard hint is offered to a finger, and the follow view leads with the verdict
and the gradient-flow chart. One server and one browser for every check.
"""

import httpx
import pytest

from tests.browser.support import Watched
from tests.support.live import all_recorded
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "phone-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEBUG_SHOTS = False  # True: a full-page picture of every page checked (in the test's tmp dir)
SIZES = [(360, 740), (390, 844)]
LANGS = ["en", "ko"]
SHORT_RUN = {"depth": 3, "width": 8, "max_steps": 60, "steps_per_second": 0}

# Everything a person could read or tap, measured in the page; returns a list of problems (empty when fine).
LAYOUT_PROBLEMS = """
([deviceWidth, touchChecks]) => {
  const problems = [];
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && style.visibility !== "hidden" && style.display !== "none" && !el.closest("[hidden]");
  };
  const sw = document.documentElement.scrollWidth;
  if (sw > deviceWidth) problems.push(`scrollWidth ${sw} > ${deviceWidth}`);
  // The header is one row: every visible item sits level with the first.
  const items = [...document.querySelectorAll(".topbar > *, .topnav > *")].filter(shown).filter((el) => !el.classList.contains("topnav"));
  const bar = document.querySelector(".topbar").getBoundingClientRect();
  if (bar.height > 64) problems.push(`header ${Math.round(bar.height)} px tall (wraps)`);
  for (const el of items) {
    const r = el.getBoundingClientRect();
    if (r.right > deviceWidth + 0.5) problems.push(`header item off-screen: ${el.outerHTML.slice(0, 80)}`);
  }
  // Touch targets: buttons, button-like links, menus and the header's links.
  if (touchChecks) {
    for (const el of document.querySelectorAll("button, .btn, select, .navlink, .brand, input[type=checkbox], input[type=range]")) {
      if (!shown(el) || el.closest("dialog:not([open])")) continue;
      const target = el.matches("input[type=checkbox]") ? el.closest("label") || el : el;
      const r = target.getBoundingClientRect();
      if (r.height < 43.5 || r.width < 43.5) problems.push(`touch target ${Math.round(r.width)}×${Math.round(r.height)}: ${(target.textContent || target.outerHTML).trim().slice(0, 40)}`);
    }
    for (const el of document.querySelectorAll("kbd, .navbtn, a, button")) {
      if (shown(el) && /\\((\\?|p|q|l|f|Esc)\\)/.test(el.textContent)) problems.push(`keyboard hint shown on touch: ${el.textContent.trim()}`);
    }
  }
  // Text boxes of each chart card: the head's title and buttons, Plotly's titles, axis titles, legend entries,
  // annotations and tick labels. Tick labels of one axis are one group (Plotly spaces them itself).
  for (const card of document.querySelectorAll(".chart-card")) {
    if (!shown(card)) continue;
    const boxes = [];
    const add = (el, group) => {
      if (!shown(el) || !el.textContent.trim()) return;
      boxes.push({ r: el.getBoundingClientRect(), group, text: el.textContent.trim().slice(0, 30) });
    };
    card.querySelectorAll(".card-head > h2, .card-head > .btn, .card-head > .toggle, .card-head > .guide-note").forEach((el, i) => add(el, `head${i}`));
    card.querySelectorAll(".gtitle, .g-xtitle text, .g-ytitle text, .g-x2title text, .g-y2title text, .legendtext, .annotation-text, .cbtitle text").forEach((el, i) => add(el, `title${i}`));
    card.querySelectorAll(".xaxislayer-above, .yaxislayer-above").forEach((axis, a) => axis.querySelectorAll("text").forEach((el) => add(el, `axis${a}`)));
    card.querySelectorAll(".cbaxis text").forEach((el) => add(el, "colorbar"));
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.group === b.group) continue;
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > 1 && h > 1) problems.push(`${card.dataset.chart}: "${a.text}" overlaps "${b.text}"`);
      }
  }
  return problems;
}
"""
# Plotly's responsive relayout after the first draw has happened: each drawn chart is as wide as its box.
CHARTS_FIT = """() => [...document.querySelectorAll('.chart-card .plot')]
  .filter((p) => p.data && p.querySelector('.main-svg') && p.offsetParent !== null)
  .every((p) => Math.abs(p.querySelector('.main-svg').getBoundingClientRect().width - p.getBoundingClientRect().width) <= 1)"""
CARD_DRAWN = """(i) => { const card = document.querySelectorAll('.chart-card')[i]; const plot = card.querySelector('.plot');
  return card.classList.contains('missing') || !!card.closest('[hidden]') || !!(plot.data && plot.querySelector('.main-svg')); }"""


def _draw_all(w) -> None:
    """Scroll each chart card into view until it is drawn (charts off screen wait), then back to the top."""
    for i in range(w.page.evaluate("document.querySelectorAll('.chart-card').length")):
        w.page.evaluate("(i) => document.querySelectorAll('.chart-card')[i].scrollIntoView()", i)
        w.page.wait_for_function(CARD_DRAWN, arg=i, timeout=20_000)
    w.page.evaluate("window.scrollTo(0, 0)")
    w.page.wait_for_function(CHARTS_FIT, timeout=10_000)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    with (
        live_server(
            tmp_path_factory.mktemp("phones"), lecture=True, presenter_token=TOKEN, record=True
        ) as srv,
        httpx.Client(base_url=srv.url, headers=AUTH, timeout=60) as c,
    ):
        recorded = [c.post("/api/runs", json=SHORT_RUN).json()["id"] for _ in range(2)]
        all_recorded(c, recorded)
        group = c.post("/api/presets/sigmoid-vs-relu-vs-leaky-relu/runs", json={"steps_per_second": 5}).json()
        run = c.post("/api/presets/sigmoid-deep/runs", json={"steps_per_second": 5, "make_room": True}).json()
        run = run["runs"][0]["id"]
        replay = c.post("/api/records/replay", params={"ids": ",".join(recorded), "steps_per_second": 2})
        assert replay.status_code == 201, replay.text
        yield srv, {"group": group["group"], "run": run, "replay": replay.json()["group"]}


def _phone(browser, srv, size, presenter=False):
    ctx = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    if presenter:
        ctx.add_cookies([{"name": "gradcast_presenter", "value": TOKEN, "url": srv.url}])
    else:  # a student exploring on their own: pages stay where they are opened
        ctx.add_init_script("sessionStorage.setItem('gradcast.following', '0')")
    return ctx, Watched(ctx, srv.url, size)


def _check(w, path, ready, size, lang, problems, shot=None, tmp_path=None, must_see=()):
    sep = "&" if "?" in path else "?"
    # The sweep page is ready once the server has computed its sweep (30 depths x 3 seeds beside training runs)
    w.goto(f"{path}{sep}lang={lang}", ready=ready, timeout_ms=120_000 if ready == "sweep" else 15_000)
    _draw_all(w)
    for selector in must_see:
        w.page.locator(selector).wait_for(state="visible", timeout=10_000)
        box = w.page.locator(selector).bounding_box()
        if box["x"] + box["width"] > size[0]:
            problems.append(f"{path} {lang} {size[0]}: {selector} is cut off at the right edge")
    found = w.page.evaluate(LAYOUT_PROBLEMS, [size[0], True])
    problems += [f"{path} {lang} {size[0]}: {p}" for p in found]
    if shot:
        w.screenshot(shot, tmp_path, full_page=True)


def test_every_page_fits_a_phone(classroom, browser, tmp_path):
    srv, ids = classroom
    problems: list[str] = []
    for size in SIZES:
        ctx, w = _phone(browser, srv, size)
        pages = [
            ("/?view=1", "home"),
            (f"/runs/{ids['run']}?view=1", "live"),
            (f"/groups/{ids['group']}?view=1", "live"),
            ("/sweep?view=1", "sweep"),
            (f"/groups/{ids['replay']}?view=1", "live"),
        ]
        for lang in LANGS:
            for path, ready in pages:
                shot = (
                    f"debug_{size[0]}_{lang}_{path.split('/')[1].split('?')[0] or 'home'}"
                    if DEBUG_SHOTS
                    else None
                )
                badge = ['[data-role="replay-badge"]'] if ids["replay"] in path else []  # a replay says so
                _check(w, path, ready, size, lang, problems, shot, tmp_path, must_see=badge)
        w.assert_clean()
        ctx.close()
        pctx, p = _phone(browser, srv, size, presenter=True)
        for lang in LANGS:
            _check(p, "/", "home", size, lang, problems)
            _check(p, f"/runs/{ids['run']}", "live", size, lang, problems)
        p.assert_clean()
        pctx.close()
    assert not problems, "\n".join(problems)


def test_follow_view_leads_with_verdict_and_gradient_flow(classroom, browser, tmp_path):
    srv, ids = classroom
    published = httpx.post(
        f"{srv.url}/api/stage", json={"path": f"/groups/{ids['group']}", "state": {}}, headers=AUTH
    )
    assert published.status_code == 200
    problems: list[str] = []
    for size in SIZES:
        for lang in LANGS:
            ctx = browser.new_context(
                viewport={"width": size[0], "height": size[1]},
                is_mobile=True,
                has_touch=True,
                device_scale_factor=2,
            )
            w = Watched(ctx, srv.url, size)
            w.goto(f"/follow?lang={lang}", ready="live")
            _draw_all(w)
            problems += [
                f"follow {lang} {size[0]}: {p}" for p in w.page.evaluate(LAYOUT_PROBLEMS, [size[0], True])
            ]
            boxes = w.page.evaluate(
                """() => ['[data-role="verdicts"]', '[data-chart="gradflow"]'].map((s) => {
                     const r = document.querySelector(s).getBoundingClientRect(); return [r.top, r.bottom]; })"""
            )
            (verdict_top, verdict_bottom), (flow_top, _) = boxes
            assert verdict_top < size[1] / 3 and verdict_bottom <= flow_top, (lang, size, boxes)
            assert flow_top < size[1] * 0.8, f"the gradient-flow chart starts below the first screen: {boxes}"
            assert w.page.locator('[data-role="follow-bar"]').is_visible()
            if size == (390, 844):
                w.screenshot(f"phone_follow_{lang}" if lang == "ko" else "phone_follow", tmp_path)
            w.assert_clean()
            ctx.close()
    assert not problems, "\n".join(problems)


# The formula box of a page: the page's width, the box's right edge and overflow, the formula's own width.
FORMULA_BOX = """(box) => {
  const el = document.querySelector(box);
  return {page: document.documentElement.scrollWidth, right: el.getBoundingClientRect().right,
          overflow: getComputedStyle(el).overflowX, formula: el.scrollWidth, shown: el.clientWidth};
}"""
CHAIN = '[data-role="chain-formula"]'
STEP_FORMULA = '[data-role="step-formula"]'


def test_a_long_chain_rule_scrolls_in_its_own_box_on_a_360_px_phone(browser, tmp_path):
    """The chain rule written out (an MLP's 10 factors, a tanh RNN's 29 steps back, the lesson's formula and its
    chain-rule panel) is wider than a 360-px phone: it scrolls inside its box and the page does not."""
    size = (360, 740)
    with live_server(tmp_path) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        runs = {}
        for name, config in {
            "mlp": {"activation": "sigmoid", "depth": 10, "width": 16},
            "rnn": {"architecture": "rnn", "seq_len": 30, "width": 16},
        }.items():
            runs[name] = c.post("/api/runs", json={**config, "paused": True}).json()["id"]
            assert c.post(f"/api/runs/{runs[name]}/step").status_code == 200  # one display-rate record
        sid = c.post("/api/lessons/vanishing-gradient/sessions").json()["id"]
        views = [
            (f"/runs/{runs['mlp']}", "live", CHAIN),
            (f"/runs/{runs['rnn']}", "live", CHAIN),
            (f"/lessons/vanishing-gradient?session={sid}&step=3", "lesson", STEP_FORMULA),
            (f"/lessons/vanishing-gradient?session={sid}&step=3", "lesson", CHAIN),
        ]
        ctx, w = _phone(browser, srv, size)
        widest = 0
        for lang in LANGS:
            for path, ready, box in views:
                w.goto(f"{path}&lang={lang}" if "?" in path else f"{path}?lang={lang}", ready=ready)
                w.page.locator(box).scroll_into_view_if_needed()
                w.wait(
                    f"document.querySelector('{box}') && document.querySelector('{box} math mrow')", 30_000
                )
                if box == CHAIN:  # the measured values written beneath the factors
                    w.wait(f"document.querySelector('{box} .factor-value')", 30_000)
                got = w.page.evaluate(FORMULA_BOX, box)
                where = f"{path} {lang} {box}: {got}"
                assert got["page"] <= size[0], where
                assert got["right"] <= size[0] + 0.5 and got["overflow"] in ("auto", "scroll"), where
                widest = max(widest, got["formula"] - got["shown"])
        assert (
            widest > 0
        )  # some formula is wider than its box: the check above saw a formula that must scroll
        w.assert_clean()
        ctx.close()
