"""GET /api/sweep: gradient at the first layer against depth, per activation (computed in a thread, cached)."""

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from app.ml.inits import INITS
from app.ml.sweep import RECOMMENDED

# "recommended" (each activation's own) or one init key for every activation: the allowed values, 422 otherwise.
SweepInit = Literal[(RECOMMENDED, *INITS)]  # type: ignore[valid-type]

router = APIRouter(prefix="/api", tags=["sweep"])


class SweepCache:
    """Results by their parameters; one computation at a time (they are CPU-bound)."""

    def __init__(self) -> None:
        self.results: dict[tuple, dict] = {}
        self.lock = asyncio.Lock()

    async def get(self, max_depth: int, seeds: int, width: int, init: str = "default") -> dict:
        key = (max_depth, seeds, width, init)
        async with self.lock:
            if key not in self.results:
                from app.ml.activations import ACTIVATIONS
                from app.ml.sweep import depth_sweep

                self.results[key] = await asyncio.to_thread(
                    depth_sweep, list(ACTIVATIONS), max_depth=max_depth, seeds=seeds, width=width, init=init
                )
            return self.results[key]


@router.get("/sweep")
async def get_sweep(
    request: Request,
    max_depth: Annotated[int, Query(ge=1, le=60, description="Deepest network measured.")] = 30,
    seeds: Annotated[int, Query(ge=1, le=10, description="Initialisations averaged per depth.")] = 3,
    width: Annotated[int, Query(ge=2, le=256, description="Units per hidden layer.")] = 32,
    init: Annotated[
        SweepInit,
        Query(
            description="'recommended': each activation's own init (Kaiming for ReLU); else one init for all."
        ),
    ] = "default",
) -> dict:
    """{"depths", "init", "series": [{"activation", "init", "grad", "ratio", "bound"}]} at initialisation."""
    cache = getattr(request.app.state, "sweep_cache", None)
    if cache is None:
        cache = request.app.state.sweep_cache = SweepCache()
    return await cache.get(max_depth, seeds, width, init)
