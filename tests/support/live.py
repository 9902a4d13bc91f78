"""Helpers for tests of live runs: small configs, a strict JSON parser, bounded waits."""

import json
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# A network that builds and steps in milliseconds on a busy CPU: 3 hidden layers of 8 on 200 spiral points.
SMALL = {"dataset": "spiral", "n_samples": 200, "depth": 3, "width": 8, "batch_size": 32}
# A huge initial scale and learning rate: the gradients are NaN within a few steps.
DIVERGING = {**SMALL, "optimizer": "sgd", "lr": 10.0, "init": "normal", "init_std": 100.0, "depth": 6}


def _no_constant(name: str) -> None:
    raise ValueError(f"non-strict JSON: {name}")


def strict_loads(text: str | bytes) -> object:
    """json.loads that refuses NaN, Infinity and -Infinity."""
    return json.loads(text, parse_constant=_no_constant)


def recorded(client, rid: str, steps: int, timeout: float = 10.0) -> dict:
    """GET /api/records/{rid} once the recorder has written the whole finished run of `steps` steps (it writes in
    batches)."""
    return wait_until(
        lambda: (
            (x := client.get(f"/api/records/{rid}").json()).get("status") == "finished"
            and x["steps"] == steps
            and x
        ),
        timeout=timeout,
    )


def all_recorded(client, ids: list[str], timeout: float = 60.0) -> None:
    """Wait until GET /api/records lists every run of `ids` as finished (the recorder writes in batches)."""

    def finished() -> bool:
        status = {r["id"]: r["status"] for r in client.get("/api/records").json()}
        return all(status.get(i) == "finished" for i in ids)

    wait_until(finished, timeout=timeout)


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05) -> object:
    """Poll until predicate() is truthy (returns it) or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.1) -> T:
    """Call check() until it returns without an AssertionError (returns its value); after timeout seconds, its
    last AssertionError. For checks of a state that is reached, not announced (a chart's next redraw)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


def holds(predicate: Callable[[], object], seconds: float, interval: float = 0.02) -> None:
    """Poll that predicate() stays truthy for `seconds` (a pause must hold); fail at the first time it is not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert predicate(), f"condition stopped holding within {seconds} s"
        time.sleep(interval)
    assert predicate(), f"condition stopped holding within {seconds} s"


def recv_json(ws, timeout: float = 10.0) -> dict:
    """The next message of a websockets sync connection, parsed strictly."""
    return strict_loads(ws.recv(timeout=timeout))


def recv_until(
    ws, predicate: Callable[[dict], bool], limit: int = 10_000, timeout: float = 20.0
) -> list[dict]:
    """Messages up to and including the first one matching predicate (bounded in count and time)."""
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    for _ in range(limit):
        msg = recv_json(ws, max(0.1, deadline - time.monotonic()))
        out.append(msg)
        if predicate(msg):
            return out
    raise AssertionError(f"no matching message in {limit} messages")


def covered_steps(frames: list[dict]) -> list[int]:
    """Every step a run's frames account for: the steps riding along in "between", then the frame's own."""
    steps: list[int] = []
    for f in frames:
        steps += f.get("between", {}).get("step", [])
        steps.append(f["step"])
    return steps
