"""Wiring only: create the app, its shared objects (in the lifespan), middleware and routers."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app import __version__
from app.lessons.service import LessonService
from app.live import priority
from app.live.manager import RunManager
from app.live.stage import Stage
from app.settings import Settings
from app.store.service import RecordingService
from app.web import (
    assets,
    errors,
    groups,
    health,
    ingest,
    pages,
    presets,
    recordings,
    replays,
    runs,
    security,
    stage,
    sweep,
    ws,
)
from app.web import lessons as lesson_routes
from app.web.registry import router as registry_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """A fresh app with its own run manager; every TestClient or server gets new shared objects."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        recordings = RecordingService(
            settings.data_dir, settings.record
        )  # never raises: .error says why it is off
        manager = RunManager(settings)
        manager.recorder = recordings.recorder
        app.state.recordings = recordings
        app.state.manager = manager
        app.state.lessons = LessonService(settings.data_dir, manager, recordings)
        app.state.sweep_cache = sweep.SweepCache()  # bounded; one per app
        app.state.length_sweep_cache = sweep.SweepCache()
        app.state.stage = Stage()  # what the presenter shows the room (lecture mode)
        await manager.start()
        restore_priority = priority.lower_session_priority(settings.session_nice)
        try:
            yield
        finally:
            restore_priority()
            app.state.lessons.close()
            app.state.stage.close_all()
            await manager.aclose()  # stops runs and closes sockets with 1001 (going away)
            await asyncio.to_thread(recordings.close)  # writes what is queued (bounded), stops the writer

    # /docs with Swagger UI served from an installed package: no CDN, works offline. (ReDoc is off: its page
    # fetches a logo from its vendor's CDN.)
    app = FastAPIOffline(
        redoc_url=None,
        static_url="/static/docs-vendor",
        favicon_url="/static/favicon.svg",
        title="GradCast",
        version=__version__,
        description="Live per-layer gradients of real PyTorch training. Protocol: docs/protocol.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    security.install(app, settings)
    errors.install(app)
    # replays before recordings: /api/records/replays is not a recorded run's id
    for module in (
        health,
        assets,
        pages,
        runs,
        groups,
        presets,
        sweep,
        security,
        ws,
        stage,
        ingest,
        replays,
        recordings,
    ):
        app.include_router(module.router)
    app.include_router(lesson_routes.router)
    app.include_router(lesson_routes.pages)
    app.include_router(registry_router)
    return app
