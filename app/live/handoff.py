"""Worker threads -> event loop: items are queued under a lock and the loop is woken once per batch.

At thousands of steps per second a call_soon_threadsafe per step would wake the loop for each; here a wake-up
is scheduled only when none is pending, and the loop then takes everything queued so far.
"""

import asyncio
import contextlib
import threading
from collections.abc import Callable

from app.live.group import Items


class Handoff:
    """post() from any thread; apply(items) runs on the loop, in the order posted."""

    def __init__(self, loop: asyncio.AbstractEventLoop, apply: Callable[[Items], None]) -> None:
        self.loop = loop
        self.apply = apply
        self._queued: list[Items] = []
        self._lock = threading.Lock()
        self._scheduled = False

    def post(self, items: Items) -> None:
        with self._lock:
            self._queued.append(items)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
            self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            batches, self._queued = self._queued, []
            self._scheduled = False
        for items in batches:
            self.apply(items)
