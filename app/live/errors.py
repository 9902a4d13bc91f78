"""What the live layer refuses, as exceptions the web layer maps to HTTP codes (and websockets to close codes)."""

from typing import TypeVar

T = TypeVar("T")


class LiveError(Exception):
    """A refused request; `http_status` is the code the REST layer answers with."""

    http_status = 400


class NotFound(LiveError):
    """No such run, group or preset (404)."""

    http_status = 404


class Gone(LiveError):
    """The run existed here and was deleted on the dashboard (410): a sender should stop, not register again."""

    http_status = 410


class Conflict(LiveError):
    """The action does not apply in this status, or the config is past a server limit (409)."""

    http_status = 409


class LimitReached(LiveError):
    """A capacity limit (running runs, runs kept) is reached: try again later (429)."""

    http_status = 429


class Invalid(LiveError):
    """The request is well-formed but cannot be built (422), e.g. a trainer refusing its config."""

    http_status = 422


def found(value: T | None, missing: str) -> T:
    """A lookup's answer, or NotFound(missing) when there was none (a run, group or session id)."""
    if value is None:
        raise NotFound(missing)
    return value
