"""Issue: the largest import allowed is parsed and written off the event loop: while it goes in, /healthz
answers and a viewer of a live run keeps receiving frames. `python -m app serve` in a child process."""

import json
import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

from app.settings import Settings
from tests.support.exports import export_doc
from tests.support.live import SMALL, wait_until
from tests.support.server import server_process

pytestmark = pytest.mark.slow
LAYERS = (*(f"layer{i}" for i in range(1, 10)), "output")  # a 10-layer network's export


def largest_allowed(limit: int) -> tuple[bytes, int]:
    """An export of a 10-layer run just under `limit` bytes: (body, steps)."""
    per_step = len(json.dumps(export_doc(steps=1, layers=LAYERS)["history"][0])) + 2
    steps = (limit - 1000) // per_step
    while True:
        body = json.dumps(export_doc(steps=steps, layers=LAYERS)).encode()
        if len(body) <= limit:
            return body, steps
        steps -= 20


def test_the_largest_import_goes_in_while_viewers_and_healthz_are_served(tmp_path):
    limit = Settings.model_fields["max_import_bytes"].default
    body, steps = largest_allowed(limit)
    assert len(body) > 0.95 * limit and steps <= Settings.model_fields["max_import_steps"].default
    with (
        server_process(tmp_path, env={"GRADCAST_RECORD": "true"}) as srv,
        httpx.Client(base_url=srv.url, timeout=300) as c,
    ):
        rid = c.post("/api/runs", json={**SMALL, "steps_per_second": 20, "max_steps": 100_000}).json()["id"]
        frames: list[float] = []  # monotonic times of frames received
        answered: list[float] = []  # of /healthz answers
        done = threading.Event()

        def view() -> None:
            with connect(f"{srv.ws_url}/ws/runs/{rid}") as ws:
                while not done.is_set() and len(frames) < 100_000:
                    try:
                        msg = json.loads(ws.recv(timeout=1))
                    except TimeoutError:
                        continue
                    if msg.get("type") == "frame":
                        frames.append(time.monotonic())

        def poll() -> None:
            with httpx.Client(base_url=srv.url, timeout=30) as h:
                while not done.is_set() and len(answered) < 10_000:
                    assert h.get("/healthz").status_code == 200
                    answered.append(time.monotonic())
                    time.sleep(0.05)  # pacing: a person's page asks ~20 times a second

        workers = [threading.Thread(target=view), threading.Thread(target=poll)]
        for w in workers:
            w.start()
        try:
            wait_until(lambda: len(frames) >= 3, timeout=30)  # the viewer is receiving
            rss_before = srv.rss_mb()
            start = time.monotonic()
            r = c.post("/api/records/import", content=body, headers={"Content-Type": "application/json"})
            end = time.monotonic()
            rss_after = srv.rss_mb()
        finally:
            done.set()
            for w in workers:
                w.join(10)
        assert r.status_code == 201, r.text[:300]
        assert r.json()["steps"] == steps
        inside = lambda times: sum(start + 0.1 < t < end - 0.1 for t in times)  # noqa: E731
        # A blocked event loop would answer nothing and send nothing while the import is parsed and written.
        assert inside(answered) >= 5, (end - start, len(answered))
        assert inside(frames) >= 5, (end - start, len(frames))
        print(
            f"import of {len(body) / 1e6:.1f} MB ({steps} steps): {end - start:.1f} s, RSS {rss_before:.0f} -> {rss_after:.0f} MB"
        )
        c.post(f"/api/runs/{rid}/stop")
