"""A socket's reader and sender as one pair: when either ends, both end (a disconnect stops the sender at once).

The sender is the caller's own task (a viewer's, which a watchdog may cancel, or a lecture follower's); the
reader notices a disconnect and answers {"type": "ping"}; anything else a client sends is ignored.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from app.live.messages import decode_client

CLOSE_TIMEOUT = 1.0  # s to send a close frame to a client that may not be reading


async def run_pair(
    websocket: WebSocket, sender: asyncio.Task, on_ping: Callable[[], Awaitable[None]]
) -> None:
    """Read the socket beside `sender` until one of them ends, then cancel the other and wait for it."""
    reader = asyncio.create_task(_read_loop(websocket, on_ping))
    _, pending = await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _read_loop(websocket: WebSocket, on_ping: Callable[[], Awaitable[None]]) -> None:
    while True:
        try:
            msg = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if msg["type"] == "websocket.disconnect":
            return
        data = decode_client(msg.get("text") or msg.get("bytes") or b"")
        if data is not None and data.get("type") == "ping":
            await on_ping()


async def close(websocket: WebSocket, code: int, reason: str) -> None:
    """Send a close frame, giving up after CLOSE_TIMEOUT (the client may not be reading, or be gone)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code, reason), CLOSE_TIMEOUT)
