"""The Hugging Face Trainer: one callback streams every optimizer step of a transformer to the dashboard.

The model is a small BERT built from a config with random weights (nothing is downloaded); the task is whether a
sequence holds the token 7. Run it:
    gradcast serve                                   # in another terminal, then open http://127.0.0.1:8000/
    HF_HUB_OFFLINE=1 python examples/huggingface_watch.py     # --layers 4, --steps 200, --url URL
The only line GradCast adds is `callbacks=[GradCastCallback(...)]`.
"""

import argparse
import tempfile

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

from gradcast.integrations.huggingface import GradCastCallback

VOCAB, LENGTH = 32, 12


def dataset(n: int) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
    labels = (ids == 7).any(dim=1).long()
    return [
        {"input_ids": i, "attention_mask": torch.ones(LENGTH, dtype=torch.long), "labels": y}
        for i, y in zip(ids, labels, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=None, help="dashboard (default $GRADCAST_URL or http://127.0.0.1:8000)"
    )
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=args.layers,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=LENGTH,
        num_labels=2,
    )
    model = BertForSequenceClassification(config)
    watcher = GradCastCallback(url=args.url, name=f"tiny-bert-{args.layers}", activations=True)
    with tempfile.TemporaryDirectory() as out:
        training = TrainingArguments(
            output_dir=out,
            max_steps=args.steps,
            per_device_train_batch_size=32,
            learning_rate=1e-3,
            logging_steps=10,
            report_to=[],
            save_strategy="no",
            disable_tqdm=True,
        )
        Trainer(model=model, args=training, train_dataset=dataset(4096), callbacks=[watcher]).train()
    run = watcher.run
    print(f"steps={run.steps} sent={run.sent} dropped={run.dropped} run_id={run.id}", flush=True)


if __name__ == "__main__":
    main()
