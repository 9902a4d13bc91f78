"""Lecture mode: students without the presenter token see no controls; the presenter shows them a QR code."""

import httpx
import pytest

from tests.browser.support import Watched
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "lecture-token-for-tests"


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("lecture"), lecture=True, presenter_token=TOKEN) as srv:
        resp = httpx.post(
            f"{srv.url}/api/presets/sigmoid-deep/runs",
            json={"steps_per_second": 10},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert resp.status_code == 201, resp.text
        yield srv, resp.json()["runs"][0]["id"]


def test_student_sees_no_controls(lecture, browser):
    srv, run_id = lecture
    ctx = browser.new_context()
    w = Watched(ctx, srv.url)
    page = w.goto(f"/runs/{run_id}", ready="live")  # no ?view=1: the session alone says "not the presenter"
    page.wait_for_function(
        "() => { const el = document.getElementById('chart-gradflow'); return el && el.data && el.data.length; }",
        timeout=30_000,
    )
    assert page.locator('[data-role="controls"]').count() == 0
    assert page.locator('[data-role="viewer-open"]').is_hidden()
    page.goto(f"{srv.url}/")
    w.wait("document.body.dataset.ready === 'home'")
    assert page.locator('[data-role="builder"]').count() == 0
    assert page.locator("[data-start-preset]").count() == 0
    w.assert_clean()
    ctx.close()


def test_presenter_shows_the_viewer_link_as_qr(lecture, browser, tmp_path):
    srv, run_id = lecture
    ctx = browser.new_context()
    w = Watched(ctx, srv.url)
    w.goto(f"/?token={TOKEN}", ready="home")  # the presenter link sets the presenter cookie
    page = w.goto(f"/runs/{run_id}", ready="live")
    assert page.locator('[data-role="controls"]').count() == 1
    assert page.locator('[data-role="viewer-open"]').is_visible()
    page.keyboard.press("q")
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-role=\"viewer-qr\"]'); return img.complete && img.naturalWidth > 100; }"
    )
    link = page.locator('[data-role="viewer-url"]').inner_text()
    assert link.endswith("/follow") and link.startswith("http://")  # one link for the whole lecture
    w.screenshot("viewer_qr", tmp_path)
    w.assert_clean()
    ctx.close()
