"""The websocket stream against a real server: snapshot, frames, since-replay, close codes, strict JSON."""

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.live import (
    DIVERGING,
    SMALL,
    covered_steps,
    recv_json,
    recv_until,
    strict_loads,
    wait_until,
)
from tests.support.server import live_server


def _create(c, **extra) -> str:
    r = c.post("/api/runs", json={**SMALL, **extra})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_snapshot_then_frames_that_account_for_every_step(server):
    with server.client() as c:
        rid = _create(c, steps_per_second=0, max_steps=400, paused=True)
        with connect(f"{server.ws_url}/ws/runs/{rid}") as ws:
            snap = recv_json(ws)
            assert snap["type"] == "snapshot" and snap["group"] is None
            assert snap["runs"][0]["run"]["id"] == rid and snap["runs"][0]["history"] == []
            c.post(f"/api/runs/{rid}/resume")
            msgs = recv_until(ws, lambda m: m["type"] == "status" and m["status"] == "finished")
        seqs = [snap["seq"]] + [m["seq"] for m in msgs]
        assert seqs == list(range(snap["seq"], snap["seq"] + len(seqs)))  # one by one, no gap
        frames = [m for m in msgs if m["type"] == "frame"]
        assert covered_steps(frames) == list(range(1, 401))  # unthrottled: steps ride along, none lost
        assert any("between" in f for f in frames)
        for f in frames:
            assert f["run"] == rid and isinstance(f["t"], float) and f["loss"] > 0
            assert [x["name"] for x in f["layers"]] == ["layer1", "layer2", "layer3", "output"]
            n = len(f.get("between", {}).get("step", []))
            assert len(f.get("between", {}).get("weight_grad_norm", [])) == n
        # At most display_fps frames per second (by the server's clock on the frames).
        span = frames[-1]["t"] - frames[0]["t"]
        assert len(frames) <= 30 * span + 3, (len(frames), span)
        assert "act_grad_norm" in frames[-1]["layers"][0]  # the last step carries the display metrics


def test_reconnect_with_since_gets_exactly_what_was_missed(server):
    with server.client() as c:
        rid = _create(c, steps_per_second=60, max_steps=100_000)
        with connect(f"{server.ws_url}/ws/runs/{rid}") as ws:
            first = [recv_json(ws) for _ in range(10)]
        last_seq = first[-1]["seq"]
        seen_frames = [m for m in first if m["type"] == "frame"]
        wait_until(
            lambda: (
                c.get(f"/api/runs/{rid}", params={"history": "none"}).json()["step"]
                > seen_frames[-1]["step"] + 20
            )
        )
        with connect(f"{server.ws_url}/ws/runs/{rid}?since={last_seq}") as ws:
            replay = [recv_json(ws) for _ in range(15)]
        assert replay[0]["type"] == "frame" and replay[0]["seq"] == last_seq + 1
        assert [m["seq"] for m in replay] == list(range(last_seq + 1, last_seq + 16))
        steps = covered_steps(seen_frames) + covered_steps(replay)
        assert steps == list(range(steps[0], steps[0] + len(steps)))  # no gap, no duplicate
        # A seq from the future (a restarted server), or not a number, gets a fresh snapshot.
        for since in ("999999", "", "abc"):
            with connect(f"{server.ws_url}/ws/runs/{rid}?since={since}") as ws:
                assert recv_json(ws)["type"] == "snapshot"


def test_since_older_than_the_replay_ring_gets_a_snapshot(tmp_path):
    with live_server(tmp_path, replay_messages=16) as srv, srv.client() as c:
        rid = _create(c, steps_per_second=100, max_steps=100_000)
        with connect(f"{srv.ws_url}/ws/runs/{rid}") as ws:
            recv_until(ws, lambda m: m["seq"] > 40)
        with connect(f"{srv.ws_url}/ws/runs/{rid}?since=1") as ws:
            snap = recv_json(ws)
        assert snap["type"] == "snapshot" and snap["runs"][0]["history"]


def test_diverging_run_streams_strict_json_and_stays_inspectable(server):
    with server.client() as c:
        rid = _create(c, **DIVERGING, paused=True)
        with connect(f"{server.ws_url}/ws/runs/{rid}") as ws:
            assert recv_json(ws)["type"] == "snapshot"
            c.post(f"/api/runs/{rid}/resume")
            raw = []
            for _ in range(200):
                raw.append(ws.recv(timeout=10))
                msg = strict_loads(raw[-1])  # refuses NaN / Infinity
                if msg["type"] == "status" and msg["status"] not in ("running",):
                    break
        assert msg["status"] == "diverged"
        assert "step" in msg["reason"] and str(msg["step"]) in msg["reason"] and "layer" in msg["reason"]
        frames = [strict_loads(t) for t in raw if '"frame"' in t]
        assert frames and frames[-1].get("nonfinite") is True
        r = c.get(f"/api/runs/{rid}")
        body = strict_loads(r.text)
        assert body["status"] == "diverged" and body["reason"] == msg["reason"]
        assert body["history"] and body["history"][-1]["nonfinite"] is True
        assert any(layer["weight_grad_norm"] is None for layer in body["history"][-1]["layers"])
        assert c.post(f"/api/runs/{rid}/resume").status_code == 409


def _close_of(ws) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as info:
        for _ in range(1000):
            ws.recv(timeout=10)
    return info.value.rcvd.code, info.value.rcvd.reason


def test_unknown_run_and_deleted_run_close_codes(server):
    with connect(f"{server.ws_url}/ws/runs/nope") as ws:
        code, reason = _close_of(ws)
    assert code == 4404 and "nope" in reason
    with server.client() as c:
        rid = _create(c, steps_per_second=20)
        with connect(f"{server.ws_url}/ws/runs/{rid}") as ws:
            recv_json(ws)
            c.delete(f"/api/runs/{rid}")
            code, reason = _close_of(ws)
    assert code == 1000 and "deleted" in reason


def test_viewer_cap_message_size_and_ping(tmp_path):
    with live_server(tmp_path, max_viewers=2, ws_max_message=1024) as srv, srv.client() as c:
        rid = _create(c, steps_per_second=5)
        url = f"{srv.ws_url}/ws/runs/{rid}"
        with connect(url) as a, connect(url) as b:
            recv_json(a), recv_json(b)
            with connect(url) as third:
                code, reason = _close_of(third)
            assert code == 1013 and "max_viewers=2" in reason
            a.send('{"type": "ping"}')
            assert {"type": "pong"} in recv_until(a, lambda m: m == {"type": "pong"})
            b.send("x" * 2000)
            code, _ = _close_of(b)
            assert code == 1009
            wait_until(lambda: c.get(f"/api/runs/{rid}").json()["viewers"] == 1)  # the reader saw it go
