"""A dashboard that is down, hangs, or restarts mid-run never disturbs the training loop."""

import logging
import socket
import time
from contextlib import ExitStack

import pytest
import torch
from torch import nn

from gradcast import watch
from tests.support.server import free_port, live_server

torch.set_num_threads(1)  # 2 shared cores: more threads only spin against each other

STEP_BUDGET = (
    0.25  # s: the most one run.step() may take (a busy machine preempts); a blocking client waits 0.5 s+
)


class Loop:
    """A small real training loop that times every run.step() call."""

    def __init__(self) -> None:
        torch.manual_seed(0)
        self.model = nn.Sequential(
            nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4)
        )
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.05)
        self.x, self.y = torch.randn(64, 16), torch.randint(0, 4, (64,))
        self.step_times: list[float] = []

    def train(self, run, steps: int, sleep: float = 0.0) -> None:
        for _ in range(steps):
            loss = nn.functional.cross_entropy(self.model(self.x), self.y)
            loss.backward()
            t0 = time.perf_counter()
            run.step(loss=loss.item())
            self.step_times.append(time.perf_counter() - t0)
            self.optimizer.step()
            self.optimizer.zero_grad()
            if sleep:
                time.sleep(sleep)  # pacing the loop (a step's compute), not waiting for anything


def client_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gradcast.client"]


def test_no_dashboard_at_that_port(caplog):
    loop = Loop()
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="gradcast.client"):
        t0 = time.monotonic()
        with watch(loop.model, url=url, name="nobody-home", close_timeout=2.0) as run:
            loop.train(run, 300, sleep=0.001)
            t_exit = time.monotonic()
        exit_s = time.monotonic() - t_exit
    assert run.steps == 300 and run.sent == 0 and run.dropped == 300 and run.id is None
    assert max(loop.step_times) < STEP_BUDGET
    assert exit_s < 1.0 and time.monotonic() - t0 < 10
    (message,) = client_warnings(caplog)  # said once, not once per step or per batch
    assert "unreachable" in message and "run.dropped" in message


def test_a_dashboard_that_never_answers():
    loop = Loop()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # never accept(): connections complete in the backlog, requests go unanswered
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with watch(loop.model, url=url, name="hung", timeout=0.5, close_timeout=1.0) as run:
            loop.train(run, 200, sleep=0.003)
            t_exit = time.monotonic()
        exit_s = time.monotonic() - t_exit
    assert run.steps == 200 and run.sent == 0 and run.dropped == 200
    assert max(loop.step_times) < STEP_BUDGET
    assert exit_s < 1.0 + 0.5  # close_timeout bounds the exit


def wait_for(predicate, seconds: float, loop: Loop | None = None, run=None) -> None:
    """Poll (training a step each time, if given a loop) until predicate() or the deadline."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {seconds} s")
        if loop is not None:
            loop.train(run, 1, sleep=0.01)
        else:
            time.sleep(0.02)


def test_a_dashboard_restarted_mid_run(tmp_path):
    loop = Loop()
    port = free_port()
    first = ExitStack()
    srv1 = first.enter_context(live_server(tmp_path / "one", port=port))
    with live_server_later(tmp_path / "two", port) as start_second:
        with watch(loop.model, url=srv1.url, name="restarted", close_timeout=5.0) as run:
            loop.train(run, 100, sleep=0.001)
            wait_for(lambda: run.sent == 100, 5)
            first_id = run.id
            first.close()  # the dashboard goes away (its runs live in its memory)
            loop.train(run, 50, sleep=0.006)  # >= 0.3 s down: the sender tries, fails, drops and backs off
            srv2 = start_second()
            wait_for(lambda: run.registrations == 2, 15, loop, run)  # within the 5 s backoff cap
            loop.train(run, 20, sleep=0.002)
        with srv2.client() as http:
            (again,) = [r for r in http.get("/api/runs").json() if r["name"] == "restarted"]
            history = http.get(f"/api/runs/{again['id']}").json()["history"]
    assert run.steps == len(loop.step_times)  # every step of the loop ran: none skipped, none stuck
    assert run.id == again["id"] != first_id and again["external"] is True and again["status"] == "finished"
    steps = [s["step"] for s in history]
    assert (
        steps == list(range(steps[0], run.steps + 1)) and steps[0] > 100
    )  # contiguous to the very last step
    assert run.dropped > 0 and run.sent + run.dropped == run.steps  # each step delivered or counted, once
    assert max(loop.step_times) < STEP_BUDGET


class live_server_later:
    """A second server on a fixed port, started on demand inside the block, stopped at its end."""

    def __init__(self, tmp_path, port: int) -> None:
        self._stack = ExitStack()
        self._tmp_path, self._port = tmp_path, port

    def __enter__(self):
        return lambda: self._stack.enter_context(live_server(self._tmp_path, port=self._port))

    def __exit__(self, *exc) -> None:
        self._stack.close()


def test_a_refused_presenter_token_is_said_once_and_training_goes_on(tmp_path, caplog):
    loop = Loop()
    with live_server(tmp_path, presenter_token="the-right-one") as srv, caplog.at_level(logging.WARNING):
        with watch(
            loop.model, url=srv.url, name="wrong-token", token="a-wrong-one", close_timeout=2.0
        ) as run:
            loop.train(run, 50, sleep=0.002)
        with srv.client() as http:
            assert [r for r in http.get("/api/runs").json() if r["name"] == "wrong-token"] == []
    assert run.steps == 50 and run.sent == 0 and run.dropped == 50
    (message,) = client_warnings(caplog)
    assert "presenter token" in message and "403" in message


def test_a_run_deleted_on_the_dashboard_is_not_registered_again(tmp_path, caplog):
    loop = Loop()
    with live_server(tmp_path) as srv, srv.client() as http, caplog.at_level(logging.WARNING):
        with watch(loop.model, url=srv.url, name="deleted-mid-run", close_timeout=5.0) as run:
            loop.train(run, 20, sleep=0.002)
            wait_for(lambda: run.sent == 20, 5)
            assert http.delete(f"/api/runs/{run.id}").status_code == 204  # the presenter deletes it
            loop.train(run, 30, sleep=0.002)
            wait_for(lambda: run.sent + run.dropped == 50, 5)
        assert [r for r in http.get("/api/runs").json() if r["name"] == "deleted-mid-run"] == []
        gone = http.post(f"/api/external/runs/{run.id}/finish")
        unknown = http.post("/api/external/runs/never-was/finish")
    assert run.registrations == 1 and run.sent == 20 and run.dropped == 30  # not registered again
    assert gone.status_code == 410 and "deleted" in gone.json()["detail"]
    assert unknown.status_code == 404  # never known here (a restart): a sender registers again
    (message,) = client_warnings(caplog)
    assert "was deleted on the dashboard" in message
    assert max(loop.step_times) < STEP_BUDGET
