"""GET /api/sweep: gradient at the first layer against depth, per activation (computed in a thread, cached)."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request

router = APIRouter(prefix="/api", tags=["sweep"])


class SweepCache:
    """Results by their parameters; one computation at a time (they are CPU-bound)."""

    def __init__(self) -> None:
        self.results: dict[tuple, dict] = {}
        self.lock = asyncio.Lock()

    async def get(self, max_depth: int, seeds: int, width: int) -> dict:
        key = (max_depth, seeds, width)
        async with self.lock:
            if key not in self.results:
                from app.ml.activations import ACTIVATIONS
                from app.ml.sweep import depth_sweep

                self.results[key] = await asyncio.to_thread(
                    depth_sweep, list(ACTIVATIONS), max_depth=max_depth, seeds=seeds, width=width
                )
            return self.results[key]


class LengthSweepCache(SweepCache):
    """The sequence-length sweep's results by their parameters."""

    async def get(self, max_len: int, seeds: int, width: int) -> dict:  # type: ignore[override]
        key = (max_len, seeds, width)
        async with self.lock:
            if key not in self.results:
                from app.ml.sweep_time import RECURRENT, length_sweep

                self.results[key] = await asyncio.to_thread(
                    length_sweep, list(RECURRENT), max_len=max_len, seeds=seeds, width=width
                )
            return self.results[key]


@router.get("/sweep/time")
async def get_length_sweep(
    request: Request,
    max_len: Annotated[int, Query(ge=10, le=400, description="Longest sequence measured.")] = 100,
    seeds: Annotated[int, Query(ge=1, le=10, description="Initialisations averaged per length.")] = 3,
    width: Annotated[int, Query(ge=2, le=256, description="Recurrent state size.")] = 32,
) -> dict:
    """{"lengths": [..], "series": [{"architecture", "ratio": [..]}]}: ||dL/dh_1|| / ||dL/dh_T|| at initialisation."""
    cache = getattr(request.app.state, "length_sweep_cache", None)
    if cache is None:
        cache = request.app.state.length_sweep_cache = LengthSweepCache()
    return await cache.get(max_len, seeds, width)


@router.get("/sweep")
async def get_sweep(
    request: Request,
    max_depth: Annotated[int, Query(ge=1, le=60, description="Deepest network measured.")] = 30,
    seeds: Annotated[int, Query(ge=1, le=10, description="Initialisations averaged per depth.")] = 3,
    width: Annotated[int, Query(ge=2, le=256, description="Units per hidden layer.")] = 32,
) -> dict:
    """{"depths": [..], "series": [{"activation", "grad": [..], "bound": [..] or null}]} at initialisation."""
    cache = getattr(request.app.state, "sweep_cache", None)
    if cache is None:
        cache = request.app.state.sweep_cache = SweepCache()
    return await cache.get(max_depth, seeds, width)
