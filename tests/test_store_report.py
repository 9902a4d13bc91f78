"""The HTML report, as a student opens it: a single file, offline, with the dashboard's charts drawn."""

import pytest

from tests.support.live import SMALL, wait_until
from tests.support.server import live_server

pytestmark = pytest.mark.browser


def open_offline(browser, html: str, tmp_path, name: str) -> tuple[object, list[str]]:
    """Load the saved file in an offline browser context; returns (page, problems: requests or console errors)."""
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(offline=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file:") else problems.append("request " + r.url))
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=15_000)
    return page, problems


def traces(page, selector: str) -> list[dict]:
    """Each drawn trace of a chart: its name, y-axis type and point count."""
    return page.eval_on_selector(
        selector,
        "el => el.data.map(t => ({name: t.name, n: t.y.length, log: el.layout.yaxis.type === 'log'}))",
    )


def test_report_and_comparison_open_offline(tmp_path, browser):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        ids = []
        for act in ("sigmoid", "relu"):
            rid = c.post(
                "/api/runs", json={**SMALL, "activation": act, "max_steps": 50, "steps_per_second": 0}
            ).json()["id"]
            wait_until(lambda rid=rid: c.get(f"/api/records/{rid}").json().get("steps") == 50, timeout=30)
            ids.append(rid)
        single = c.get(f"/api/records/{ids[0]}/report.html")
        both = c.get("/api/records/report.html", params={"ids": ",".join(ids)})
        assert c.get("/api/records/report.html", params={"ids": ",".join(["x"] * 9)}).status_code == 422
        assert c.get("/api/records/report.html", params={"ids": "nope"}).status_code == 404

    assert single.status_code == 200 and single.headers["content-type"].startswith("text/html")
    assert "<script src" not in single.text  # everything inline: one file to hand out

    page, problems = open_offline(browser, single.text, tmp_path, "one.html")
    assert problems == []
    flow = traces(page, "#chart-flow")
    assert flow[0]["log"] and flow[0]["n"] == 4 and flow[0]["name"] == "step 1"  # 3 hidden layers + output
    layers = traces(page, "#chart-layers-0")
    assert [t["name"] for t in layers] == ["layer1", "layer2", "layer3", "output"] and layers[0]["n"] == 50
    assert layers[0]["log"]
    assert traces(page, "#chart-loss")[0]["n"] == 50
    page.context.close()

    page, problems = open_offline(browser, both.text, tmp_path, "both.html")
    assert problems == []
    assert len(traces(page, "#chart-flow")) == 2  # one line per run, at its last step
    assert page.locator("#chart-layers .js-plotly-plot").count() == 2  # one per-layer chart per run
    assert page.locator("#runs tbody tr").count() == 2
    page.context.close()
