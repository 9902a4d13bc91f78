"""A real uvicorn server on a free loopback port: in a background thread, or as a `python -m app` subprocess."""

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.main import create_app
from app.settings import Settings
from app.web.server import GracefulServer, server_config
from tests.support.live import wait_until

ROOT = Path(__file__).resolve().parents[2]


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
    server: GracefulServer

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kw)

    @property
    def manager(self):
        return self.app.state.manager


@contextmanager
def live_server(tmp_path, uvicorn_options: dict | None = None, **settings_overrides) -> Iterator[LiveServer]:
    """Start create_app(Settings(...)) under uvicorn on 127.0.0.1; stop it (bounded) on exit."""
    port = settings_overrides.get("port") or free_port()  # a fixed port: to restart a server in place
    fields = {"host": "127.0.0.1", "port": port, "data_dir": tmp_path / "data", "record": False}
    fields.update(settings_overrides)
    settings = Settings(**fields)
    app = create_app(settings)
    options = {"log_level": "warning", **(uvicorn_options or {})}
    server = GracefulServer(server_config(app, settings, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), timeout=20, interval=0.02)
    if not server.started:
        raise RuntimeError("test server stopped before it started")
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", app, server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class ServerProcess:
    """`python -m app serve` in a child process."""

    url: str
    ws_url: str
    proc: subprocess.Popen

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kw)

    def rss_mb(self) -> float:
        """Resident memory of the server process, in MB (from /proc)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")


@contextmanager
def server_process(tmp_path, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """Start `python -m app serve --port P` (settings through GRADCAST_* env); SIGTERM, then kill, on exit."""
    port = free_port()
    full_env = {
        **os.environ,
        "GRADCAST_DATA_DIR": str(tmp_path / "data"),
        "GRADCAST_RECORD": "false",
        "GRADCAST_TORCH_THREADS": "1",
        **(env or {}),
    }
    if "GRADCAST_PRESENTER_TOKEN" not in (env or {}):
        full_env.pop("GRADCAST_PRESENTER_TOKEN", None)  # the caller's shell must not change the test
    log = open(tmp_path / f"server-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def up_or_gone() -> bool:
        if proc.poll() is not None:
            return True
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        with suppress(AssertionError):
            wait_until(up_or_gone, timeout=30, interval=0.1)
        if proc.poll() is not None or not up_or_gone():
            raise RuntimeError(
                f"server did not start: {(tmp_path / f'server-{port}.log').read_text()[-2000:]}"
            )
        yield ServerProcess(url, f"ws://127.0.0.1:{port}", proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()
