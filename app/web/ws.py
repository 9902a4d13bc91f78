"""WebSockets /ws/runs/{id} and /ws/groups/{id}: a snapshot (or the missed messages), then frames and status.

Each viewer has a reader task (so a disconnect is seen at once, and pings answered) and a sender task draining
its own bounded outbox; when either ends, both end. A send blocked longer than send_timeout evicts the viewer
(the manager's watchdog cancels its sender; the socket is closed with 4408).
"""

import asyncio

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from app.bounds import MAX_COUNT
from app.live.errors import NotFound
from app.live.hub import Viewer
from app.live.manager import RunManager
from app.live.messages import PONG
from app.settings import Settings
from app.web import duplex
from app.web.deps import WsManagerDep, WsSettingsDep

router = APIRouter(tags=["stream"])


@router.websocket("/ws/runs/{run_id}")
async def stream_run(
    websocket: WebSocket,
    run_id: str,
    manager: WsManagerDep,
    settings: WsSettingsDep,
    since: str | None = None,
) -> None:
    """One run's stream."""
    await _serve(websocket, manager, settings, f"run:{run_id}", since)


@router.websocket("/ws/groups/{group_id}")
async def stream_group(
    websocket: WebSocket,
    group_id: str,
    manager: WsManagerDep,
    settings: WsSettingsDep,
    since: str | None = None,
) -> None:
    """Every run of a comparison group, in one stream."""
    await _serve(websocket, manager, settings, f"group:{group_id}", since)


def _seq(since: str | None) -> int | None:
    """?since=SEQ as a number; anything else (empty, not a number, past MAX_COUNT) counts as none: the client gets
    a snapshot."""
    if not since or len(since) > 20:
        return None
    try:
        seq = int(since)
    except ValueError:
        return None
    return seq if 0 <= seq <= MAX_COUNT else None


async def _serve(
    websocket: WebSocket, manager: RunManager, settings: Settings, key: str, since: str | None
) -> None:
    await websocket.accept()
    stream = manager.hub.get(key)
    if stream is None or manager.closing:
        what, ident = key.split(":", 1)
        reason = "server shutting down" if manager.closing else f"no {what} with id {ident!r}"
        await websocket.close(1001 if manager.closing else 4404, reason)
        return
    if len(stream.viewers) >= settings.max_viewers:
        await websocket.close(
            1013, f"viewer limit reached (max_viewers={settings.max_viewers}); try again later"
        )
        return
    viewer = Viewer(settings.viewer_queue)
    try:
        stream.attach(viewer, _seq(since), lambda: manager.snapshot(key))
    except NotFound as exc:
        await websocket.close(4404, str(exc))
        return

    async def pong() -> None:
        viewer.put(PONG, droppable=False)

    try:
        viewer.task = asyncio.create_task(_send_loop(websocket, viewer))
        await duplex.run_pair(websocket, viewer.task, pong)
        if viewer.evicted:  # the manager's watchdog cancelled a send blocked past send_timeout
            timeout = settings.send_timeout
            await duplex.close(
                websocket, 4408, f"evicted: a send waited more than {timeout:g} s (client not reading)"
            )
    finally:
        stream.detach(viewer)


async def _send_loop(websocket: WebSocket, viewer: Viewer) -> None:
    """Send the viewer's outbox in order; close when asked. A send that blocks is timed by the watchdog."""
    loop = asyncio.get_running_loop()
    while True:
        text = await viewer.next()
        if text is None:
            await duplex.close(websocket, viewer.close_code or 1000, viewer.close_reason)
            return
        viewer.sending_since = loop.time()
        try:
            await websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return
        viewer.sending_since = None
