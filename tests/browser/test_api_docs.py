"""/docs renders the API offline: Swagger UI comes from the app, not a CDN."""

from tests.browser.support import Watched


def test_api_docs_render_with_nothing_from_off_the_host(browser, server):
    context = browser.new_context()
    try:
        watched = Watched(context, server.url)
        page = watched.goto("/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        paths = page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.textContent)")
        assert "/api/runs" in paths and "/api/presets/{name}/runs" in paths
        watched.assert_clean()
    finally:
        context.close()
