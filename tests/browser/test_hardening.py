"""Issue: in Debian's chromium, a page on another loopback port cannot act through the presenter's cookie;
user-supplied names are text in every chart; the HTML report draws when served and from disk."""

import sqlite3
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from app.store.schema import db_path
from tests.browser.support import Watched
from tests.support.exports import export_doc
from tests.support.live import SMALL
from tests.support.server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "presenter-token-for-hardening"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
EVIL = '<a href="https://example.org/">evil</a>'  # a layer name: Plotly would draw it as a link

ATTACK = """<!doctype html><html><body>
<form id="f" method="POST" action="{target}/api/runs/{rid}/stop"></form>
<script>
fetch("{target}/api/presets/relu-deep/runs", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "text/plain"}}, body: "{{}}"}})
  .catch(() => null)
  .finally(() => {{ document.title = "fetched"; document.getElementById("f").submit(); }});
</script></body></html>"""


@pytest.fixture
def neighbour(tmp_path):
    """A plain web server on another loopback port: the page a student (or anything else) might run."""
    folder = tmp_path / "neighbour"
    folder.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join(5)


def test_a_page_on_another_port_cannot_act_as_the_presenter(tmp_path, browser, neighbour):
    folder, neighbour_url = neighbour
    with live_server(tmp_path, lecture=True, presenter_token=TOKEN) as srv:
        r = httpx.post(
            f"{srv.url}/api/runs", json={**SMALL, "steps_per_second": 2}, headers=BEARER, timeout=30
        )
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        (folder / "attack.html").write_text(ATTACK.format(target=srv.url, rid=rid))
        ctx = browser.new_context()
        try:
            page = ctx.new_page()
            page.goto(f"{srv.url}/?token={TOKEN}")  # the presenter link: the cookie is set
            assert page.evaluate("fetch('/api/session').then((r) => r.json())")["presenter"] is True
            # The presenter's own page still acts (its fetches send Origin: this server).
            status = page.evaluate(
                f"fetch('/api/runs/{rid}/pause', {{method: 'POST'}}).then((r) => r.status)"
            )
            assert status == 200
            page.evaluate(f"fetch('/api/runs/{rid}/resume', {{method: 'POST'}})")

            page.goto(f"{neighbour_url}/attack.html")
            page.wait_for_url(f"{srv.url}/api/runs/{rid}/stop", timeout=15_000)  # the form went through
            assert "cross-site" in page.inner_text("body")
            runs = httpx.get(f"{srv.url}/api/runs", timeout=10).json()
            assert [x["id"] for x in runs] == [rid]  # no preset started
            assert runs[0]["status"] == "running"  # not stopped
        finally:
            ctx.close()
            httpx.post(f"{srv.url}/api/runs/{rid}/stop", headers=BEARER, timeout=10)


def test_names_are_text_in_every_chart(server, browser):
    layers = [EVIL, "fc"]
    with server.client() as c:
        rid = c.post("/api/external/runs", json={"name": "<b>bold</b> & co", "layer_names": layers}).json()[
            "id"
        ]
        step = {
            "step": 1,
            "t": 1764150001.0,
            "loss": 0.7,
            "train_acc": 0.5,
            "layers": [
                {"name": n, "weight_grad_norm": 0.5, "act_grad_norm": 0.1, "weight_norm": 1.0} for n in layers
            ],
        }
        assert c.post(f"/api/external/runs/{rid}/steps", json={"records": [step]}).status_code == 202
    ctx = browser.new_context()
    try:
        w = Watched(ctx, server.url, viewport=(1400, 1750))
        page = w.goto(f"/runs/{rid}", ready="live")
        w.wait("document.getElementById('chart-gradflow').data?.length >= 1")
        w.wait("document.querySelectorAll('#chart-gradflow .xtick text').length === 2")
        ticks = page.evaluate(
            "Array.from(document.querySelectorAll('#chart-gradflow .xtick text')).map((t) => t.textContent)"
        )
        assert sorted(ticks) == sorted(layers)  # shown as typed, markup and all
        assert page.evaluate("document.querySelectorAll('.js-plotly-plot svg a').length") == 0  # no link
        w.assert_clean()
    finally:
        ctx.close()


def test_the_report_draws_when_served_by_the_dashboard_and_from_disk(tmp_path, browser):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        r = c.post("/api/records/import", json=export_doc(layers=(EVIL, "output"), name="<i>it</i>"))
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        html = c.get(f"/api/records/{rid}/report.html").text
        (tmp_path / "report.html").write_text(html, encoding="utf-8")
        drawn = "document.querySelectorAll('#chart-flow .main-svg').length > 0 && document.querySelectorAll('#chart-loss .main-svg').length > 0"
        ctx = browser.new_context()
        try:
            w = Watched(ctx, srv.url)
            w.goto(f"/api/records/{rid}/report.html")
            w.wait(drawn, timeout_ms=20_000)
            assert w.page.evaluate("document.querySelectorAll('svg a').length") == 0
            w.assert_clean()  # no CSP violation: the report's own scripts are allowed by hash
            disk = ctx.new_page()
            disk.goto((tmp_path / "report.html").as_uri())
            disk.wait_for_function(f"() => ({drawn})", timeout=20_000)
            legend = disk.evaluate(
                "Array.from(document.querySelectorAll('#chart-layers-0 .legendtext')).map((t) => t.textContent)"
            )
            assert EVIL in legend, legend
        finally:
            ctx.close()


def test_a_damaged_record_shows_in_the_panel_beside_the_others_and_can_be_deleted(tmp_path, browser):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        good = c.post("/api/records/import", json=export_doc(name="good one")).json()["id"]
        bad = c.post("/api/records/import", json=export_doc(name="bad one")).json()["id"]
        conn = sqlite3.connect(db_path(tmp_path / "data"))
        with conn:
            conn.execute(
                "UPDATE runs SET created = 1e20 WHERE id = ?", (bad,)
            )  # as an older version stored it
        conn.close()
        ctx = browser.new_context()
        try:
            w = Watched(ctx, srv.url)
            page = w.goto("/", ready="home")
            page.wait_for_selector(f'[data-record="{bad}"][data-record-damaged]')
            assert page.locator(f'[data-record="{good}"] .record-name').inner_text() == "good one"
            assert "damaged" in page.locator(f'[data-record="{bad}"]').inner_text()
            page.on("dialog", lambda d: d.accept())
            page.locator(f'[data-record="{bad}"] [data-record-action="delete"]').click()
            page.wait_for_function("() => document.querySelectorAll('[data-record]').length === 1")
            assert c.get(f"/api/records/{bad}").status_code == 404
            w.assert_clean()
        finally:
            ctx.close()
