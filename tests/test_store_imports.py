"""The store reads and writes records and knows nothing of live runs or the web: app/store imports neither
app.live nor app.web (a replay is app/live/replay.py, fed through the Tape the store provides)."""

import ast
from pathlib import Path

import app.store

STORE_DIR = Path(app.store.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_the_store_imports_nothing_from_live_or_web():
    files = sorted(STORE_DIR.glob("*.py"))
    assert any(p.name == "tape.py" for p in files)
    bad = {
        p.name: sorted(m for m in imported_modules(p) if m.startswith(("app.live", "app.web"))) for p in files
    }
    assert {k: v for k, v in bad.items() if v} == {}
