"""Where the packaged assets live: inside the wheel (app/static) or at the repository's top level."""

from pathlib import Path

import plotly

_PKG = Path(__file__).resolve().parent


def _asset_dir(name: str) -> Path:
    """The wheel ships app/<name>; a source checkout keeps <name>/ beside app/."""
    inside = _PKG / name
    return inside if inside.is_dir() else _PKG.parent / name


STATIC_DIR = _asset_dir("static")
TEMPLATES_DIR = _asset_dir("templates")
# plotly.min.js bundled inside the installed plotly package: served by the app, never from a CDN.
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
