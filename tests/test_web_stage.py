"""The stage of lecture mode against a real server: who may publish, what followers receive, and in what order."""

import contextlib
import json
import threading
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.web.stage import room_path
from tests.support.server import live_server

TOKEN = "stage-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("stage"), lecture=True, presenter_token=TOKEN) as srv:
        yield srv


def _publish(srv, path, state=None, **kw) -> httpx.Response:
    body = {"path": path, "state": state or {}}
    return httpx.post(f"{srv.url}/api/stage", json=body, timeout=10, **kw)


def test_only_the_presenter_publishes(lecture):
    before = httpx.get(f"{lecture.url}/api/stage").json()
    assert _publish(lecture, "/sweep").status_code == 401
    assert _publish(lecture, "/sweep", headers={"Authorization": "Bearer nope"}).status_code == 403
    cross = _publish(lecture, "/sweep", headers={**AUTH, "Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert httpx.get(f"{lecture.url}/api/stage").json() == before  # nothing refused reached the room
    ok = _publish(lecture, "/sweep?max_depth=12&lang=ko&projector=1", {"focus": "sweep"}, headers=AUTH)
    assert ok.status_code == 200, ok.text
    stage = ok.json()
    assert stage == {"seq": before["seq"] + 1, "path": "/sweep?max_depth=12", "state": {"focus": "sweep"}}
    assert httpx.get(f"{lecture.url}/api/stage").json() == stage


@pytest.mark.parametrize(
    ("path", "state"),
    [("https://evil.example/", {}), ("//evil.example/x", {}), ("runs/x", {}), ("/", {"big": "x" * 5000})],
)
def test_bad_stage_is_refused_with_the_field(lecture, path, state):
    resp = _publish(lecture, path, state, headers=AUTH)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][-1] in ("path", "state")


def test_room_path_drops_each_devices_own_params():
    assert room_path("/runs/a?lang=ko&view=1&projector=1&token=x") == "/runs/a"
    assert room_path("/lessons/v?step=3&lang=en") == "/lessons/v?step=3"


def test_followers_get_the_current_stage_first_then_every_change(lecture):
    _publish(lecture, "/groups/g1", {"walk": 2}, headers=AUTH)
    current = httpx.get(f"{lecture.url}/api/stage").json()
    with (
        connect(f"{lecture.ws_url}/ws/stage", open_timeout=10) as a,
        connect(f"{lecture.ws_url}/ws/stage") as b,
    ):
        assert json.loads(a.recv(timeout=5)) == current  # a late joiner sees what the room sees
        assert json.loads(b.recv(timeout=5)) == current
        sent = time.monotonic()
        _publish(lecture, "/runs/r2", {"walk": 3}, headers=AUTH)
        for ws in (a, b):
            got = json.loads(ws.recv(timeout=5))
            assert got == {"seq": current["seq"] + 1, "path": "/runs/r2", "state": {"walk": 3}}
        assert time.monotonic() - sent < 5  # generous: behaviour, not speed (bench/classroom.py measures)
        a.send(json.dumps({"type": "ping"}))
        assert json.loads(a.recv(timeout=5)) == {"type": "pong"}


def test_a_slow_follower_gets_the_newest_stage_not_a_backlog(lecture):
    with connect(f"{lecture.ws_url}/ws/stage", open_timeout=10) as ws:
        first = json.loads(ws.recv(timeout=5))
        for i in range(20):
            _publish(lecture, f"/runs/r{i}", headers=AUTH)
        seen = []
        deadline = time.monotonic() + 10
        while (not seen or seen[-1]["path"] != "/runs/r19") and time.monotonic() < deadline:
            seen.append(json.loads(ws.recv(timeout=5)))
        seqs = [m["seq"] for m in seen]
        assert seqs == sorted(seqs) and seqs[0] > first["seq"]  # in order, never an old stage after a new one
        assert seen[-1] == {"seq": first["seq"] + 20, "path": "/runs/r19", "state": {}}


def test_stage_socket_checks_origin(lecture):
    with pytest.raises(InvalidStatus) as err:
        connect(f"{lecture.ws_url}/ws/stage", origin="http://evil.example", open_timeout=10)
    assert err.value.response.status_code == 403


def test_follow_link_opens_what_the_room_sees(lecture):
    _publish(lecture, "/sweep?max_depth=8", headers=AUTH)
    resp = httpx.get(f"{lecture.url}/follow?lang=ko", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/sweep?max_depth=8&view=1&lang=ko"


def test_followers_end_with_the_server(tmp_path):
    closed = threading.Event()
    with contextlib.ExitStack() as stack:
        with live_server(tmp_path, lecture=True, presenter_token=TOKEN) as srv:
            ws = stack.enter_context(connect(f"{srv.ws_url}/ws/stage", open_timeout=10))
            ws.recv(timeout=5)

            def read():
                try:
                    while True:
                        ws.recv(timeout=10)
                except Exception:
                    closed.set()

            threading.Thread(target=read, daemon=True).start()
        assert closed.wait(10)
        assert ws.close_code in (1001, 1012)
