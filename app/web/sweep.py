"""GET /api/sweep: gradient at the first layer against depth, per activation (computed in a thread, cached)."""

import asyncio
from collections import OrderedDict
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from app.ml.inits import INITS
from app.ml.sweep import RECOMMENDED
from app.web.deps import SettingsDep
from app.web.security import holds_token, presenter_token

# "recommended" (each activation's own) or one init key for every activation: the allowed values, 422 otherwise.
if TYPE_CHECKING:  # a checker cannot read a Literal built at run time: it sees the keys' type
    SweepInit = str
else:
    SweepInit = Literal[(RECOMMENDED, *INITS)]

router = APIRouter(prefix="/api", tags=["sweep"])

CACHED_SWEEPS = 32  # results kept (a few kB each); the least recently asked for goes first
DEFAULT = (30, 3, 32)  # max_depth, seeds, width: what the /sweep page asks for first


def cost(max_depth: int, seeds: int, width: int) -> int:
    """Relative CPU of a sweep: networks of every depth up to max_depth (~max_depth^2 layers), width^2 weights each."""
    return max_depth * max_depth * seeds * width * width


CHEAP = cost(*DEFAULT)  # a lecture viewer may start a sweep up to this (about a second); the largest is ~850x


class SweepCache:
    """Results by their parameters, at most `size` of them; one computation at a time (they are CPU-bound).
    Created in the app's lifespan."""

    def __init__(self, size: int = CACHED_SWEEPS) -> None:
        self.size = size
        self.results: OrderedDict[tuple, dict] = OrderedDict()
        self.lock = asyncio.Lock()

    def cached(self, key: tuple) -> bool:
        return key in self.results

    async def get(self, max_depth: int, seeds: int, width: int, init: str = "default") -> dict:
        key = (max_depth, seeds, width, init)
        async with self.lock:
            if key not in self.results:
                from app.ml.activations import ACTIVATIONS
                from app.ml.sweep import depth_sweep

                self.results[key] = await asyncio.to_thread(
                    depth_sweep, list(ACTIVATIONS), max_depth=max_depth, seeds=seeds, width=width, init=init
                )
                while len(self.results) > self.size:
                    self.results.popitem(last=False)
            self.results.move_to_end(key)
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
    settings: SettingsDep,
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
    """{"depths", "init", "series": [{"activation", "init", "grad", "ratio", "bound"}]} at initialisation. In
    lecture mode a viewer gets a cached sweep or a cheap one (at most the default's cost); the presenter any."""
    cache: SweepCache = request.app.state.sweep_cache
    token = presenter_token(settings)
    if (
        token is not None
        and not cache.cached((max_depth, seeds, width, init))
        and cost(max_depth, seeds, width) > CHEAP
    ):
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not holds_token(headers, token):
            raise HTTPException(
                403,
                detail=f"only the presenter starts a sweep this large (max_depth x seeds x width = {max_depth} x "
                f"{seeds} x {width}); viewers get the ones already computed or the default {DEFAULT}",
            )
    return await cache.get(max_depth, seeds, width, init)
