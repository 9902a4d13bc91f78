"""Home (gallery, schema-driven builder, shareable form URL) and the depth sweep, in Debian's chromium."""

import httpx
import pytest

from tests.browser.support import Watched
from tests.support.live import holds, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_gallery_starts_the_init_comparison_in_one_click(srv, context, tmp_path):
    w = Watched(context, srv.url)
    page = w.goto("/", ready="home")
    cards = page.locator("[data-preset]")
    names = cards.evaluate_all("(els) => els.map((e) => e.dataset.preset)")
    presets = httpx.get(f"{srv.url}/api/presets").json()
    comparisons_first = [p["name"] for p in presets if p["kind"] == "comparison"] + [
        p["name"] for p in presets if p["kind"] != "comparison"
    ]
    assert names == comparisons_first
    for p in presets:  # each card shows its title and its one-line explanation
        card = page.locator(f'[data-preset="{p["name"]}"]')
        assert p["title"]["en"] in card.inner_text() and p["explanation"]["en"] in card.inner_text()
    w.screenshot("home", tmp_path)
    page.click('[data-start-preset="init-default-vs-xavier-vs-kaiming"]')
    page.wait_for_url("**/groups/*")
    page.wait_for_function(
        "() => { const el = document.getElementById('chart-gradflow'); return el && el.data && el.data.length === 3; }",
        timeout=30_000,
    )
    labels = [t["name"] for t in w.plot("gradflow")]
    inits = httpx.get(f"{srv.url}/api/registry").json()["inits"]
    assert labels == [inits[k]["label"]["en"] for k in ("default", "xavier_normal", "kaiming_normal")]
    assert labels[0] == "PyTorch default"  # the registry's label, not the key
    page.click('[data-role="play-toggle"]')  # stop spending CPU on it
    page.wait_for_selector('[data-role="status"][data-status="paused"]')
    w.assert_clean()


def test_builder_form_is_the_schema_and_the_url_keeps_it(srv, context):
    schema = httpx.get(f"{srv.url}/api/schema").json()
    w = Watched(context, srv.url)
    page = w.goto("/", ready="home")
    fields = page.locator("[data-field]").evaluate_all("(els) => els.map((e) => e.dataset.field)")
    assert fields == list(schema["properties"])  # one field per property, in the schema's order
    options = page.locator('select[name="activation"] option').evaluate_all(
        "(els) => els.map((e) => e.value)"
    )
    assert options == schema["properties"]["activation"]["enum"]  # the value is the registry key itself
    page.select_option('select[name="activation"]', "sigmoid")
    page.fill('input[name="depth"]', "3")
    page.locator('input[name="depth"]').dispatch_event("input")
    assert "activation=sigmoid" in page.url and "depth=3" in page.url
    # The shared URL rebuilds the same form.
    shared = page.url
    other = Watched(context, srv.url)
    other.page.goto(shared)
    other.wait("document.body.dataset.ready === 'home'")
    assert other.page.input_value('select[name="activation"]') == "sigmoid"
    assert other.page.input_value('input[name="depth"]') == "3"
    # A bad value: the server's 422 names the field and the form marks it.
    other.page.fill('input[name="depth"]', "999")
    other.page.click('form[data-role="builder"] button[type="submit"]')
    other.page.wait_for_selector('[data-field="depth"].invalid')
    assert "depth" in other.page.locator('[data-role="builder-error"]').inner_text()
    other.page.fill('input[name="depth"]', "3")
    other.page.fill('input[name="max_steps"]', "50")
    other.page.click('form[data-role="builder"] button[type="submit"]')
    other.page.wait_for_url("**/runs/*")
    run_id = other.page.url.rsplit("/", 1)[1]
    config = httpx.get(f"{srv.url}/api/runs/{run_id}").json()["config"]
    assert (config["activation"], config["depth"], config["max_steps"]) == ("sigmoid", 3, 50)
    other.page.wait_for_function(
        "() => { const el = document.getElementById('chart-gradflow'); return el && el.data && el.data.length > 0 && el.data[0].y.length === 4; }",
        timeout=30_000,
    )
    other.errors = [
        e for e in other.errors if "HTTP 422" not in e and "status of 422" not in e
    ]  # the refusal we asked for
    w.assert_clean()
    other.assert_clean()


def test_depth_sweep_page(srv, context):
    w = Watched(context, srv.url)
    page = w.goto("/sweep?max_depth=12&seeds=1", ready="sweep")
    page.wait_for_function(
        "() => { const el = document.getElementById('chart-sweep'); return el && el.data && el.data.length > 2; }",
        timeout=60_000,
    )
    traces = w.plot("sweep")
    sigmoid = next(t for t in traces if t["meta"] and t["meta"]["activation"] == "sigmoid")
    assert sigmoid["y"][-1] < sigmoid["y"][0] * 1e-3  # deeper: the first layer's gradient vanishes
    w.assert_clean()


def test_reset_restarts_the_charts_and_right_arrow_steps_once(srv, context):
    resp = httpx.post(f"{srv.url}/api/runs", json={"depth": 4, "steps_per_second": 20}, timeout=30)
    assert resp.status_code == 201, resp.text
    run_id = resp.json()["id"]
    w = Watched(context, srv.url)
    page = w.goto(f"/runs/{run_id}", ready="live")
    page.evaluate("() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })")
    last = "window.__live.store.runs.values().next().value"
    w.wait(f"{last}?.lastStep > 40")  # the snapshot may not have reached the store yet
    page.keyboard.press("r")
    w.wait(f"{last}?.lastStep < 20 && {last}.steps[0] === 1")  # the store starts over with the run
    page.keyboard.press("ArrowRight")  # a running run is paused, then stepped once
    page.wait_for_selector('[data-role="status"][data-status="paused"]')
    api = f"{srv.url}/api/runs/{run_id}"
    # Paused on the server: the page lands the frames already on the wire and then holds the server's step.
    at = wait_until(
        lambda: (
            (s := httpx.get(api, timeout=10).json())["status"] == "paused"
            and page.evaluate(f"{last}.lastStep") == s["step"]
            and s["step"]
        )
    )
    page.keyboard.press("ArrowRight")
    w.wait(f"{last}.lastStep === {at + 1}")
    # Letting time pass is the test: one key, one step (20 steps/s, were it running again).
    holds(lambda: page.evaluate(f"{last}.lastStep") == at + 1, 0.5)
    assert httpx.get(api, timeout=10).json()["step"] == at + 1
    assert page.evaluate("document.getElementById('chart-gradflow').data[0].meta.step") == at + 1
    w.assert_clean()
