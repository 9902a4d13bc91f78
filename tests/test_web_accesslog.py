"""The access log goes through a queue to a thread of its own, with uvicorn's own formatter, line for line."""

import io
import logging

from uvicorn.logging import AccessFormatter

from app.web.accesslog import access_log_in_thread


def test_access_lines_are_written_by_the_listener_in_uvicorns_format():
    logger = logging.getLogger("gradcast-test.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    )
    logger.handlers = [handler]
    restore = access_log_in_thread("gradcast-test.access")
    try:
        assert logger.handlers != [handler]  # the queue sits in front now
        for i in range(3):
            logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/healthz?n={i}", "1.1", 200)
    finally:
        restore()  # writes what is queued, then puts the handler back
    assert logger.handlers == [handler]
    assert out.getvalue().splitlines() == [
        f'127.0.0.1:5000 - "GET /healthz?n={i} HTTP/1.1" 200 OK' for i in range(3)
    ]


def test_a_logger_without_handlers_is_left_alone():
    logger = logging.getLogger("gradcast-test.empty")
    logger.handlers = []
    restore = access_log_in_thread("gradcast-test.empty")
    assert logger.handlers == []
    restore()
