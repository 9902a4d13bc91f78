"""Routes: recorded runs - list, read, rename, pin, delete, export (CSV, JSON, HTML report), import. Replays:
app/web/replays.py."""

import asyncio
import itertools
import math
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Annotated, Literal, TypeVar

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from app.bounds import Name
from app.live import messages
from app.live.state import ACTIVE
from app.ml.points import recorded_points
from app.store import report
from app.store.export_csv import iter_csv
from app.store.export_json import iter_json
from app.store.runstore import RunStore
from app.store.schema import LIVE_STATUSES, DamagedRecord
from app.web import imports, reportcsp
from app.web.deps import ManagerDep, SettingsDep
from app.web.storedeps import ServiceDep, StoreDep, StoreRoute, recorded_run, run_ids, store_of

router = APIRouter(prefix="/api/records", tags=["records"], route_class=StoreRoute)

MAX_COMPARED = 8  # runs in one comparison report: more lines than this stop being readable


class RecordPatch(BaseModel):
    """PATCH body: rename and/or pin for a lecture."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    pinned: bool | None = None


def _filename(run: dict, rid: str, ext: str, disposition: str = "attachment") -> dict:
    """Content-Disposition with a safe file name made of the run's name and id."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{run['name']}-{rid}").strip("-")[:100] or "run"
    return {"Content-Disposition": f'{disposition}; filename="gradcast-{slug}.{ext}"'}


def _newest_boundary_only(steps: list[dict]) -> list[dict]:
    """As a live run's history: only the newest decision boundary (~6 KB each); export.json keeps them all."""
    last = None
    for s in steps:
        if "boundary" in s:
            if last is not None:
                del last["boundary"]
            last = s
    return steps


@router.get("/status")
def get_status(service: ServiceDep) -> dict:
    """Whether recording works: {"ok", "error", "path", "pending", "written", "dropped"}."""
    return service.status()


@router.get("")
def list_records(service: ServiceDep, q: Annotated[str | None, Query(max_length=100)] = None) -> list[dict]:
    """Past runs, pinned first then newest: id, name, preset, status, steps, date, pinned (empty if recording is off)."""
    if service.store is None:
        return []
    return service.store.list_runs(q)


@router.get("/report.html", response_class=HTMLResponse)
def get_comparison_report(store: StoreDep, ids: Annotated[str, Query(min_length=1)]) -> HTMLResponse:
    """One offline HTML page comparing the runs ?ids=a,b,c."""
    wanted = run_ids(ids, 1, MAX_COMPARED)
    runs = [(rid, recorded_run(store, rid)) for rid in wanted]
    return _report(
        report.render(store, runs), _filename({"name": "comparison"}, "-".join(wanted)[:80], "html", "inline")
    )


_EXPORT_BODY = {"description": "an export.json (docs/recording.md)", "type": "object"}


@router.post(
    "/import",
    status_code=201,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _EXPORT_BODY}}}
    },
)
async def import_record(request: Request, settings: SettingsDep) -> dict:
    """A JSON export (GET /api/records/{id}/export.json) back in as a new recorded run (external: true). 422
    names the offending field and stores nothing. Capped at max_import_bytes and max_import_steps; parsed and
    written in a worker thread."""
    store = store_of(request)
    body = await request.body()  # BodyLimitMiddleware stops reading past max_import_bytes (413)
    rid = await asyncio.to_thread(imports.import_run, store, body, settings.max_import_steps)
    return await asyncio.to_thread(recorded_run, store, rid)


def _maybe_gzip(request: Request, chunks: Iterator, media_type: str, headers: dict) -> StreamingResponse:
    """The export as it is, or gzip-compressed when the client accepts it (Accept-Encoding: gzip)."""
    headers = {**headers, "Vary": "Accept-Encoding"}
    if "gzip" not in request.headers.get("accept-encoding", "").lower():
        return StreamingResponse(chunks, media_type=media_type, headers=headers)

    def gzipped() -> Iterator[bytes]:
        z = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip container
        for chunk in chunks:
            out = z.compress(chunk.encode() if isinstance(chunk, str) else chunk)
            if out:
                yield out
        yield z.flush()

    return StreamingResponse(
        gzipped(), media_type=media_type, headers={**headers, "Content-Encoding": "gzip"}
    )


@router.get("/{rid}")
def get_record(
    store: StoreDep,
    settings: SettingsDep,
    rid: str,
    history: Literal["records", "columns", "none"] = "records",
) -> Response:
    """The run (config, layer_names, events, ..) with its recorded history as step records or columns. Like a
    live run's: at most history_points steps (evenly thinned beyond, "thinned": k), the newest boundary only, and
    the dataset points under it; export.json has everything."""
    run = recorded_run(store, rid)
    run["events"] = store.events(rid)
    run["points"] = recorded_points(run)
    stride = max(1, math.ceil(run["steps"] / settings.history_points))
    if stride > 1:
        run["thinned"] = stride
    recs = store.history(rid, run["layer_names"], stride)
    if history == "records":
        run["history"] = _newest_boundary_only([messages.step_dict(r) for r in recs])
        newest = store.last_boundary(rid) if stride > 1 else None
        if newest is not None and run["history"]:
            run["history"][-1]["boundary"] = newest[1]  # the current boundary rides on the newest record
    elif history == "columns":
        run["history"] = messages.columns(messages.step_dict(r) for r in recs)
    return Response(orjson.dumps(run), media_type="application/json")  # no jsonable_encoder: long histories


@router.patch("/{rid}")
def patch_record(store: StoreDep, rid: str, body: RecordPatch) -> dict:
    """Rename and/or pin (pinned runs list first: ready for the lecture)."""
    recorded_run(store, rid)
    patched = store.patch(rid, name=body.name, pinned=body.pinned)
    if patched is None:  # deleted in between
        raise HTTPException(404, detail=f"no recorded run {rid!r}")
    return patched


@router.delete("/{rid}", status_code=204)
def delete_record(store: StoreDep, rid: str, manager: ManagerDep) -> Response:
    """Delete a recorded run for good. 409 while its live run is still going (stop it first)."""
    status = store.status_of(rid)  # not the whole record: a damaged one can be deleted too
    if status is None:
        raise HTTPException(404, detail=f"no recorded run {rid!r}")
    live = manager.runs.get(rid)
    if status in LIVE_STATUSES and live is not None and live.status in ACTIVE:
        raise HTTPException(
            409, detail=f"run {rid!r} is still {live.status.value}: stop it before deleting its record"
        )
    store.delete(rid)
    return Response(status_code=204)


@router.get("/{rid}/export.csv")
def export_csv(request: Request, store: StoreDep, rid: str) -> StreamingResponse:
    """One row per step: step, t, loss, accuracies, metric.layer columns (float32; empty where not measured),
    grad_hist.layer columns; gzip when accepted."""
    return _export(request, store, rid, iter_csv, "text/csv", "csv")


@router.get("/{rid}/export.json")
def export_json(request: Request, store: StoreDep, rid: str) -> StreamingResponse:
    """The run and every recorded number in columns (docs/recording.md#the-json-export); POST it to
    /api/records/import to load it back; gzip when accepted."""
    return _export(request, store, rid, iter_json, "application/json", "json")


Piece = TypeVar("Piece", str, bytes)  # an export streams text (CSV) or bytes (JSON, gzip)


def _export(
    request: Request,
    store: RunStore,
    rid: str,
    pieces: Callable[[RunStore, str, dict], Iterator[Piece]],
    media_type: str,
    ext: str,
) -> StreamingResponse:
    """An export of the recorded run `rid` as a download, checked before its first byte, gzip when accepted."""
    run = recorded_run(store, rid)
    return _maybe_gzip(
        request, _checked(store, rid, run, pieces(store, rid, run)), media_type, _filename(run, rid, ext)
    )


def _checked(store: RunStore, rid: str, run: dict, pieces: Iterator[Piece]) -> Iterator[Piece]:
    """The export's pieces once every step has been read and the first piece made: a damaged record fails
    here with 409 naming it, before the first byte, instead of cutting the download short."""
    store.verify(rid, run["layer_names"])
    try:
        first = next(pieces)
    except StopIteration:
        return iter(())
    except (ValueError, TypeError) as exc:
        raise DamagedRecord(rid, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    return itertools.chain([first], pieces)


@router.get("/{rid}/report.html", response_class=HTMLResponse)
def get_report(store: StoreDep, rid: str) -> HTMLResponse:
    """A single-file HTML report of the run: Plotly inlined, opens offline."""
    run = recorded_run(store, rid)
    return _report(report.render(store, [(rid, run)]), _filename(run, rid, "html", "inline"))


def _report(html: str, headers: dict) -> HTMLResponse:
    """A report with its own CSP (its inline scripts by hash): it draws here as it does from disk."""
    return HTMLResponse(html, headers={**headers, "Content-Security-Policy": reportcsp.report_csp(html)})
