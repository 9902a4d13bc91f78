"""Worker threads -> event loop: items are queued under a lock; the loop is woken only when something is to be
shown now (a step that will be framed, a status change, a reset, an answer awaited).

Steps between two frames just wait in the queue: they ride along with the next frame anyway. Waking the loop
for each of them costs a loop wake-up (and a GIL hand-off) per step, thousands per second when unthrottled.
"""

import asyncio
import contextlib
import threading
from collections.abc import Callable

from app.live.items import Items, is_urgent


class Handoff:
    """post() from any thread; apply(items) runs on the loop, in the order posted."""

    def __init__(self, loop: asyncio.AbstractEventLoop, apply: Callable[[Items], None]) -> None:
        self.loop = loop
        self.apply = apply
        self._queued: list[Items] = []
        self._lock = threading.Lock()
        self._scheduled = False

    def post(self, items: Items) -> None:
        urgent = any(is_urgent(it) for it in items)
        with self._lock:
            self._queued.append(items)
            if self._scheduled or not urgent:
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
