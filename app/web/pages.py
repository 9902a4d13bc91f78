"""HTML pages: home, run view, comparison view, depth sweep; and the viewer link's QR code as SVG."""

import io
from typing import Annotated
from urllib.parse import urlsplit

import segno
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from app import __version__
from app.i18n import bundle, pick_lang, translate
from app.paths import TEMPLATES_DIR
from app.web.deps import SettingsDep
from app.web.netinfo import own_host_names
from app.web.registry import registry
from app.web.security import host_name

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)

QR_MAX_URL = 300  # characters: a viewer link is short; a longer one is not ours


def _page(request: Request, template: str, page: str, **ids: object) -> HTMLResponse:
    """Render a page with its language, read-only flag and projector flag taken from the query."""
    query = request.query_params
    lang = pick_lang(query.get("lang"), request.headers.get("accept-language"))
    context = {
        "version": __version__,
        "page": page,
        "lang": lang,
        "t": lambda key, **values: translate(lang, key, **values),
        "i18n": bundle(),
        "registry": registry().model_dump(),  # the registries' vocabulary (GET /api/registry's answer)
        "readonly": query.get("view") == "1",  # ?view=1: the read-only viewer link, no controls at all
        "projector": query.get("projector") == "1",
        **ids,
    }
    return templates.TemplateResponse(request, template, context)


@router.get("/", response_class=HTMLResponse)
def get_home(request: Request) -> HTMLResponse:
    """Presets gallery, the schema-driven builder form and the runs on this server."""
    return _page(request, "home.html", "home")


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def get_run_page(request: Request, run_id: str) -> HTMLResponse:
    """One run, live (an unknown id is reported on the page once the API answers 404)."""
    return _page(request, "run.html", "run", run_id=run_id)


@router.get("/groups/{group_id}", response_class=HTMLResponse)
def get_group_page(request: Request, group_id: str) -> HTMLResponse:
    """A comparison of 2-4 runs, side by side and in lockstep."""
    return _page(request, "group.html", "group", group_id=group_id)


@router.get("/sweep", response_class=HTMLResponse)
def get_sweep_page(request: Request) -> HTMLResponse:
    """First-layer gradient against depth per activation (GET /api/sweep)."""
    return _page(request, "sweep.html", "sweep")


@router.get("/qr.svg")
def get_qr(
    request: Request, settings: SettingsDep, u: Annotated[str, Query(max_length=QR_MAX_URL)]
) -> Response:
    """The QR code of a link to this very server (the viewer link); any other address is refused.

    This server's addresses: its own, the allowlist, and the one this request came by (from a container, the
    host's address that its port mapping forwards)."""
    parts = urlsplit(u)
    allowed = (
        own_host_names() | set(settings.allowed_hosts) | {host_name(request.headers.get("host", "")).lower()}
    )
    if parts.scheme not in ("http", "https") or parts.hostname not in allowed:
        raise HTTPException(
            422, f"u must be a link to this server (http(s)://one of {sorted(allowed)}/...), got {u!r}"
        )
    out = io.BytesIO()
    segno.make(u, error="m").save(
        out, kind="svg", scale=8, border=2, dark="#000", light="#fff", xmldecl=False
    )
    return Response(out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
