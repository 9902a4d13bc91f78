"""An external process trains through watch(); the server stores exactly the numbers it computed itself."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEPS = 40


def run_example(script: str, *args: str, timeout: float = 60) -> str:
    """Run examples/<script> in its own process; return its stdout (fails with its stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    env.pop("GRADCAST_PRESENTER_TOKEN", None)
    env.pop("GRADCAST_URL", None)
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def expected_layers(grads: dict[str, float]) -> dict[str, tuple[float, float | None]]:
    """Module name -> (weight grad norm, bias grad norm), from the script's own per-parameter float64 norms."""
    out: dict[str, tuple[float, float | None]] = {}
    for pname, norm in grads.items():
        module, kind = pname.rsplit(".", 1)
        w, b = out.get(module, (None, None))
        out[module] = (norm, b) if kind == "weight" else (w, norm)
    return out


def test_an_external_cnn_shows_its_own_gradients_on_the_dashboard(server, tmp_path):
    dump = tmp_path / "own.jsonl"
    stdout = run_example(
        "digits_cnn.py",
        "--url",
        server.url,
        "--name",
        "cnn-under-test",
        "--steps",
        str(STEPS),
        "--dump",
        str(dump),
    )
    assert f"steps={STEPS} sent={STEPS} dropped=0" in stdout
    own = [json.loads(line) for line in dump.read_text().splitlines()]
    assert len(own) == STEPS

    with server.client() as http:
        runs = [r for r in http.get("/api/runs").json() if r["name"] == "cnn-under-test"]
        assert len(runs) == 1
        run = http.get(f"/api/runs/{runs[0]['id']}").json()
    assert run["external"] is True and run["status"] == "finished" and run["step"] == STEPS
    assert run["layer_names"] == ["features.0", "features.2", "classifier.1", "classifier.3"]
    assert run["config"]["model"] == "DigitsCNN" and run["config"]["optimizer"] == "adam"
    history = run["history"]
    assert [s["step"] for s in history] == list(range(1, STEPS + 1))

    compared = 0
    for stored, mine in zip(history, own, strict=True):
        assert stored["loss"] == mine["loss"]  # the same float from loss.item(), through JSON both ways
        want = expected_layers(mine["grads"])
        assert [x["name"] for x in stored["layers"]] == list(want)
        for layer in stored["layers"]:
            w, b = want[layer["name"]]
            # float32 norms from one fused call vs float64 one by one: equal to float32 precision
            assert layer["weight_grad_norm"] == pytest.approx(w, rel=1e-5, abs=1e-12)
            assert layer["bias_grad_norm"] == pytest.approx(b, rel=1e-5, abs=1e-12)
            compared += 2
    assert compared == STEPS * 4 * 2
    # weight_norm rides along on step 1 and every 10th step
    assert [s["step"] for s in history if "weight_norm" in s["layers"][0]] == [1, 10, 20, 30, 40]


def test_the_plain_loop_example_runs_against_a_server(server):
    stdout = run_example("plain_loop.py", "--url", server.url, "--steps", "30", "--depth", "4")
    assert "steps=30 sent=30 dropped=0" in stdout
    with server.client() as http:
        (run,) = [r for r in http.get("/api/runs").json() if r["name"] == "plain-sigmoid-4"]
    assert run["external"] is True and run["step"] == 30
    assert run["layer_names"] == [
        "0",
        "2",
        "4",
        "6",
        "8",
    ]  # 4 hidden Linear + output; activations own nothing


def test_the_presenter_token_is_sent_when_the_server_requires_one(tmp_path, monkeypatch):
    import torch

    from gradcast import watch
    from tests.support.server import live_server

    with live_server(tmp_path, presenter_token="s3cret-token") as srv:
        with srv.client() as http:
            refused = http.post("/api/external/runs", json={"name": "x", "layer_names": ["a"]})
        assert refused.status_code == 401
        monkeypatch.setenv(
            "GRADCAST_PRESENTER_TOKEN", "s3cret-token"
        )  # the environment, as a shell would set it
        model = torch.nn.Linear(3, 2)
        with watch(model, url=srv.url, name="with-token") as run:
            for _ in range(5):
                model(torch.randn(4, 3)).sum().backward()
                run.step(loss=0.5)
                model.zero_grad()
    assert run.steps == 5 and run.sent == 5 and run.dropped == 0


def test_without_with_the_run_is_flushed_and_finished_at_interpreter_exit(server):
    script = (
        "import sys, torch; from gradcast import watch; m = torch.nn.Linear(2, 2); "
        "run = watch(m, url=sys.argv[1], name='no-with'); "
        "m(torch.randn(3, 2)).sum().backward(); run.step(loss=0.1); run.step(loss=0.2)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script, server.url], check=True, timeout=60, env=env, cwd=ROOT)
    with server.client() as http:
        (run,) = [r for r in http.get("/api/runs").json() if r["name"] == "no-with"]
    assert run["status"] == "finished" and run["step"] == 2


@pytest.mark.parametrize(
    ("script", "args", "name", "layers"),
    [
        ("optimizer_hook.py", ("--steps", "30", "--depth", "3"), "hooked-sigmoid-3", ["0", "2", "4", "6"]),
        (
            "lightning_watch.py",
            ("--steps", "20", "--depth", "3"),
            "lightning-sigmoid-3",
            ["net.0", "net.2", "net.4", "net.6"],
        ),
        ("huggingface_watch.py", ("--steps", "12", "--layers", "1"), "tiny-bert-1", None),
    ],
)
def test_the_integration_examples_run_against_a_server(server, script, args, name, layers):
    """What docs/client.md tells a Lightning, a Hugging Face and a plain-PyTorch user to run."""
    steps = int(args[1])
    stdout = run_example(script, "--url", server.url, *args, timeout=240)
    assert f"steps={steps} sent={steps} dropped=0" in stdout
    with server.client() as http:
        (run,) = [r for r in http.get("/api/runs").json() if r["name"] == name]
        run = http.get(f"/api/runs/{run['id']}").json()
    assert run["status"] == "finished" and [s["step"] for s in run["history"]] == list(range(1, steps + 1))
    if layers is not None:
        assert run["layer_names"] == layers
    assert {"update_ratio", "mean_act_deriv", "grad_hist"} <= set(run["config"]["measured"])
    assert any("mean_act_deriv" in layer for s in run["history"] for layer in s["layers"])
