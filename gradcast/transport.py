"""JSON over HTTP with the standard library only (http.client): the client needs nothing beyond torch."""

import http.client
import json
from collections.abc import Mapping
from urllib.parse import urlsplit

try:  # ~15x faster than json.dumps: less time holding the GIL the training loop needs. Optional.
    import orjson

    def _encode(body: Mapping[str, object]) -> bytes:
        return orjson.dumps(dict(body))  # the wire layer made every float finite (else this writes null)

except ImportError:  # pragma: no cover - the standard library is enough

    def _encode(body: Mapping[str, object]) -> bytes:
        return json.dumps(dict(body), allow_nan=False, separators=(",", ":")).encode()


USER_AGENT = "gradcast-client"


class TransportError(OSError):
    """The dashboard could not be reached or did not answer in time."""


class JsonTransport:
    """One keep-alive connection to the dashboard; used from one thread only (the sender's)."""

    def __init__(self, url: str, token: str | None, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must look like http://HOST:PORT, got {url!r}")
        self.url = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")  # a dashboard behind a reverse proxy at /some/path
        self._timeout = (
            timeout  # seconds per request: a slow dashboard costs the sender thread, never training
        )
        self._headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: Mapping[str, object] | None = None) -> tuple[int, object]:
        """(status, decoded JSON answer or None). Raises TransportError when nothing usable came back."""
        data = _encode(body if body is not None else {})
        try:
            conn = self._connect()
            conn.request("POST", self._prefix + path, body=data, headers=self._headers)
            resp = conn.getresponse()
            raw = resp.read()  # read it all so the connection can be reused
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if resp.will_close:
            self.close()
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = raw[:200].decode(errors="replace")
        return resp.status, answer

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
