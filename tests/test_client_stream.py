"""A watched loop's steps reach dashboard viewers through the same websocket as a built-in run's."""

import json
import time

import pytest
import torch
from torch import nn
from websockets.sync.client import connect

from app.store import importer
from gradcast import watch
from tests.support.live import wait_until

torch.set_num_threads(1)


def test_viewers_get_frames_of_every_step_and_the_final_status(server):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    run = watch(model, url=server.url, name="streamed", flush_interval=0.05)
    wait_until(lambda: run.id is not None, timeout=10)  # registered in the background

    seen: set[int] = set()
    read = 0  # frames that carried the layers' norms
    statuses: list[str] = []
    with connect(f"{server.ws_url}/ws/runs/{run.id}", open_timeout=5) as ws:
        snapshot = json.loads(ws.recv(timeout=5))
        assert snapshot["type"] == "snapshot" and snapshot["runs"][0]["run"]["external"] is True
        with run:
            for _ in range(60):
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                run.step(loss=loss.item())
                optimizer.step()
                optimizer.zero_grad()
                time.sleep(0.005)  # pacing: ~0.3 s of training, several batches, several frames
        while "finished" not in statuses:
            msg = json.loads(ws.recv(timeout=5))
            if msg["type"] == "frame":
                # A frame lists every layer, or none: a step whose gradients were not read (grad_norm_every).
                names = [layer["name"] for layer in msg["layers"]]
                assert msg["run"] == run.id and names in (["0", "2"], []), names
                read += bool(names)
                seen.add(msg["step"])
                seen.update(msg.get("between", {}).get("step", []))
            elif msg["type"] == "status":
                statuses.append(msg["status"])
    assert seen == set(range(1, 61))  # every step reached the viewer, in a frame or between frames
    assert read > 0  # the first 50 steps read the norms (auto k measures first)
    assert run.sent == 60 and run.dropped == 0


def test_an_exception_in_the_loop_fails_the_run_and_still_propagates(server):
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="bad batch"), watch(model, url=server.url, name="crashing") as run:
        model(torch.randn(4, 2)).sum().backward()
        run.step(loss=1.0)
        raise ValueError("bad batch")
    with server.client() as http:
        got = http.get(f"/api/runs/{run.id}").json()
    assert got["status"] == "failed" and got["reason"] == "ValueError: bad batch"
    assert [s["step"] for s in got["history"]] == [1]  # what was queued was sent before the run ended
    with pytest.raises(RuntimeError, match="after the watch ended"):
        run.step(loss=1.0)


def recorded_id(http, name: str, steps: int) -> str:
    """The record id of run `name` once the recorder has written `steps` steps of it (bounded wait)."""
    return wait_until(
        lambda: (
            (found := [r for r in http.get("/api/records").json() if r["name"] == name])
            and found[0]["steps"] >= steps
            and found[0]["id"]
        ),
        timeout=10,
    )


def test_a_watched_run_is_recorded_and_exported_like_a_built_in_one(tmp_path):
    from tests.support.server import live_server

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    with live_server(tmp_path, record=True) as srv:
        with watch(model, url=srv.url, name="recorded") as run:
            for _ in range(30):
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                run.step(loss=loss.item())
                model.zero_grad()
        with srv.client() as http:
            live = http.get(f"/api/runs/{run.id}").json()["history"]
            record_id = recorded_id(http, "recorded", steps=30)
            stored = http.get(f"/api/records/{record_id}").json()
            exported = http.get(f"/api/records/{record_id}/export.json").json()
    assert stored["status"] == "finished" and stored["layer_names"] == ["0", "2"]
    assert [s["step"] for s in stored["history"]] == list(range(1, 31))
    for rec, got in zip(live, stored["history"], strict=True):
        assert [x["weight_grad_norm"] for x in got["layers"]] == [
            x["weight_grad_norm"] for x in rec["layers"]
        ]
    _, exported_steps, _ = importer.parse(exported)  # the export keeps float32 precision
    assert [s.loss for s in exported_steps] == pytest.approx([s["loss"] for s in live], rel=1e-6)


def test_a_non_finite_gradient_arrives_as_null_with_the_flag_and_the_run_goes_on(server):
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
    with watch(model, url=server.url, name="blows-up") as run:
        for step in range(1, 6):
            model(torch.randn(4, 3)).sum().backward()
            if step == 3:
                model[1].weight.grad[0, 0] = float("inf")
            run.step(loss=float("nan") if step == 4 else 1.0)
            model.zero_grad()
    with server.client() as http:
        history = http.get(f"/api/runs/{run.id}").json()["history"]
    assert [s["step"] for s in history] == [1, 2, 3, 4, 5] and run.dropped == 0
    assert history[2]["nonfinite"] is True and history[2]["layers"][1]["weight_grad_norm"] is None
    assert history[2]["layers"][1]["nonfinite"] is True and history[2]["layers"][0]["weight_grad_norm"] > 0
    assert history[3]["loss"] is None and history[3]["nonfinite"] is True
    assert "nonfinite" not in history[4] and history[4]["loss"] == 1.0
