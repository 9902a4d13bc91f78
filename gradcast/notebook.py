"""How a run shows itself in a notebook: a link to its dashboard page and that page inline (read-only view)."""

import html
import time
from typing import Protocol

REGISTER_WAIT = 2.0  # seconds _repr_html_ waits for the run's id (registration runs in the background)
IFRAME_HEIGHT = 640  # px: the gradient-flow chart, the heat map and the loss card without scrolling


class TextPrinter(Protocol):
    """What IPython's pretty printer offers _repr_pretty_ (IPython.lib.pretty.PrettyPrinter)."""

    def text(self, obj: str) -> None: ...


class NotebookView:
    """Mixed into WatchedRun: `run` as the last line of a cell shows the live dashboard of the run."""

    url: str

    @property
    def id(self) -> str | None:  # provided by WatchedRun
        raise NotImplementedError

    def dashboard_url(self, view: bool = True) -> str | None:
        """The run's page on the dashboard (read-only with view=True: no controls), None until registered."""
        run_id = self._wait_for_id()
        if run_id is None:
            return None
        return f"{self.url}/runs/{run_id}" + ("?view=1" if view else "")

    def _wait_for_id(self) -> str | None:
        deadline = time.monotonic() + REGISTER_WAIT
        while self.id is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.id

    def _repr_html_(self) -> str:
        page = self.dashboard_url(view=False)
        if page is None:
            where = html.escape(self.url)
            return f"<p>GradCast: not registered yet with the dashboard at <code>{where}</code> (is it running?)</p>"
        embed = html.escape(self.dashboard_url(view=True) or page, quote=True)
        link = html.escape(page, quote=True)
        return (
            f'<p>GradCast run <a href="{link}" target="_blank" rel="noopener">{link}</a></p>'
            f'<iframe src="{embed}" title="GradCast dashboard" width="100%" height="{IFRAME_HEIGHT}" '
            'style="border:1px solid #ccc" loading="lazy"></iframe>'
        )

    def _repr_pretty_(self, printer: TextPrinter, cycle: bool) -> None:  # IPython's plain-text display
        printer.text(f"GradCast run {self.dashboard_url(view=False) or '(not registered yet)'}")
