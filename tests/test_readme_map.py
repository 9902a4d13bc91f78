"""README's "Where things are": every folder and file it names exists where it says."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rows() -> list[tuple[list[str], list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) < 4 or not cells[1].strip().startswith("`"):
            continue
        places = re.findall(r"`([^`]+)`", cells[1])
        names = [n for n in re.findall(r"`([^`]+)`", cells[2]) if "*" not in n and re.search(r"\.\w+$|/$", n)]
        rows.append((places, names))
    return rows


def test_the_map_names_only_what_exists():
    rows = _rows()
    assert len(rows) >= 8
    missing = []
    for places, names in rows:
        for place in places:
            if not (ROOT / place).exists():
                missing.append(place)
        dirs = [ROOT / p for p in places if (ROOT / p).is_dir()]
        for name in names:
            stem = name.rstrip("/")
            found = any((d / stem).exists() or any(d.rglob(stem)) for d in dirs)
            if not found:
                missing.append(f"{name} (under {', '.join(places)})")
    assert missing == [], missing


def test_every_package_of_app_is_on_the_map():
    listed = {p.rstrip("/") for places, _ in _rows() for p in places}
    packages = {f"app/{p.name}" for p in (ROOT / "app").iterdir() if (p / "__init__.py").exists()}
    assert packages - listed == set()
