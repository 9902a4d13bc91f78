"""The wheel ships templates/ and static/: build it, install it into a fresh venv, serve / and the Plotly asset."""

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import httpx
import pytest

from tests.support.live import wait_until
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("gradcast-*.whl")
    return found


def test_wheel_contains_assets(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "app/templates/base.html" in names
    assert "app/static/favicon.svg" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "gradcast = gradcast.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "gradcast/__init__.py" in names and "gradcast/protocol.py" in names


def test_installed_wheel_serves_page_and_plotly(wheel, tmp_path):
    """A fresh venv gets only the wheel; its dependencies come from this interpreter's site-packages."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Dependencies after the wheel's own site-packages; the source tree is nowhere on the path.
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    where = subprocess.check_output(
        [py, "-c", "import app.paths as p; print(p.STATIC_DIR)"], cwd=tmp_path, text=True
    ).strip()
    assert where.startswith(str(site)), where

    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADCAST_") and k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [py, "-m", "app", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path,
        env={**clean, "GRADCAST_RECORD": "false"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"

        def answered() -> httpx.Response | None:
            assert proc.poll() is None, proc.stdout.read().decode()  # it stopped: say why, at once
            try:
                return httpx.get(base + "/", timeout=2)
            except httpx.HTTPError:
                return None

        page = wait_until(answered, timeout=60, interval=0.3)
        assert page.status_code == 200 and "GradCast" in page.text
        # The chart pages load Plotly from the app itself.
        sweep = httpx.get(base + "/sweep", timeout=5)
        assert sweep.status_code == 200 and "/static/vendor/plotly.min.js" in sweep.text
        plotly_js = httpx.get(base + "/static/vendor/plotly.min.js", timeout=10)
        assert plotly_js.status_code == 200 and len(plotly_js.content) > 1_000_000
        assert httpx.get(base + "/static/favicon.svg", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
