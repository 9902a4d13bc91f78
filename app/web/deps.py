"""Shared objects reach handlers through these Annotated aliases, never as import-time singletons.

The providers are async: FastAPI runs a plain-def dependency in its thread pool, a hop to a worker thread and back
on every request (two waits for the GIL while training threads hold it), for what is one attribute read.
"""

from typing import Annotated

from fastapi import Depends, Request, WebSocket

from app.live.manager import RunManager
from app.settings import Settings


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _manager(request: Request) -> RunManager:
    return request.app.state.manager


async def _ws_manager(websocket: WebSocket) -> RunManager:
    return websocket.app.state.manager


async def _ws_settings(websocket: WebSocket) -> Settings:
    return websocket.app.state.settings


SettingsDep = Annotated[Settings, Depends(_settings)]
ManagerDep = Annotated[RunManager, Depends(_manager)]
WsManagerDep = Annotated[RunManager, Depends(_ws_manager)]
WsSettingsDep = Annotated[Settings, Depends(_ws_settings)]
