"""A real Hugging Face Trainer with GradCastCallback: a tiny randomly initialised BERT (nothing downloaded), per-layer
norms of the gradients the optimizer uses (after clipping), the model's loss per step, no extra backward pass; a
training that raises ends its run failed (stopped on KeyboardInterrupt), with the reason."""

import os
import subprocess
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched: the model is built from a config here

import pytest  # noqa: E402
import torch  # noqa: E402
from transformers import Trainer, TrainerCallback  # noqa: E402

from gradcast.integrations.huggingface import UNFINISHED, GradCastCallback  # noqa: E402
from tests.support.hf import RAISED, RAISES_AT, raise_at, tiny_bert, tiny_data, training_args  # noqa: E402
from tests.support.live import wait_until  # noqa: E402
from tests.support.runs import finished_run  # noqa: E402
from tests.support.server import ROOT  # noqa: E402

torch.set_num_threads(1)
STEPS, ACCUMULATE = 6, 2


class Oracle(TrainerCallback):
    """Every parameter's gradient norm at the same event, computed on its own (float64, one tensor at a time)."""

    def __init__(self) -> None:
        self.norms: list[dict[str, float]] = []

    def on_pre_optimizer_step(self, args, state, control, model=None, **kwargs):
        self.norms.append(
            {n: p.grad.double().norm().item() for n, p in model.named_parameters() if p.grad is not None}
        )


def test_transformers_trainer_streams_every_optimizer_step(server, tmp_path):
    torch.manual_seed(0)
    model = tiny_bert()
    losses: list[float] = []
    backwards = []

    def keep(module, args, output):  # the model's own loss per micro-batch, and a count of backward passes
        if module.training:
            losses.append(output.loss.item())
            output.loss.register_hook(lambda g: backwards.append(1))

    model.register_forward_hook(keep)
    data = tiny_data()
    args = training_args(str(tmp_path / "out"), STEPS, ACCUMULATE)
    oracle = Oracle()
    watcher = GradCastCallback(url=server.url, name="hf-tiny-bert", display_every=3, display_interval=0)
    Trainer(model=model, args=args, train_dataset=data, callbacks=[watcher, oracle]).train()
    run = finished_run(server, "hf-tiny-bert")

    assert run["status"] == "finished"
    assert len(backwards) == STEPS * ACCUMULATE  # the callback added no backward pass
    history = run["history"]
    assert [s["step"] for s in history] == list(range(1, STEPS + 1))
    assert "bert.embeddings.word_embeddings" in run["layer_names"] and "classifier" in run["layer_names"]
    compared = 0
    for rec, want in zip(history, oracle.norms, strict=True):
        for layer in rec["layers"]:
            w = want.get(f"{layer['name']}.weight")
            if w is not None:
                assert layer["weight_grad_norm"] == pytest.approx(w, rel=1e-6, abs=1e-9), layer["name"]
                compared += 1
    assert compared >= STEPS * 10
    # After clipping to max_grad_norm=1: the total over every parameter is at most 1 on each step ...
    for want in oracle.norms:
        assert sum(v * v for v in want.values()) ** 0.5 <= 1.0 + 1e-5
    # ... while the Trainer's logged grad_norm (before clipping) was above it on some step.
    assert max(s["metrics"]["grad_norm"] for s in history) > 1.0
    # The loss of a step is the mean of its micro-batches' model losses.
    per_step = [sum(losses[i : i + ACCUMULATE]) / ACCUMULATE for i in range(0, len(losses), ACCUMULATE)]
    assert [s["loss"] for s in history] == pytest.approx(per_step, rel=1e-6)
    assert all("learning_rate" in s["metrics"] for s in history)
    assert [s["step"] for s in history if "update_ratio" in s["layers"][0]] == [1, 3, 6]


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [("ValueError", "failed", f"ValueError: {RAISED}"), ("KeyboardInterrupt", "stopped", "interrupted")],
)
def test_a_training_that_raises_uncaught_ends_its_run_failed(server, error, status, reason):
    """The Trainer tells callbacks nothing when training raises: the script dies on the error, and the run ends
    with it at the interpreter's exit, not as finished."""
    name = f"hf-raises-{error}"
    cmd = [sys.executable, "-m", "tests.support.hf", server.url, name, error]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode != 0 and RAISED in out.stderr, out.stderr[-2000:]
    run = finished_run(server, name)

    assert run["status"] == status
    assert run["reason"].startswith(reason)
    steps = RAISES_AT // ACCUMULATE  # the steps before the one that raised were all sent
    assert [s["step"] for s in run["history"]] == list(range(1, steps + 1))


def test_a_training_that_raised_and_was_caught_ends_failed_at_the_next_train(server, tmp_path):
    """A caller (a notebook) that catches the error and trains again: the first run ends failed, the second
    finished."""
    torch.manual_seed(0)
    model = tiny_bert()
    watcher = GradCastCallback(url=server.url, name="hf-again", display_interval=0)
    trainer = Trainer(
        model=model,
        args=training_args(str(tmp_path / "out"), STEPS, ACCUMULATE),
        train_dataset=tiny_data(),
        callbacks=[watcher],
    )
    hook = raise_at(model, RAISES_AT, ValueError)
    with pytest.raises(ValueError, match=RAISED):
        trainer.train()
    first = watcher.run
    hook.remove()
    trainer.train()
    assert watcher.run is not first

    with server.client() as http:

        def both_ended() -> list | None:
            runs = [r for r in http.get("/api/runs").json() if r["name"] == "hf-again"]
            return runs if len(runs) == 2 and all(r["status"] != "running" for r in runs) else None

        runs = wait_until(both_ended, timeout=15)
        ended = {r["id"]: http.get(f"/api/runs/{r['id']}").json() for r in runs}
    assert ended[first.id]["status"] == "failed"
    assert ended[first.id]["reason"] == f"RuntimeError: {UNFINISHED}"
    assert [s["step"] for s in ended[first.id]["history"]] == [1, 2]
    assert ended[watcher.run.id]["status"] == "finished"
    assert [s["step"] for s in ended[watcher.run.id]["history"]] == list(range(1, STEPS + 1))
