"""`pip install gradcast` is the client alone: beside torch it installs nothing, imports no server dependency, and
streams a run to a real dashboard from a project that has its own `app/` package."""

import importlib.metadata as md
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.support.runs import finished_run
from tests.support.server import live_server
from tests.test_packaging import wheel  # noqa: F401  (the module-scoped fixture that builds the wheel)

pytestmark = pytest.mark.slow


def torch_only_site(target: Path) -> Path:
    """A folder of links to torch and what torch requires (no extras), from this interpreter's installation.

    Installing torch into the fresh venv would copy ~1 GB per run; linking it gives the venv exactly torch's own
    closure and nothing of the server's (fastapi, pydantic, uvicorn... stay invisible to it)."""
    target.mkdir()
    todo, done = ["torch"], set()
    while todo:
        name = todo.pop()
        dist = md.distribution(name)
        key = dist.metadata["Name"].lower()
        if key in done:
            continue
        done.add(key)
        for entry in {f.parts[0] for f in dist.files or () if f.parts and f.parts[0] != ".."}:
            link = target / entry
            if not link.exists():
                link.symlink_to(Path(dist.locate_file(entry)))
        for text in dist.requires or ():
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return target


@pytest.fixture(scope="module")
def client_venv(wheel, tmp_path_factory) -> Path:  # noqa: F811
    """A fresh venv (no system site-packages) with torch linked in and the wheel installed WITH its dependencies,
    offline: pip must find every requirement already there, so the wheel can require nothing but torch."""
    root = tmp_path_factory.mktemp("client")
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=False, system_site_packages=False)
    py = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "torch_only.pth").write_text(str(torch_only_site(root / "torch-only")) + "\n")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--no-index",
            "--no-cache-dir",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return py


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GRADCAST_") and k != "PYTHONPATH"}


def test_the_client_installs_and_imports_without_the_servers_dependencies(client_venv, tmp_path):
    code = textwrap.dedent(
        """
        import importlib.util, sys
        from gradcast import watch, protocol
        missing = [m for m in ("fastapi", "uvicorn", "pydantic", "plotly", "sklearn", "orjson", "starlette")
                   if importlib.util.find_spec(m) is not None]
        print("installed-server-deps:", missing)
        print("loaded-app:", "app" in sys.modules)
        """
    )
    out = subprocess.run(
        [client_venv, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_clean_env()
    )
    assert out.returncode == 0, out.stderr
    assert "installed-server-deps: []" in out.stdout and "loaded-app: False" in out.stdout
    # The server command says what it lacks instead of a traceback.
    cli = subprocess.run(
        [client_venv.parent / "gradcast", "serve"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(),
    )
    assert cli.returncode == 2 and "pip install 'gradcast[server]'" in cli.stderr


def test_a_project_with_its_own_app_package_streams_to_a_real_dashboard(client_venv, tmp_path):
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "__init__.py").write_text('"""The user\'s own package, named like ours."""\n')
    (project / "app" / "model.py").write_text(
        "import torch\n\n\ndef build():\n    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), "
        "torch.nn.Linear(8, 2))\n"
    )
    (project / "train.py").write_text(
        textwrap.dedent(
            """
            import sys
            import torch
            from app.model import build          # the project's own app/
            from gradcast import watch

            torch.manual_seed(0)
            model = build()
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
            with watch(model, url=sys.argv[1], name="own-app-project") as run:
                for _ in range(25):
                    loss = torch.nn.functional.cross_entropy(model(x), y)
                    loss.backward()
                    run.step(loss=loss, accuracy=(model(x).argmax(1) == y).float().mean())
                    opt.step()
                    opt.zero_grad()
            print(f"sent={run.sent} dropped={run.dropped}")
            """
        )
    )
    with live_server(tmp_path / "srv") as srv:
        out = subprocess.run(
            [client_venv, "train.py", srv.url],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=project,
            env=_clean_env(),
        )
        assert out.returncode == 0, out.stderr[-3000:]
        assert "sent=25 dropped=0" in out.stdout
        run = finished_run(srv, "own-app-project", seconds=10)
        assert run["status"] == "finished"
    assert run["external"] is True and run["layer_names"] == ["0", "2"]
    assert [s["step"] for s in run["history"]] == list(range(1, 26))
    assert all(0.0 <= s["metrics"]["accuracy"] <= 1.0 for s in run["history"])
