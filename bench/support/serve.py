"""A real `python -m app serve` for the benchmarks: its own process, a free loopback port, a fresh data directory.

Recording is off and no presenter token is inherited unless the caller's `env` sets them; a bench that measures
the server pins it to `cpus` and, with new_session, gives it a session of its own.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0  # importing torch and building the app: seconds on a loaded machine
WATCHED = {  # the run the streaming and classroom benches watch: small, so fan-out, not training, is measured
    "dataset": "spiral",
    "depth": 3,
    "width": 8,
    "n_samples": 200,
    "batch_size": 32,
    "max_steps": 1_000_000,
}


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(
    *flags: str, cpus: set[int] | None = None, new_session: bool = False, **env: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """(url, process) of a fresh server once /healthz answers; SIGTERM on exit (kill after 10 s).

    flags: more `serve` flags (`--lecture`); env: GRADCAST_* settings; cpus: the CPUs it may run on;
    new_session: in a session of its own, as a server started from another terminal (Linux then schedules it as
    its own group, and GRADCAST_SESSION_NICE lowers only its priority, not this process's)."""
    port = free_port()
    with TemporaryDirectory() as data:
        full = {**os.environ, "GRADCAST_DATA_DIR": data, "GRADCAST_RECORD": "false"}
        full.pop("GRADCAST_PRESENTER_TOKEN", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", *flags, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env={**full, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
            start_new_session=new_session,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start within {START_TIMEOUT_S:g} s")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
