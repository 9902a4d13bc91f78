"""HTML pages (skeleton: the dashboard work fills it in)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__
from app.paths import TEMPLATES_DIR

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)


@router.get("/", response_class=HTMLResponse)
def get_home(request: Request) -> HTMLResponse:
    """The home page."""
    return templates.TemplateResponse(request, "home.html", {"version": __version__})
