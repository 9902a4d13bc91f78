"""GET /api/sweep: gradient at the first layer against depth, per activation (computed in a thread, cached)."""

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from app.ml.inits import INITS
from app.ml.sweep import RECOMMENDED
from app.settings import Settings
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


CHEAP = cost(
    *DEFAULT
)  # a lecture viewer may start a sweep up to this (the page's default); the largest is ~850x
CHEAP_TIME = cost(
    100, 3, 32
)  # the same for the sequence-length sweep: the /sweep page's own (max_len, seeds, width)


class SweepCache:
    """Results by their parameters, at most `size` of them; one computation at a time (they are CPU-bound).
    Created in the app's lifespan: one for depth sweeps, one for sequence-length sweeps."""

    def __init__(self, size: int = CACHED_SWEEPS) -> None:
        self.size = size
        self.results: OrderedDict[tuple, dict] = OrderedDict()
        self.lock = asyncio.Lock()

    def cached(self, key: tuple) -> bool:
        return key in self.results

    async def get(self, key: tuple, compute: Callable[[], dict]) -> dict:
        """The result for key, computed in a worker thread the first time; the oldest unused one goes first."""
        async with self.lock:
            if key not in self.results:
                self.results[key] = await asyncio.to_thread(compute)
                while len(self.results) > self.size:
                    self.results.popitem(last=False)
            self.results.move_to_end(key)
            return self.results[key]


async def _swept(
    request: Request,
    settings: Settings,
    cache: SweepCache,
    key: tuple,
    compute: Callable[[], dict],
    cost_: int,
    cheap: int = CHEAP,
) -> dict:
    """The sweep of `key`, from the cache or computed once. In lecture mode a viewer gets a cached sweep or a
    cheap one (at most the page default's cost), 403 otherwise; the presenter (or anyone when no token is set)
    may start any."""
    token = presenter_token(settings)
    if token is not None and not cache.cached(key) and cost_ > cheap:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not holds_token(headers, token):
            raise HTTPException(
                403,
                detail=f"only the presenter starts a sweep this large ({', '.join(map(str, key))}); viewers get "
                "the ones already computed or one no costlier than the page's default",
            )
    return await cache.get(key, compute)


@router.get("/sweep/time")
async def get_length_sweep(
    request: Request,
    settings: SettingsDep,
    max_len: Annotated[int, Query(ge=10, le=400, description="Longest sequence measured.")] = 100,
    seeds: Annotated[int, Query(ge=1, le=10, description="Initialisations averaged per length.")] = 3,
    width: Annotated[int, Query(ge=2, le=256, description="Recurrent state size.")] = 32,
) -> dict:
    """{"lengths": [..], "series": [{"architecture", "ratio": [..]}]}: ||dL/dh_1|| / ||dL/dh_T|| at initialisation.
    Lecture viewers get cached or cheap ones only, as for the depth sweep."""
    from app.ml.sweep_time import RECURRENT, length_sweep

    # a sequence of length T through one recurrent layer costs about T layers of width^2: as a depth sweep
    return await _swept(
        request,
        settings,
        request.app.state.length_sweep_cache,
        (max_len, seeds, width),
        lambda: length_sweep(list(RECURRENT), max_len=max_len, seeds=seeds, width=width),
        cost(max_len, seeds, width),
        CHEAP_TIME,
    )


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
    from app.ml.activations import ACTIVATIONS
    from app.ml.sweep import depth_sweep

    return await _swept(
        request,
        settings,
        request.app.state.sweep_cache,
        (max_depth, seeds, width, init),
        lambda: depth_sweep(list(ACTIVATIONS), max_depth=max_depth, seeds=seeds, width=width, init=init),
        cost(max_depth, seeds, width),
    )
