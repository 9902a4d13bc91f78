"""Recorded steps whose gradients were not read (a client's grad_norm_every > 1): stored and read back without
layers, and a JSON export that leaves some layers of a step out is refused naming the column."""

import pytest

from app.ml.records import LayerRecord, StepRecord
from app.store import codec, columns, importer


def export(weight_grad_norm: list[float | None]) -> dict:
    """A version-2 export of 2 steps x 2 layers with these weight_grad_norm cells (row-major)."""
    return {
        "format": "gradcast-run",
        "version": 2,
        "run": {"name": "sampled", "config": {}, "layer_names": ["a", "b"]},
        "steps": {
            "step": [1, 2],
            "loss": columns.encode([0.5, 0.25], [2]),
            "weight_grad_norm": columns.encode(weight_grad_norm, [2, 2]),
        },
    }


def test_a_stored_step_without_layers_reads_back_without_layers():
    names = ["a", "b"]
    read = StepRecord(step=1, loss=0.5, layers=[LayerRecord("a", 0.1, 0.2), LayerRecord("b", 0.3)], full=True)
    unread = StepRecord(step=2, loss=0.25, layers=[], full=True)  # the newest of a batch is framed
    rows = codec.to_rows("r", [read, unread])
    back = [codec.from_row(row[1:], names) for row in rows]
    assert [len(r.layers) for r in back] == [2, 0] and [r.loss for r in back] == [0.5, 0.25]
    assert back[0].layers[0].weight_grad_norm == 0.1 and back[0].layers[1].bias_grad_norm is None


def test_an_export_step_with_no_weight_grad_norm_imports_without_layers():
    _, records, _ = importer.parse(export([0.1, 0.2, None, None]))
    assert [len(r.layers) for r in records] == [2, 0]
    assert [r.loss for r in records] == [0.5, 0.25]


def test_an_export_step_with_some_layers_left_out_is_refused_naming_the_column():
    with pytest.raises(importer.ImportProblem) as caught:
        importer.parse(export([0.1, 0.2, 0.3, None]))
    assert caught.value.errors[0]["loc"] == ["body", "steps", "weight_grad_norm"]
    assert "step 2" in caught.value.errors[0]["msg"]
