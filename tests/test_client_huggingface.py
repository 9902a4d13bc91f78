"""A real Hugging Face Trainer with GradCastCallback: a tiny randomly initialised BERT (nothing downloaded), per-layer
norms of the gradients the optimizer uses (after clipping), the model's loss per step, no extra backward pass."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched: the model is built from a config here

import pytest  # noqa: E402
import torch  # noqa: E402
from transformers import (  # noqa: E402
    BertConfig,
    BertForSequenceClassification,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from gradcast.integrations.huggingface import GradCastCallback  # noqa: E402
from tests.support.runs import finished_run  # noqa: E402

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
    config = BertConfig(
        vocab_size=64,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )
    model = BertForSequenceClassification(config)
    losses: list[float] = []
    backwards = []

    def keep(module, args, output):  # the model's own loss per micro-batch, and a count of backward passes
        if module.training:
            losses.append(output.loss.item())
            output.loss.register_hook(lambda g: backwards.append(1))

    model.register_forward_hook(keep)
    data = [
        {
            "input_ids": torch.randint(0, 64, (8,)),
            "attention_mask": torch.ones(8, dtype=torch.long),
            "labels": i % 2,
        }
        for i in range(64)
    ]
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=STEPS,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=ACCUMULATE,
        max_grad_norm=1.0,
        learning_rate=1e-2,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
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
