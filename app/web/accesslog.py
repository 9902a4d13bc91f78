"""uvicorn's access log, written by a thread of its own: the event loop only queues each request's record.

Writing a line flushes the stream, a system call that releases the GIL; getting it back beside busy training
threads made each logged request wait on the loop (a sixth of the loop's time with 8 clients creating and
deleting runs, bench/health_under_load.py). The lines and their format are uvicorn's own, unchanged.
"""

import logging
import queue
from collections.abc import Callable
from logging.handlers import QueueHandler, QueueListener

ACCESS_LOGGER = "uvicorn.access"


class _RecordQueue(QueueHandler):
    """Queues the record as it is: uvicorn's access formatter reads its args, so nothing is formatted here."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def access_log_in_thread(name: str = ACCESS_LOGGER) -> Callable[[], None]:
    """Move the logger's handlers behind a queue and a listener thread; returns what puts them back (after
    writing what is queued)."""
    logger = logging.getLogger(name)
    handlers = list(logger.handlers)
    if not handlers:
        return lambda: None
    records: queue.SimpleQueue = queue.SimpleQueue()
    listener = QueueListener(records, *handlers, respect_handler_level=True)
    logger.handlers = [_RecordQueue(records)]
    listener.start()

    def restore() -> None:
        listener.stop()
        logger.handlers = handlers

    return restore
