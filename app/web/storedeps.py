"""How /api/records routes reach the store (or 503 with the reason), a recorded run (or 404) and ?ids=a,b,c."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.store.runstore import RunStore
from app.store.schema import DamagedRecord, StoreError
from app.store.service import RecordingService


class StoreRoute(APIRoute):
    """A route whose StoreError (the database became unusable) answers 503 with the reason, not 500; a record
    that cannot be read answers 409 naming it ({"detail", "damaged": id}): it can still be deleted."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except StoreError as exc:
                return JSONResponse({"detail": str(exc)}, status_code=503)
            except DamagedRecord as exc:
                return JSONResponse({"detail": str(exc), "damaged": exc.rid}, status_code=409)

        return guarded


def _service(request: Request) -> RecordingService:
    return request.app.state.recordings


def store_of(request: Request) -> RunStore:
    """The store, or 503 with the reason recording is unavailable."""
    service = _service(request)
    if service.store is None:
        raise HTTPException(503, detail=service.error)
    return service.store


ServiceDep = Annotated[RecordingService, Depends(_service)]
StoreDep = Annotated[RunStore, Depends(store_of)]


def run_ids(ids: str, least: int, most: int) -> list[str]:
    """The recorded runs' ids of ?ids=a,b,c; 422 on the ids field unless there are least..most of them, none
    repeated."""
    wanted = [i for i in (s.strip() for s in ids.split(",")) if i]
    msg = None
    if not least <= len(wanted) <= most:
        msg = f"give {least} to {most} run ids, got {len(wanted)}"
    elif len(set(wanted)) < len(wanted):
        msg = f"run ids repeat: {', '.join(sorted({i for i in wanted if wanted.count(i) > 1}))}"
    if msg is not None:
        raise HTTPException(422, detail=[{"loc": ["query", "ids"], "msg": msg, "type": "value_error"}])
    return wanted


def recorded_run(store: RunStore, rid: str) -> dict:
    """The recorded run `rid`, or 404."""
    run = store.get(rid)
    if run is None:
        raise HTTPException(404, detail=f"no recorded run {rid!r}")
    return run
