"""torchrun with 2 CPU processes (gloo): one run on the dashboard, rank 0's all-reduced gradients."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEPS = 25


@pytest.mark.slow
def test_ddp_logs_once_from_rank_zero_after_the_all_reduce(server, tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop("GRADCAST_PRESENTER_TOKEN", None)
    cmd = [
        str(torchrun), "--standalone", "--nproc_per_node", "2",  # standalone: torchrun binds a free port itself
        str(ROOT / "examples" / "ddp_watch.py"),
        "--url", server.url, "--name", "ddp-under-test", "--steps", str(STEPS), "--dump", str(tmp_path),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=env, cwd=ROOT)
    assert out.returncode == 0, f"stdout: {out.stdout[-1500:]}\nstderr: {out.stderr[-3000:]}"
    assert f"rank=0 steps={STEPS} sent={STEPS} dropped=0" in out.stdout
    assert f"rank=1 steps={STEPS} sent=0 dropped=0 run_id=None" in out.stdout  # rank 1 sent nothing at all

    rank0, rank1 = (
        [json.loads(x) for x in (tmp_path / f"rank{r}.jsonl").read_text().splitlines()] for r in (0, 1)
    )
    # After backward() DDP has averaged the gradients: both ranks hold the same ones, from different batches.
    for a, b in zip(rank0, rank1, strict=True):
        assert a["grads"] == pytest.approx(b["grads"], rel=1e-6)
    assert sum(a["loss"] != b["loss"] for a, b in zip(rank0, rank1, strict=True)) > STEPS // 2

    with server.client() as http:
        mine = [r for r in http.get("/api/runs").json() if r["name"] == "ddp-under-test"]
        assert len(mine) == 1  # one run, not one per process
        run = http.get(f"/api/runs/{mine[0]['id']}").json()
    assert run["config"]["world_size"] == 2 and run["status"] == "finished"
    assert run["layer_names"] == ["0", "2", "4"]  # the model's own names, not DDP's "module.0"
    history = run["history"]
    assert [s["step"] for s in history] == list(range(1, STEPS + 1))
    for stored, own in zip(history, rank0, strict=True):
        assert stored["loss"] == own["loss"]
        for layer in stored["layers"]:
            name = layer["name"]
            assert layer["weight_grad_norm"] == pytest.approx(own["grads"][f"{name}.weight"], rel=1e-5)
            assert layer["bias_grad_norm"] == pytest.approx(own["grads"][f"{name}.bias"], rel=1e-5)
