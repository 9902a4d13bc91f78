"""A streaming cap on request bodies: reading stops at the limit (chunked bodies included) with a 413.

A declared Content-Length past the limit is refused before a byte is read; a chunked body is counted as it
arrives and refused the moment it passes the limit, so no route ever buffers more than its cap.
"""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

IMPORT_PATH = "/api/records/import"  # the one route that takes a whole recorded run at once


class BodyTooLarge(HTTPException):
    """Raised from receive(): FastAPI passes HTTPExceptions through its body parsing, so the answer is a 413."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__(413, f"request body too large: at most {limit} bytes ({what}); send less at once")


class BodyLimitMiddleware:
    """Pure ASGI: max_import_bytes on the import route, max_body_bytes on every other."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.body_limit = settings.max_body_bytes
        self.import_limit = settings.max_import_bytes

    def limit_for(self, path: str) -> tuple[int, str]:
        if path == IMPORT_PATH:
            return self.import_limit, "GRADCAST_MAX_IMPORT_BYTES"
        return self.body_limit, "GRADCAST_MAX_BODY_BYTES"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limit_for(scope["path"])
        declared = next((v for k, v in scope.get("headers", []) if k.lower() == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, BodyTooLarge(limit, setting))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, setting)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:  # raised where no handler turned it into the answer
            if started:
                raise
            await _too_large(send, exc)


async def _too_large(send: Send, exc: BodyTooLarge) -> None:
    import orjson

    body = orjson.dumps({"detail": exc.detail})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is never read
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install(app, settings: Settings) -> None:
    """Add the cap; call before security.install so Host and Origin are checked first (outermost)."""
    app.add_middleware(BodyLimitMiddleware, settings=settings)
