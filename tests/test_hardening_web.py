"""Issue: no neighbour page acts as the presenter, no rebinding Host reaches REST, no body is read past its cap,
no viewer starts a costly sweep. Against a real server (raw sockets where a client library would help)."""

import logging
import socket
import threading
import time

import httpx
import pytest
from torch import nn

from app.client import watch
from tests.support.exports import export_doc
from tests.support.live import SMALL, strict_loads
from tests.support.server import live_server

TOKEN = "correct-horse-battery-staple"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(params=["default", "lecture"])
def srv(request, tmp_path):
    token = TOKEN if request.param == "lecture" else None
    with live_server(tmp_path, record=True, presenter_token=token) as s:
        s.token = token
        yield s


def auth(srv) -> dict:
    return BEARER if srv.token else {}


def test_a_rebinding_host_gets_403_on_every_rest_route(srv):
    with srv.client() as c:
        rid = c.post("/api/records/import", json=export_doc(), headers=auth(srv)).json()["id"]
        evil = {"Host": f"evil.example:{srv.url.rsplit(':', 1)[1]}", **auth(srv)}
        for method, path in [
            ("DELETE", f"/api/records/{rid}"),
            ("GET", "/api/records"),
            ("GET", f"/api/records/{rid}/export.json"),
            ("POST", "/api/runs"),
            ("GET", "/"),
        ]:
            r = c.request(method, path, headers=evil)
            assert r.status_code == 403 and "evil.example" in r.json()["detail"], (method, path, r.text)
        assert c.get(f"/api/records/{rid}").status_code == 200  # not deleted
        assert c.get("/api/records", headers={"Host": "localhost"}).status_code == 200  # our own names pass


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:1"},  # another port of this host: same site, another origin
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_requests_are_refused_on_mutating_routes(srv, headers):
    with srv.client() as c:
        rid = c.post("/api/records/import", json=export_doc(), headers=auth(srv)).json()["id"]
        for method, path, body in [
            ("POST", "/api/runs", {**SMALL, "paused": True}),
            ("DELETE", f"/api/records/{rid}", None),
            ("PATCH", f"/api/records/{rid}", {"name": "x"}),
            ("POST", "/api/records/import", export_doc()),
        ]:
            r = c.request(method, path, json=body, headers={**headers, **auth(srv)})
            assert r.status_code == 403 and "cross-site" in r.json()["detail"], (method, path, r.text)
        assert [x["id"] for x in c.get("/api/records", headers=headers).json()] == [rid]  # reading is fine
        assert c.get("/api/runs").json() == []


def test_same_origin_pages_and_plain_clients_still_act(srv):
    with srv.client() as c:
        host = srv.url.removeprefix("http://")
        same = {"Origin": srv.url, "Sec-Fetch-Site": "same-origin", "Host": host}
        r = c.post("/api/runs", json={**SMALL, "paused": True}, headers={**same, **auth(srv)})
        assert r.status_code == 201, r.text
        r = c.post("/api/runs", json={**SMALL, "paused": True}, headers=auth(srv))  # curl, watch(): no Origin
        assert r.status_code == 201, r.text
        nav = {"Sec-Fetch-Site": "none", **auth(srv)}  # typed into the address bar
        assert c.post("/api/runs", json={**SMALL, "paused": True}, headers=nav).status_code == 201


def _raw_chunked(url: str, path: str, total: int, piece: int = 65_536) -> tuple[bytes, int]:
    """POST `total` bytes as a chunked body, piece by piece, stopping when the server answers or closes;
    returns (the answer's first bytes, bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        s.setblocking(False)
        chunk = f"{piece:x}\r\n".encode() + b" " * piece + b"\r\n"
        answer = b""
        deadline = time.monotonic() + 30
        while sent < total and time.monotonic() < deadline:
            try:
                answer += s.recv(4096)
                if answer:
                    break
            except BlockingIOError:
                pass
            try:
                s.sendall(chunk)
                sent += piece
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)  # pacing: the socket's buffer is full, the next piece goes when it drains
        s.setblocking(True)
        s.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer:
                more = s.recv(4096)
                if not more:
                    break
                answer += more
        except (TimeoutError, ConnectionResetError):
            pass
    return answer, sent


def test_a_chunked_body_is_refused_at_the_limit_not_buffered(tmp_path):
    limit = 1_000_000
    with live_server(tmp_path, record=True, max_body_bytes=limit, max_import_bytes=limit) as srv:
        for path in ("/api/records/import", "/api/runs"):
            answer, sent = _raw_chunked(srv.url, path, total=300_000_000)
            assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
            assert sent < 50 * limit, sent  # it stopped reading long before the 300 MB were sent
        with srv.client() as c:
            big = b'{"pad": "' + b"x" * (limit + 10) + b'"}'
            r = c.post("/api/runs", content=big, headers={"Content-Type": "application/json"})
            assert r.status_code == 413 and "GRADCAST_MAX_BODY_BYTES" in r.json()["detail"]
            assert c.get("/healthz").status_code == 200


def test_an_import_past_the_step_cap_is_refused_before_validation(tmp_path):
    with live_server(tmp_path, record=True, max_import_steps=50) as srv, srv.client() as c:
        r = c.post("/api/records/import", json=export_doc(steps=51))
        assert r.status_code == 422 and "GRADCAST_MAX_IMPORT_STEPS" in r.json()["detail"][0]["msg"]
        assert c.post("/api/records/import", json=export_doc(steps=50)).status_code == 201


def test_lecture_viewers_get_cached_or_cheap_sweeps_only(tmp_path):
    # a sweep about as costly as the default takes ~1 s of CPU, much more on a busy machine: a long timeout
    with (
        live_server(tmp_path, presenter_token=TOKEN) as srv,
        httpx.Client(base_url=srv.url, timeout=120) as viewer,
    ):
        costly = {"max_depth": 31, "seeds": 3, "width": 32}  # just past the default's cost
        r = viewer.get("/api/sweep", params=costly)
        assert r.status_code == 403 and "presenter" in r.json()["detail"]
        assert viewer.get("/api/sweep", params={"max_depth": 4, "seeds": 1, "width": 8}).status_code == 200
        with httpx.Client(base_url=srv.url, timeout=120, headers=BEARER) as presenter:
            assert presenter.get("/api/sweep", params=costly).status_code == 200
        assert viewer.get("/api/sweep", params=costly).status_code == 200  # now cached


def test_the_sweep_cache_is_bounded(server):
    server.app.state.sweep_cache.size = 2
    with server.client() as c:
        for depth in (2, 3, 4):
            assert c.get("/api/sweep", params={"max_depth": depth, "seeds": 1, "width": 2}).status_code == 200
    assert list(server.app.state.sweep_cache.results) == [(3, 1, 2, "default"), (4, 1, 2, "default")]


def test_watch_on_a_module_with_nothing_trainable_warns_and_does_nothing(caplog):
    frozen = nn.Linear(2, 2).requires_grad_(False)
    senders = lambda: sum(t.name == "gradcast-sender" for t in threading.enumerate())  # noqa: E731
    before = senders()
    for model in (nn.ReLU(), frozen):
        with caplog.at_level(logging.WARNING, logger="gradcast.client"):
            run = watch(model, "http://127.0.0.1:9")  # nothing listens there; nothing is sent
        assert "no trainable parameters" in caplog.text
        with run:
            run.step(0.5)
        assert run.id is None and run.sent == 0 and run.layer_names == []
        caplog.clear()
        assert senders() == before  # no sender was started


def test_the_report_carries_a_csp_for_its_own_scripts(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = c.post("/api/records/import", json=export_doc()).json()["id"]
        r = c.get(f"/api/records/{rid}/report.html")
        policy = r.headers["content-security-policy"]
        assert r.headers.get_list("content-security-policy") == [
            policy
        ]  # the report's own, not the app's too
        assert "'sha256-" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "connect-src" not in policy and "default-src 'none'" in policy
        strict_loads(c.get(f"/api/records/{rid}").content)
