"""Security against a real server: presenter token, cookie link, websocket Host/Origin, headers, log redaction."""

import logging
import socket

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.web.netinfo import lan_addresses
from tests.support.live import SMALL, recv_json
from tests.support.server import live_server

TOKEN = "correct-horse-battery-staple"


@pytest.fixture
def lecture(tmp_path):
    with live_server(tmp_path, presenter_token=TOKEN) as srv:
        yield srv


def test_viewer_cannot_mutate_but_can_watch(lecture):
    with (
        lecture.client() as viewer,
        lecture.client(headers={"Authorization": f"Bearer {TOKEN}"}) as presenter,
    ):
        r = viewer.post("/api/runs", json=SMALL)
        assert r.status_code == 401 and "presenter token" in r.json()["detail"]
        r = viewer.post("/api/runs", json=SMALL, headers={"Authorization": "Bearer guess"})
        assert r.status_code == 403
        r = presenter.post("/api/runs", json={**SMALL, "steps_per_second": 5})
        assert r.status_code == 201
        rid = r.json()["id"]
        for method, path in [
            ("post", f"/api/runs/{rid}/pause"),
            ("patch", f"/api/runs/{rid}"),
            ("delete", f"/api/runs/{rid}"),
            ("post", "/api/presets/relu-deep/runs"),
            ("post", "/api/groups/x/stop"),
        ]:
            assert getattr(viewer, method)(path).status_code == 401, path
        assert viewer.get(f"/api/runs/{rid}").json()["status"] == "running"  # untouched
        assert viewer.get("/api/session").json()["presenter"] is False
        assert presenter.get("/api/session").json()["presenter"] is True
        with connect(f"{lecture.ws_url}/ws/runs/{rid}") as ws:  # watching needs no token
            assert recv_json(ws)["type"] == "snapshot"


def test_presenter_link_sets_a_strict_cookie_and_drops_the_token(lecture):
    with lecture.client() as c:
        r = c.get(f"/?token={TOKEN}&lang=ko", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/?lang=ko"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith(f"gradcast_presenter={TOKEN}")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert c.get("/api/session").json()["presenter"] is True  # the client kept the cookie
        assert c.post("/api/runs", json={**SMALL, "paused": True}).status_code == 201
    with lecture.client() as other:
        r = other.get("/?token=wrong", follow_redirects=False)
        assert r.status_code == 403 and "set-cookie" not in r.headers


def test_token_never_reaches_the_access_log(tmp_path):
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    with live_server(tmp_path, presenter_token=TOKEN, uvicorn_options={"log_level": "info"}) as srv:
        handler = Keep()
        logging.getLogger("uvicorn.access").addHandler(handler)
        try:
            with srv.client() as c:
                c.get(f"/?token={TOKEN}", follow_redirects=False)
                c.get(f"/api/runs?token={TOKEN}")
        finally:
            logging.getLogger("uvicorn.access").removeHandler(handler)
    assert len(lines) == 2 and all("token=[redacted]" in line for line in lines), lines
    assert not any(TOKEN in line for line in lines)


def _handshake(port: int, host: str, origin: str | None) -> int:
    """The HTTP status a raw websocket handshake gets (101 accepted, 403 refused)."""
    request = (
        f"GET /ws/runs/x HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (f"Origin: {origin}\r\n" if origin else "")
        + "\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request.encode())
        return int(s.recv(4096).split(b" ", 2)[1])


def test_websocket_handshake_checks_host_and_origin(tmp_path):
    with live_server(tmp_path, allowed_hosts=["lab.example"]) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        own = f"127.0.0.1:{port}"
        assert _handshake(port, own, None) == 101  # scripts send no Origin
        assert _handshake(port, own, f"http://{own}") == 101  # the dashboard itself
        assert _handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
        assert _handshake(port, f"lab.example:{port}", f"http://lab.example:{port}") == 101  # configured name
        assert _handshake(port, own, "http://evil.example") == 403  # cross-site websocket hijacking
        assert _handshake(port, own, "null") == 403
        assert _handshake(port, f"evil.example:{port}", f"http://evil.example:{port}") == 403  # DNS rebinding
        with pytest.raises(InvalidStatus) as info:
            connect(f"{srv.ws_url}/ws/runs/x", origin="http://evil.example")
        assert info.value.response.status_code == 403


def test_security_headers_on_every_response(server):
    with server.client() as c:
        for path in ("/", "/api/runs", "/api/nothing-here", "/healthz"):
            h = c.get(path).headers
            policy = h["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-eval" not in policy, path
            assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
            assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"
        policy = c.get("/").headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_without_a_token_everyone_presents(server):
    with server.client() as c:
        assert c.get("/api/session").json()["presenter"] is True
        assert c.post("/api/runs", json={**SMALL, "paused": True}).status_code == 201


def test_the_address_a_connection_reached_or_any_ip_address_is_an_allowed_host(tmp_path):
    from app.settings import Settings
    from app.web.security import SecurityMiddleware

    mw = SecurityMiddleware(app=None, settings=Settings(data_dir=tmp_path))
    lan = {"host": "192.0.2.7:8000", "origin": "http://192.0.2.7:8000"}  # a student on the lecture LAN
    assert mw.websocket_refusal(lan, ("192.0.2.7", 8000)) is None
    # In a container the connection reached the container's address, not the host's one the student typed.
    assert mw.websocket_refusal(lan, ("172.17.0.2", 8000)) is None
    v6 = {"host": "[2001:db8::5]:8000", "origin": "http://[2001:db8::5]:8000"}
    assert mw.websocket_refusal(v6, ("172.17.0.2", 8000)) is None
    # A name goes through DNS and may be rebound to this machine: only this machine's names and the allowlist.
    rebound = {"host": "evil.example:8000", "origin": "http://evil.example:8000"}
    assert "evil.example" in mw.websocket_refusal(rebound, ("192.0.2.7", 8000))
    assert "evil.example" in mw.websocket_refusal({"host": "evil.example:8000"}, ("172.17.0.2", 8000))
    digits_but_a_name = {"host": "192.0.2.7.evil.example:8000"}
    assert mw.websocket_refusal(digits_but_a_name, ("172.17.0.2", 8000)) is not None
    cross_site = {"host": "192.0.2.7:8000", "origin": "http://evil.example"}
    assert mw.websocket_refusal(cross_site, ("172.17.0.2", 8000)) == "cross-site Origin refused"


def test_an_ip_address_the_server_does_not_know_passes_a_real_handshake(tmp_path):
    """What a port-forwarded server (a container) sees: Host is an address it does not have."""
    with live_server(tmp_path) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        assert _handshake(port, "192.0.2.7:8080", "http://192.0.2.7:8080") == 101
        assert _handshake(port, "[2001:db8::5]:8080", "http://[2001:db8::5]:8080") == 101
        assert _handshake(port, "192.0.2.7:8080", "http://evil.example") == 403
        assert _handshake(port, "gradcast.evil.example:8080", "http://gradcast.evil.example:8080") == 403


def test_the_viewer_link_uses_the_address_the_presenter_came_by(tmp_path):
    # laptop.local: a name allowed by configuration (any other name is refused on every route: DNS rebinding)
    allowed = ["laptop.local"]
    with (
        live_server(tmp_path, lecture=True, presenter_token=TOKEN, allowed_hosts=allowed) as srv,
        srv.client() as c,
    ):
        # Through a port mapping: the host's address and port, which the server cannot know otherwise.
        forwarded = c.get("/api/session", headers={"Host": "192.0.2.7:8080"}).json()
        assert forwarded["viewer_url"] == "http://192.0.2.7:8080/follow"
        qr = c.get("/qr.svg", params={"u": forwarded["viewer_url"]}, headers={"Host": "192.0.2.7:8080"})
        assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
        other = c.get(
            "/qr.svg", params={"u": "http://198.51.100.9/?view=1"}, headers={"Host": "192.0.2.7:8080"}
        )
        assert other.status_code == 422
        # From the projector's own machine, or by a name (which may resolve on this machine only): the
        # machine's LAN address and the server's own port.
        port = int(srv.url.rsplit(":", 1)[1])
        expected = f"http://{(lan_addresses() or ['127.0.0.1'])[0]}:{port}/follow"
        assert c.get("/api/session").json()["viewer_url"] == expected
        assert (
            c.get("/api/session", headers={"Host": f"laptop.local:{port}"}).json()["viewer_url"] == expected
        )
        assert c.get("/api/session", headers={"Host": f"[::1]:{port}"}).json()["viewer_url"] == expected
