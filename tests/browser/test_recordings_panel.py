"""The recorded-runs panel of the home page, in Debian's chromium: list, search, rename, pin, replay, import, delete."""

import httpx
import pytest

from tests.browser.support import Watched
from tests.support.live import wait_until
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHORT_RUN = {"depth": 2, "width": 8, "max_steps": 30, "steps_per_second": 0}
EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A recording server with one short finished run among its recordings: (server, record)."""
    with live_server(tmp_path_factory.mktemp("recordings"), record=True, torch_threads=1) as srv:
        resp = httpx.post(f"{srv.url}/api/runs", json=SHORT_RUN, timeout=10)
        assert resp.status_code == 201, resp.text
        rid = resp.json()["id"]

        def recorded():  # finished, and its last step committed by the writer (0.25 s batches)
            rows = [r for r in httpx.get(f"{srv.url}/api/records", timeout=5).json() if r["id"] == rid]
            done = rows and rows[0]["status"] == "finished" and rows[0]["steps"] == SHORT_RUN["max_steps"]
            return rows[0] if done else None

        record = wait_until(recorded, timeout=15)
        yield srv, record


def row(page, rid: str):
    return page.locator(f'[data-record="{rid}"]')


def test_presenter_lists_searches_renames_pins_replays_imports_and_deletes(served, context):
    srv, record = served
    rid = record["id"]
    api = f"{srv.url}/api/records"
    w = Watched(context, srv.url)
    page = w.goto("/", ready="home")

    # Listed with what a lecturer reads: name, status, steps, date, the three exports.
    item = row(page, rid)
    assert item.locator(".record-name").inner_text() == record["name"]
    assert item.locator(".status").get_attribute("data-status") == "finished"
    assert item.locator(".status").inner_text() == "finished"
    assert item.locator(".record-steps").inner_text() == "30 steps"
    assert item.locator("time").get_attribute("datetime") == record["date"]
    # What the run is, as the builder set it: activation · init · depth×width · optimizer, lr.
    want = f"{record['activation']} · {record['init']} · {record['depth']}×{record['width']}"
    assert (
        item.locator("[data-record-what]").inner_text()
        == f"{want} · {record['optimizer']}, lr {record['lr']}"
    )
    hrefs = item.locator("[data-export]").evaluate_all("(els) => els.map((e) => e.getAttribute('href'))")
    assert hrefs == [
        f"/api/records/{rid}/export.csv",
        f"/api/records/{rid}/export.json",
        f"/api/records/{rid}/report.html",
    ]
    assert httpx.get(srv.url + hrefs[0]).text.startswith("step,")  # the links answer

    # A query matching nothing says so; searching by its activation brings it back (the only match).
    search = page.locator('[data-role="recordings-search"]')
    search.fill("no-such-preset-xyz")
    page.wait_for_selector('[data-role="record-list"] .notice:has-text("no-such-preset-xyz")')
    assert page.locator("[data-record]").count() == 0
    search.fill(record["activation"])
    row(page, rid).wait_for()
    assert page.locator("[data-record]").count() == 1
    search.fill("")
    row(page, rid).wait_for()

    # Rename inline (Enter saves), then pin: the server holds both, the row shows both.
    row(page, rid).locator('[data-record-action="rename"]').click()
    field = row(page, rid).locator('form[data-record-rename] input[name="name"]')
    field.fill("sigmoid, lecture 3")
    field.press("Enter")
    page.wait_for_selector(f'[data-record="{rid}"] .record-name:text-is("sigmoid, lecture 3")')
    assert httpx.get(f"{api}/{rid}?history=none").json()["name"] == "sigmoid, lecture 3"
    row(page, rid).locator('[data-record-action="pin"]').click()
    page.wait_for_selector(f'[data-record="{rid}"].pinned [data-record-pinned]')
    assert httpx.get(f"{api}/{rid}?history=none").json()["pinned"] is True
    assert row(page, rid).locator('[data-record-action="pin"]').inner_text() == "Unpin"

    # Import its JSON export through the file input: a second, imported record; the pinned one stays first.
    exported = httpx.get(f"{api}/{rid}/export.json").content
    page.locator('[data-role="recordings-import"]').set_input_files(
        {"name": "run.json", "mimeType": "application/json", "buffer": exported}
    )
    page.wait_for_function("() => document.querySelectorAll('[data-record]').length === 2")
    ids = page.locator("[data-record]").evaluate_all("(els) => els.map((e) => e.dataset.record)")
    assert ids[0] == rid
    imported = ids[1]
    assert row(page, imported).locator(".record-badge.imported").count() == 1
    assert httpx.get(f"{api}/{imported}?history=none").json()["external"] is True

    # Delete the imported copy (confirmed): gone from the page and from the server.
    page.once("dialog", lambda d: d.accept())
    row(page, imported).locator('[data-record-action="delete"]').click()
    page.wait_for_function("() => document.querySelectorAll('[data-record]').length === 1")
    assert httpx.get(f"{api}/{imported}?history=none").status_code == 404
    assert row(page, rid).count() == 1

    # Replay at 100 steps/s opens the live run view, which receives every recorded step.
    page.select_option('[data-role="recordings-speed"]', "100")
    row(page, rid).locator('[data-record-action="replay"]').click()
    page.wait_for_url("**/runs/*")
    assert page.url.split("/runs/")[1] != rid  # a new live run, fed from the record
    page.wait_for_function("() => document.body.dataset.ready === 'live'", timeout=15_000)
    page.evaluate(EXPOSE)
    w.wait("window.__live && window.__live.store && window.__live.store.runs.size === 1")
    w.wait("window.__live.store.runs.values().next().value.lastStep === 30", timeout_ms=15_000)
    page.wait_for_selector('[data-role="status"][data-status="finished"]', timeout=10_000)
    w.assert_clean()


def test_viewer_sees_list_and_exports_but_no_actions(served, context):
    srv, record = served
    w = Watched(context, srv.url)
    page = w.goto("/?view=1", ready="home")
    item = row(page, record["id"])
    assert item.locator("[data-export]").count() == 3
    assert item.locator("[data-record-action]").count() == 0
    for role in ("recordings-speed", "recordings-import"):
        assert page.locator(f'[data-role="{role}"]').count() == 0
    assert page.locator('[data-role="recordings-search"]').count() == 1
    page.click('[data-role="lang-toggle"]')  # the rows are rebuilt in the other language
    page.wait_for_selector(f'[data-record="{record["id"]}"] .record-steps:text-is("30 단계")')
    assert page.locator(".recordings h2").inner_text() == "기록된 실행"
    w.assert_clean()
