"""app/ml is the pure core: importing all of it pulls in no web framework and no asyncio of its own."""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import app.ml

ML_DIR = Path(app.ml.__file__).parent
FORBIDDEN = ("fastapi", "starlette", "uvicorn", "websockets", "asyncio", "anyio", "httpx")
# What the ML core's own dependencies load anyway (torch imports unittest.mock, which imports asyncio).
BASELINE = "import torch, numpy, pydantic, sklearn.datasets"

# One fresh interpreter: the forbidden modules loaded by the dependencies alone, then after importing app.ml.*.
PROBE = """
import importlib, json, sys
def loaded():
    return sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})
{baseline}
before = loaded()
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps([before, loaded()]))
"""


def test_importing_every_ml_module_loads_no_web_or_async_module_of_its_own():
    modules = [f"app.ml.{m.name}" for m in pkgutil.iter_modules([str(ML_DIR)])]
    assert "app.ml.trainer" in modules and "app.ml.sweep" in modules
    code = PROBE.format(forbidden=FORBIDDEN, baseline=BASELINE, modules=modules)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    before, after = (set(x) for x in json.loads(out.stdout))
    assert not {m for m in after if m.split(".")[0] in ("fastapi", "starlette", "uvicorn", "websockets")}
    assert after == before, sorted(after - before)


def test_no_ml_source_file_imports_a_web_or_async_module():
    for path in ML_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
                assert not name.startswith(("app.web", "app.live", "app.store", "app.client")), path.name
