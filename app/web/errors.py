"""The live layer's refusals as HTTP answers: {"detail": message} with the code the error class names."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.live.errors import LiveError


async def live_error(request: Request, exc: Exception) -> JSONResponse:
    """404 unknown, 409 not in this status or past a config limit, 422 unbuildable, 429 capacity reached."""
    assert isinstance(exc, LiveError)
    return JSONResponse({"detail": str(exc)}, status_code=exc.http_status)


def install(app: FastAPI) -> None:
    app.add_exception_handler(LiveError, live_error)
