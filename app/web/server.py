"""The uvicorn server GradCast runs under: on shutdown it closes viewers with 1001 before uvicorn's own 1012."""

import asyncio
import contextlib
import socket
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from app.settings import Settings
from app.web.accesslog import access_log_in_thread

SHUTDOWN_GRACE = 1.0  # s for close frames to reach the viewers; the whole exit stays within 5 s


class GracefulServer(uvicorn.Server):
    """uvicorn.Server whose shutdown first stops the runs and says goodbye (1001) to every websocket."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        manager = getattr(getattr(app, "state", None), "manager", None)
        stage = getattr(getattr(app, "state", None), "stage", None)
        if stage is not None:
            stage.close_all()  # followers of the lecture's stage get 1001 too
        if manager is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(manager.begin_shutdown(SHUTDOWN_GRACE), SHUTDOWN_GRACE + 0.5)
        await super().shutdown(sockets)


def websocket_protocol(send_buffer: int) -> type:
    """uvicorn's websockets protocol with a fixed kernel send buffer on each upgraded connection.

    Linux autotunes a loopback send buffer up to 4 MB: ~15 s of 7 kB frames at 30/s before a viewer that stopped
    reading makes a send block. A fixed buffer bounds that, so the send timeout evicts it within seconds.
    """
    if not send_buffer:
        return WebSocketsSansIOProtocol

    class BoundedSendBuffer(WebSocketsSansIOProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
            super().connection_made(transport)

    return BoundedSendBuffer


def server_config(app: FastAPI, settings: Settings, **overrides) -> uvicorn.Config:
    """uvicorn options measured to matter for streaming (overrides for tests: log_level, ...)."""
    options: dict[str, Any] = dict(
        host=settings.host,
        port=settings.port,
        workers=1,  # runs live in this process's memory
        ws=websocket_protocol(settings.ws_send_buffer),  # websockets (sans-I/O): write flow control
        ws_per_message_deflate=False,  # at 50 viewers deflate cost a quarter of the frames
        ws_max_size=settings.ws_max_message,  # a bigger client message closes with 1009
        timeout_graceful_shutdown=2,  # SIGTERM: runs stopped, sockets closed; the process exits within 5 s
        log_level="info",
    )
    options.update(overrides)
    return uvicorn.Config(app, **options)


def run(app: FastAPI, settings: Settings, **overrides) -> None:
    """Serve until SIGINT/SIGTERM."""
    config = server_config(app, settings, **overrides)  # configures uvicorn's loggers
    restore_log = access_log_in_thread()
    try:
        GracefulServer(config).run()
    finally:
        restore_log()
