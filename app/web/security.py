"""Security: the presenter token (mutating routes), the websocket Host/Origin check, CSP and other headers,
and a log filter that keeps the token out of access logs. `install(app, settings)` wires all of it.
"""

import ipaddress
import logging
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings
from app.web import bodylimit
from app.web.deps import SettingsDep
from app.web.netinfo import lan_addresses, own_host_names

COOKIE = "gradcast_presenter"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HOST_CHARS = re.compile(r"^[A-Za-z0-9.:\[\]-]+$")  # what may be echoed into the CSP's connect-src
_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"]*", re.IGNORECASE)

router = APIRouter(prefix="/api", tags=["session"])


def presenter_token(settings: Settings) -> str | None:
    return settings.presenter_token.get_secret_value() if settings.presenter_token is not None else None


def _same(given: str | None, token: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), token.encode())


def holds_token(headers: dict[str, str], token: str) -> bool | None:
    """True: a valid Bearer header or cookie; False: a wrong one; None: none given."""
    auth = headers.get("authorization")
    given = auth[7:].strip() if auth and auth[:7].lower() == "bearer " else None
    if given is None:
        given = cookie_parser(headers.get("cookie", "")).get(COOKIE)
    if given is None:
        return None
    return _same(given, token)


def host_name(host_header: str) -> str:
    """'example.org' from 'example.org:8000', '::1' from '[::1]:8000'."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def csp(host: str) -> str:
    """The Content-Security-Policy: same origin only, no eval, no inline script; inline styles for Plotly."""
    ws = f" ws://{host} wss://{host}" if host and _HOST_CHARS.match(host) else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        f"connect-src 'self'{ws}; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'"
    )


# /docs (Swagger UI served by the app, see app/main.py) starts with an inline bootstrap script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})


def _embeddable(path: str, scope: Scope) -> bool:
    """GET /runs/{id}?view=1: the read-only page of one run, which a notebook shows inline."""
    if not path.startswith("/runs/") or "/" in path[len("/runs/") :]:
        return False
    return ("view", "1") in parse_qsl(scope.get("query_string", b"").decode("latin-1"))


class SecurityMiddleware:
    """Pure ASGI: token on mutating /api routes, presenter link -> cookie, websocket Host/Origin, headers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.token = presenter_token(settings)
        self.hosts = {h.lower() for h in own_host_names() | set(settings.allowed_hosts)}
        if settings.host not in ("0.0.0.0", "::", ""):
            self.hosts.add(settings.host.lower())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            refusal = self.websocket_refusal(_headers(scope), scope.get("server"))
            if refusal is not None:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008, "reason": refusal})  # -> HTTP 403
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        method, path = scope["method"], scope["path"]
        refusal = self.http_refusal(method, headers, scope.get("server"))
        if refusal is not None:
            await _json(send, 403, refusal, self._headers(path, headers))
            return
        if path == "/" and method == "GET" and b"token=" in scope.get("query_string", b""):
            await self._presenter_link(scope, send)
            return
        if self.token is not None and method in MUTATING and path.startswith("/api/"):
            held = holds_token(headers, self.token)
            if not held:
                code = 401 if held is None else 403
                detail = (
                    "presenter token required: send Authorization: Bearer TOKEN or open the presenter link"
                    if held is None
                    else "wrong presenter token"
                )
                await _json(send, code, detail, self._headers(path, headers))
                return
        extra = self._headers(path, headers, embed=method == "GET" and _embeddable(path, scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                given = {k.lower() for k, _ in own}
                message["headers"] = own + [
                    (k, v) for k, v in extra if k not in given
                ]  # a route's own CSP wins
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def host_refusal(self, headers: dict[str, str], server: tuple | None = None) -> str | None:
        """Why the Host header is not ours (DNS rebinding), or None.

        Ours: the allowlist, the very address this connection reached (`server` in the ASGI scope), which
        covers a LAN address that the machine's name does not resolve to (Debian maps it to 127.0.1.1), or any
        IP address. The check is there against DNS rebinding, where a page of evil.example resolves its own
        name to this machine: the browser then sends Host evil.example. An address typed as digits resolves
        through no DNS: a browser that sends it connected to it, and the Origin check still refuses other
        sites. That lets the host's LAN address through to a server in a container (where the connection reached
        the container's address) without configuration.
        """
        host = headers.get("host", "")
        name = host_name(host).lower()
        reached = str(server[0]).lower() if server else None
        if name not in self.hosts and name != reached and not _is_ip(name):
            return f"Host {host_name(host)!r} is not allowed (add it to GRADCAST_ALLOWED_HOSTS)"
        return None

    def websocket_refusal(self, headers: dict[str, str], server: tuple | None = None) -> str | None:
        """Why a handshake is refused (Host not ours, or a cross-site Origin), or None."""
        refusal = self.host_refusal(headers, server)
        if refusal is not None:
            return refusal
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
            return "cross-site Origin refused"
        return None

    def http_refusal(self, method: str, headers: dict[str, str], server: tuple | None = None) -> str | None:
        """Why a request is refused, or None: Host not ours on any route; on a mutating one (POST, PUT, PATCH,
        DELETE), an Origin other than the Host it was sent to, or Sec-Fetch-Site other than same-origin or none.

        SameSite=Strict keeps the presenter cookie from other sites, but a page on another port of this host is
        the same site: only Origin and Sec-Fetch-Site tell it apart. Clients that send neither (curl, the
        watch() client) are not browsers acting for someone else; the presenter token still applies to them.
        """
        refusal = self.host_refusal(headers, server)
        if refusal is not None or method not in MUTATING:
            return refusal
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
            return f"cross-site request refused (Sec-Fetch-Site: {fetch_site[:20]})"
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
            return f"cross-site request refused (Origin {origin[:100]!r} is not this server)"
        return None

    def _headers(self, path: str, headers: dict[str, str], embed: bool = False) -> list[tuple[bytes, bytes]]:
        policy = DOCS_CSP if path in DOCS_PATHS else csp(headers.get("host", ""))
        if embed:  # a read-only run page may be framed (a notebook's inline view): it has no control to click
            return [
                (
                    b"content-security-policy",
                    policy.replace("frame-ancestors 'none'", "frame-ancestors *").encode(),
                ),
                (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"no-referrer"),
            ]
        return [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]

    async def _presenter_link(self, scope: Scope, send: Send) -> None:
        """/?token=T: a right token sets the HttpOnly cookie; either way redirect to / without the token."""
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        given = next((v for k, v in query if k == "token"), None)
        rest = urlencode([(k, v) for k, v in query if k != "token"])
        headers = [(b"location", ("/?" + rest if rest else "/").encode()), (b"cache-control", b"no-store")]
        headers += self._headers("/", _headers(scope))
        if self.token is not None and not _same(given, self.token):
            await _json(send, 403, "wrong presenter token", headers[1:])
            return
        if self.token is not None:
            cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            headers.append((b"set-cookie", cookie.encode()))
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _json(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    import orjson

    body = orjson.dumps({"detail": detail})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RedactToken(logging.Filter):
    """Rewrites token=... in access-log arguments (uvicorn logs the path with its query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _TOKEN_IN_URL.sub(r"\1[redacted]", record.msg)
        return True


def install(app: FastAPI, settings: Settings) -> None:
    """Add the body cap and, outside it, the security middleware (Host and Origin are checked before a body is
    read); and the token filter to uvicorn's loggers (once per process)."""
    bodylimit.install(app, settings)
    app.add_middleware(SecurityMiddleware, settings=settings)
    for name in ("uvicorn.access", "uvicorn.error"):  # uvicorn logs websocket paths on the error logger
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactToken) for f in logger.filters):
            logger.addFilter(RedactToken())


@router.get("/session")
def get_session(request: Request, settings: SettingsDep) -> dict:
    """What this browser may do: presenter (holds the token, or none is set), lecture mode, the viewer link."""
    token = presenter_token(settings)
    presenter = token is None or bool(holds_token({k.lower(): v for k, v in request.headers.items()}, token))
    viewer_url = None
    if settings.lecture:
        # The IP address and port this browser used, when it is not loopback: it crossed the network, so the
        # students' devices can use it too, whatever a container's port mapping did. Otherwise (the projector's
        # own machine, or a name that may resolve only here) the machine's LAN address and the server's port.
        given = request.headers.get("host", "")
        name = host_name(given).lower()
        if _HOST_CHARS.match(given) and _is_ip(name) and not ipaddress.ip_address(name).is_loopback:
            viewer_url = f"http://{given}/follow"
        else:
            host = (lan_addresses() or ["127.0.0.1"])[0]
            viewer_url = f"http://{host}:{settings.port}/follow"
    return {"presenter": presenter, "lecture": settings.lecture, "viewer_url": viewer_url}
