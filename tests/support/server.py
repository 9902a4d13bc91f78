"""A real uvicorn server on a free loopback port, in a background thread, for tests."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from app.main import create_app
from app.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """Handle on a running server: its base URLs and the app (for its state in assertions)."""

    url: str  # http://127.0.0.1:PORT
    ws_url: str  # ws://127.0.0.1:PORT
    app: object
    server: uvicorn.Server

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kw)


@contextmanager
def live_server(tmp_path, **settings_overrides) -> Iterator[LiveServer]:
    """Start create_app(Settings(...)) under uvicorn on 127.0.0.1; stop it (bounded) on exit."""
    port = free_port()
    fields = {"host": "127.0.0.1", "port": port, "data_dir": tmp_path / "data", "record": False}
    fields.update(settings_overrides)
    settings = Settings(**fields)
    app = create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=False,
        ws_max_size=settings.ws_max_message, timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start within 20 s")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", app, server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
