"""Static files and the Plotly bundle from the installed plotly package (no CDN, works offline)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount

from app.paths import PLOTLY_JS, STATIC_DIR

router = APIRouter(include_in_schema=False)

# Long cache: the bundle only changes with the installed plotly version.
_CACHE = {"Cache-Control": "public, max-age=86400"}


@router.get("/static/vendor/plotly.min.js")
def get_plotly() -> FileResponse:
    """plotly.min.js exactly as the plotly package ships it."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=_CACHE)


@router.get("/favicon.ico")
def get_favicon() -> FileResponse:
    """Browsers ask for it even when the page names an SVG icon; a 404 would be a console error."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml", headers=_CACHE)


# Mounted after the routes above so /static/vendor/plotly.min.js is served from the package.
router.routes.append(Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"))
