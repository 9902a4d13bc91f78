"""Fan-out on a real server process: 100 viewers keep the full frame rate while one that never reads is evicted."""

import asyncio
import re
import socket
import threading
import time

import httpx
import pytest
import websockets

from tests.support.server import server_process

VIEWERS = 100
WATCH = 8.0  # s of streaming measured
WARMUP = 2.0  # s before counting (connections settle, the stalled viewer fills its buffers)
SEQ = re.compile(r'^\{"seq":(\d+),')


def _stalled_viewer(port: int, rid: str) -> socket.socket:
    """A raw websocket client with a tiny receive buffer that completes the handshake and never reads again."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(
        (
            f"GET /ws/runs/{rid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert s.recv(12) == b"HTTP/1.1 101"
    return s


async def _watch(url: str, api: str, rid: str) -> tuple[list[list[tuple[float, int]]], int]:
    """Per viewer (receive time, seq) of every message after the warm-up; and the run's viewer count at the end."""
    got: list[list[tuple[float, int]]] = [[] for _ in range(VIEWERS)]
    start = time.monotonic()

    async def viewer(i: int, ws) -> None:
        while time.monotonic() - start < WATCH:
            text = await asyncio.wait_for(ws.recv(), 5)
            now = time.monotonic()
            if now - start > WARMUP:
                got[i].append((now, int(SEQ.match(text).group(1))))

    conns = [await websockets.connect(url, max_size=None, compression=None) for _ in range(VIEWERS)]
    try:
        await asyncio.gather(*(viewer(i, ws) for i, ws in enumerate(conns)))
        async with httpx.AsyncClient() as c:
            viewers = (await c.get(f"{api}/api/runs/{rid}", params={"history": "none"})).json()["viewers"]
    finally:
        await asyncio.gather(*(ws.close() for ws in conns))
    return got, viewers


@pytest.mark.slow
def test_hundred_viewers_keep_their_rate_and_a_stalled_one_is_evicted(tmp_path):
    with server_process(tmp_path, env={"GRADCAST_SEND_TIMEOUT": "1"}) as srv, srv.client() as c:
        # depth 6 x 32 on the spiral: ~7 kB frames (boundary grid included) at up to 30 frames/s.
        config = {"depth": 6, "width": 32, "steps_per_second": 30, "max_steps": 100_000}
        rid = c.post("/api/runs", json=config).json()["id"]
        port = int(srv.url.rsplit(":", 1)[1])
        stalled = _stalled_viewer(port, rid)
        rss: list[float] = []
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.5):
                rss.append(srv.rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            got, viewers_at_end = asyncio.run(_watch(f"{srv.ws_url}/ws/runs/{rid}", srv.url, rid))
        finally:
            sampling.set()
            sampler.join(2)
            stalled.close()

    assert viewers_at_end == VIEWERS  # the stalled one is gone, every healthy one still there
    published = max(s for g in got for _, s in g) - min(s for g in got for _, s in g) + 1
    span = WATCH - WARMUP
    assert published / span > 10, f"the run framed only {published / span:.1f} msg/s"
    rates = sorted(len(g) / published for g in got)
    # Every healthy viewer kept (nearly) the server's rate: the stalled one did not hold anyone back.
    assert rates[0] >= 0.9, f"slowest viewers got {rates[:5]} of the frames"
    for g in got:
        seqs = [s for _, s in g]
        assert seqs == sorted(set(seqs))  # in order, no duplicate
    # Memory flat: the stalled viewer's backlog is bounded (queue + socket buffers), nothing accumulates.
    assert max(rss) - rss[len(rss) // 3] < 20, rss
