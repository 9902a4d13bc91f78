"""Cheap answers stay on the event loop: no thread-pool hop for the shared objects or /healthz; warm-up at start."""

import asyncio
import inspect
import sys

from app.live import manager as manager_module
from app.live.manager import RunManager
from app.settings import Settings
from app.web import deps, health


def test_providers_and_healthz_run_on_the_loop():
    """FastAPI sends a plain-def dependency or handler to its thread pool: two GIL waits per request."""
    for provider in (deps._settings, deps._manager, deps._ws_manager, deps._ws_settings, health.get_health):
        assert inspect.iscoroutinefunction(provider), provider.__name__


def test_start_warms_the_process_up_before_the_first_request(tmp_path):
    """The first trainer's imports and the GC pass after them are paid in start(), not on a person's first run."""
    manager = RunManager(Settings(data_dir=tmp_path, record=False))

    async def start_and_stop() -> None:
        await manager.start()
        await manager.aclose()

    asyncio.run(start_and_stop())
    assert manager_module._warmed.locked()
    assert "app.ml.trainer" in sys.modules and "torch._dynamo" in sys.modules
