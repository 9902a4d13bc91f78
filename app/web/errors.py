"""Errors as HTTP answers: the live layer's refusals ({"detail": message} with the code the error class names),
and 422s whose echo of the refused input is always strict, encodable JSON."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.bounds import safe_echo
from app.live.errors import LiveError


async def live_error(request: Request, exc: Exception) -> JSONResponse:
    """404 unknown, 409 not in this status or past a config limit, 422 unbuildable, 429 capacity reached."""
    assert isinstance(exc, LiveError)
    return JSONResponse({"detail": str(exc)}, status_code=exc.http_status)


def plain_errors(errors: list) -> list[dict]:
    """Validation errors as strict JSON: the input shown as text where it is not finite or not encodable."""
    out = []
    for err in errors[:50]:  # enough to fix a request; never an answer as large as the body
        item: dict[str, Any] = {
            "type": str(err.get("type", "value_error")),
            "loc": [safe_echo(p) for p in err.get("loc", ())],
        }
        item["msg"] = safe_echo(str(err.get("msg", "")))
        if "input" in err:
            item["input"] = safe_echo(err["input"])
        for key, value in err.items():  # what a route adds to name the place (a lesson's "step", "field")
            if key not in ("type", "loc", "msg", "input", "ctx", "url") and isinstance(
                value, int | float | str
            ):
                item[str(key)] = safe_echo(value)
        if err.get("ctx"):
            item["ctx"] = {
                str(k): safe_echo(v if isinstance(v, int | float | str) else str(v))
                for k, v in err["ctx"].items()
            }
        out.append(item)
    return out


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each refused field; never fails on what it echoes (Infinity, NaN, lone surrogates)."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": plain_errors(list(exc.errors()))}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(LiveError, live_error)
    app.add_exception_handler(RequestValidationError, validation_error)
