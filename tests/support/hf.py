"""A tiny randomly initialised BERT, its data and its TrainingArguments for the transformers Trainer tests: nothing
is downloaded (the model is built from a config).

As a script (`python -m tests.support.hf URL NAME ERROR`): a Trainer with GradCastCallback whose model raises ERROR
(ValueError or KeyboardInterrupt) in its 5th forward pass, the 3rd optimizer step's first micro-batch, uncaught:
the interpreter ends on it as a user's script would.
"""

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched

import torch  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments  # noqa: E402

VOCAB, LENGTH = 64, 8
RAISES_AT = 5  # the forward pass that raises: 2 micro-batches a step, so steps 1 and 2 complete
RAISED = "the batch held a token the vocabulary does not"


def tiny_bert() -> BertForSequenceClassification:
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )
    return BertForSequenceClassification(config)


def tiny_data(n: int = 64) -> list[dict]:
    return [
        {
            "input_ids": torch.randint(0, VOCAB, (LENGTH,)),
            "attention_mask": torch.ones(LENGTH, dtype=torch.long),
            "labels": i % 2,
        }
        for i in range(n)
    ]


def training_args(out: str, steps: int, accumulate: int) -> TrainingArguments:
    return TrainingArguments(
        output_dir=out,
        max_steps=steps,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=accumulate,
        max_grad_norm=1.0,
        learning_rate=1e-2,
        logging_steps=1,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )


def raise_at(model: torch.nn.Module, n: int, error: type[BaseException]) -> torch.utils.hooks.RemovableHandle:
    """Make the model's n-th training forward pass raise `error`."""
    calls = []

    def pre(module, args):
        if module.training:
            calls.append(1)
            if len(calls) == n:
                raise error(RAISED)

    return model.register_forward_pre_hook(pre)


def main(url: str, name: str, error: str) -> None:
    import tempfile

    from gradcast.integrations.huggingface import GradCastCallback

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = tiny_bert()
    raise_at(model, RAISES_AT, {"ValueError": ValueError, "KeyboardInterrupt": KeyboardInterrupt}[error])
    watcher = GradCastCallback(url=url, name=name, display_interval=0)
    with tempfile.TemporaryDirectory() as out:
        Trainer(
            model=model, args=training_args(out, 6, 2), train_dataset=tiny_data(), callbacks=[watcher]
        ).train()


if __name__ == "__main__":
    main(*sys.argv[1:4])
