"""The stage of lecture mode: `GET /api/stage`, `POST /api/stage` (the presenter's page) and `/ws/stage`.

The presenter's page publishes where it is and the view state that matters to the room; every follower's
socket gets the current stage first, then each new one. The token check on POST is the security middleware's
(a mutating /api route); the websocket's Host and Origin are checked there too.
"""

import asyncio
import contextlib
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.websockets import WebSocketDisconnect

from app.i18n import LANGS
from app.live.messages import PONG
from app.live.stage import Follower, Stage
from app.web import duplex
from app.web.deps import WsManagerDep, WsSettingsDep

router = APIRouter(tags=["stage"])

MAX_PATH = 2048  # characters: a page's pathname and query
MAX_STATE = 4096  # bytes of JSON: a handful of small view fields, never data
DEVICE_PARAMS = frozenset({"lang", "projector", "view", "token"})  # each device's own, never the room's


def _stage(request: Request) -> Stage:
    return request.app.state.stage


def _ws_stage(websocket: WebSocket) -> Stage:
    return websocket.app.state.stage


StageDep = Annotated[Stage, Depends(_stage)]
WsStageDep = Annotated[Stage, Depends(_ws_stage)]


def room_path(path: str) -> str:
    """pathname + search without the device's own parameters: '/runs/a?lang=ko&view=1' -> '/runs/a'."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in DEVICE_PARAMS]
    return parts.path + ("?" + urlencode(query) if query else "")


class StagePublish(BaseModel):
    """What the presenter's page shows now."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(
        max_length=MAX_PATH,
        description="The page's pathname + search on this server, e.g. '/runs/ID' or '/sweep?max_depth=20'.",
    )
    state: dict[str, Any] = Field(
        default_factory=dict, description="Small view state for the room (at most 4096 bytes of JSON)."
    )

    @field_validator("path")
    @classmethod
    def _local(cls, path: str) -> str:
        # Followers navigate to it: a path on this server only, never '//elsewhere' or a scheme.
        if not path.startswith("/") or path.startswith(("//", "/\\")) or any(c in path for c in "\r\n#"):
            raise ValueError(f"path must be a path on this server starting with one '/', got {path[:80]!r}")
        return room_path(path)

    @field_validator("state")
    @classmethod
    def _small(cls, state: dict[str, Any]) -> dict[str, Any]:
        size = len(orjson.dumps(state))
        if size > MAX_STATE:
            raise ValueError(f"state must be at most {MAX_STATE} bytes of JSON, got {size}")
        return state


@router.get("/api/stage")
def get_stage(stage: StageDep) -> dict:
    """The current stage: {"seq", "path", "state"} (seq 0 until the presenter's page publishes)."""
    return stage.to_dict()


@router.post("/api/stage")
def publish_stage(body: StagePublish, stage: StageDep, request: Request) -> dict:
    """Replace the stage (presenter token required): every follower gets it within a second."""
    origin = request.headers.get("origin")
    if (
        origin is not None
        and origin != "null"
        and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()
    ):
        raise HTTPException(403, f"cross-site Origin refused: {origin!r}")
    return stage.publish(body.path, body.state)


@router.websocket("/ws/stage")
async def follow_stage(
    websocket: WebSocket, stage: WsStageDep, manager: WsManagerDep, settings: WsSettingsDep
) -> None:
    """The current stage first, then every new one (a follower that reads slowly gets only the newest)."""
    await websocket.accept()
    if manager.closing:
        await websocket.close(1001, "server shutting down")
        return
    if len(stage.followers) >= settings.max_viewers:
        await websocket.close(1013, f"follower limit reached (max_viewers={settings.max_viewers})")
        return
    follower = stage.follow()

    async def pong() -> None:
        with contextlib.suppress(Exception):
            await websocket.send_text(PONG)

    try:
        await duplex.run_pair(websocket, asyncio.create_task(_send_loop(websocket, follower)), pong)
    finally:
        stage.leave(follower)


async def _send_loop(websocket: WebSocket, follower: Follower) -> None:
    while True:
        text = await follower.next()
        if text is None:
            await duplex.close(websocket, 1001, "server shutting down")
            return
        try:
            await websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return


@router.get("/follow", include_in_schema=False)
def get_follow(stage: StageDep, lang: str | None = None) -> RedirectResponse:
    """The one viewer link of a lecture: straight to what the room sees now, read-only, following from there."""
    target = urlsplit(stage.path)
    query = parse_qsl(target.query, keep_blank_values=True) + [("view", "1")]
    if lang in LANGS:
        query.append(("lang", lang))
    return RedirectResponse(
        f"{target.path}?{urlencode(query)}", status_code=303, headers={"Cache-Control": "no-store"}
    )
