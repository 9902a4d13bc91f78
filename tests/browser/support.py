"""What every browser test watches: console errors, CSP violations, requests off the server's host."""

import os
from pathlib import Path

import httpx

# Collected in the page before any of its scripts run (init scripts are not subject to the page's CSP).
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""
PLOT_DATA = "(name) => { const el = document.getElementById('chart-' + name); return el && el.data ? el.data.map((t) => ({name: t.name, y: t.y, meta: t.meta || null})) : null; }"
# Every chart card on screen has drawn (a card that is hidden or says "not measured" has nothing to draw).
DRAWN_IN_VIEW = """() => [...document.querySelectorAll('.chart-card')].every((card) => {
  const plot = card.querySelector('.plot');
  return !plot || card.classList.contains('missing') || !!card.closest('[hidden]') || card.offsetParent === null
    || !!(plot.data && plot.querySelector('.main-svg'));
})"""
SCREENSHOT_DIR = os.environ.get(
    "GRADCAST_SCREENSHOTS"
)  # e.g. docs/screenshots: save each view's picture there


class Watched:
    """A page whose console errors, page errors, CSP violations and off-host requests are recorded."""

    def __init__(self, context, origin: str, viewport=(1400, 1000)):
        self.origin = origin
        self.page = context.new_page()
        self.page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        self.page.add_init_script(CSP_LISTENER)
        self.errors: list[str] = []
        self.offhost: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("request", self._request)
        self.page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status} {r.url}"))

    def _console(self, msg) -> None:
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.errors.append(f"console {msg.type}: {msg.text}")

    def _request(self, request) -> None:
        url = request.url
        ws_origin = self.origin.replace("http://", "ws://", 1)
        if not (
            url.startswith(self.origin + "/")
            or url.startswith(ws_origin + "/")
            or url.startswith(("data:", "blob:"))
        ):
            self.offhost.append(url)

    def goto(self, path: str, ready: str | None = None, timeout_ms: int = 15_000):
        """Open path; with `ready`, wait until the page says it is (document.body.dataset.ready)."""
        self.page.goto(self.origin + path)
        if ready:
            self.page.wait_for_function(
                f"() => document.body.dataset.ready === '{ready}'", timeout=timeout_ms
            )
        return self.page

    def wait(self, predicate: str, timeout_ms: int = 10_000) -> None:
        """Wait until the JS expression is true (wrapped in a function: a bare string would need eval, which CSP forbids)."""
        self.page.wait_for_function(f"() => ({predicate})", timeout=timeout_ms)

    def next_frames(self, frames: int = 2) -> None:
        """Wait for the page's next animation frames: what the redraw scheduler (one redraw per frame) and a
        layout change owe the screen is painted by then."""
        self.page.evaluate(
            "(n) => new Promise((done) => { const tick = (k) => (k ? requestAnimationFrame(() => tick(k - 1)) : done()); tick(n); })",
            frames,
        )

    def plot(self, name: str):
        """The traces as Plotly holds them in the graph div: what is on screen."""
        return self.page.evaluate(PLOT_DATA, name)

    def assert_clean(self) -> None:
        csp = self.page.evaluate("window.__csp || []")
        assert not csp, f"CSP violations: {csp}"
        assert not self.errors, f"console errors: {self.errors}"
        assert not self.offhost, f"requests off the server's host: {self.offhost}"

    def screenshot(self, name: str, tmp_dir: Path, full_page: bool = False) -> Path:
        """Save a picture of the view (under GRADCAST_SCREENSHOTS if set, else the test's tmp dir)."""
        folder = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        if not full_page:
            self.page.screenshot(path=str(path))
        else:
            # Charts below the fold do not redraw until scrolled to: show the whole page in the viewport first,
            # so the picture has no stale chart in it.
            size = self.page.viewport_size
            height = self.page.evaluate("document.documentElement.scrollHeight")
            self.page.set_viewport_size({"width": size["width"], "height": height})
            self.page.wait_for_function(DRAWN_IN_VIEW, timeout=15_000)
            # The redraw scheduler draws the dirty charts in turn, at least one a frame: within a frame per chart
            # every chart now on screen shows its newest data.
            self.next_frames(self.page.evaluate("document.querySelectorAll('.chart-card').length") + 2)
            self.page.screenshot(path=str(path), full_page=True)
            self.page.set_viewport_size(size)
        assert path.stat().st_size > 10_000  # a real picture, not a blank page
        return path


def start_preset(base_url: str, name: str, **body) -> dict:
    """POST /api/presets/{name}/runs on the real server: {"group", "runs"}."""
    resp = httpx.post(f"{base_url}/api/presets/{name}/runs", json=body, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()
