"""gradcast.protocol is the one definition of the step record: the server's ingest, store and stream follow it."""

import subprocess
import sys
import typing

from app.live import messages
from app.ml.instrument import HIST_EDGES
from app.ml.records import LayerRecord, StepRecord
from app.store import codec
from app.web.ingest import LayerIn, StepIn, to_record
from gradcast import protocol

LAYER_KEYS = set(typing.get_type_hints(protocol.LayerEntry))
STEP_KEYS = set(typing.get_type_hints(protocol.StepRecordWire))


def test_the_protocol_module_needs_only_the_standard_library():
    code = "import sys, gradcast.protocol as p; print(sorted(m for m in ('pydantic', 'fastapi', 'app') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_ingest_takes_exactly_the_protocols_fields():
    assert set(LayerIn.model_fields) == LAYER_KEYS
    assert set(StepIn.model_fields) == STEP_KEYS


def test_the_server_streams_the_protocols_fields_and_bins():
    assert HIST_EDGES == protocol.HIST_EDGES  # the client bins its histograms on the server's edges
    layer = LayerRecord("a", 1.0, 0.5, weight_norm=2.0, update_ratio=1e-3, grad_hist=[0] * protocol.HIST_BINS)
    rec = StepRecord(
        step=3, loss=0.7, layers=[layer], full=True, train_acc=0.5, extra={"metrics": {"acc": 0.5}}
    )
    wire = messages.step_dict(rec)
    assert set(wire) <= STEP_KEYS and set(wire["layers"][0]) <= LAYER_KEYS
    assert wire["metrics"] == {"acc": 0.5}


def test_one_rule_for_a_display_step_in_ingest_and_import():
    every_step = {"step": 2, "t": 1.7e9, "loss": 0.5, "layers": [{"name": "a", "weight_grad_norm": 1.0}]}
    with_hist = {**every_step, "layers": [{"name": "a", "weight_grad_norm": 1.0, "grad_hist": [1] * 28}]}
    with_eval = {**every_step, "test_acc": 0.9}
    with_metric = {**every_step, "metrics": {"accuracy": 0.9}}  # a named scalar does not make a display step
    for record, display in ((every_step, False), (with_hist, True), (with_eval, True), (with_metric, False)):
        assert protocol.is_display_step(record) is display
        assert codec.from_wire(record).full is display  # an import
        assert protocol.is_display_step(StepIn.model_validate(record)) is display  # ingest's rule
        assert to_record(StepIn.model_validate(record), display=False).extra.get("metrics") == record.get(
            "metrics"
        )


def test_strict_tree_nulls_every_non_finite_float_at_any_depth():
    """One rule for boundary grids, reasons and free-form dicts, in the stream and in exports."""
    tree = {
        "z": [[0, 1], [1, float("nan")]],  # a number row with a NaN, and one without
        "x": (0.5, float("inf")),
        "what": {"loss": float("-inf"), "layer": "fc1", "ok": 2.5},
        "big": [10**400, 1],  # an int past float's range: kept, not a crash
        "rows": [[1.0, 2.0]],
    }
    assert protocol.strict_tree(tree) == {
        "z": [[0, 1], [1, None]],
        "x": [0.5, None],
        "what": {"loss": None, "layer": "fc1", "ok": 2.5},
        "big": [10**400, 1],
        "rows": [[1.0, 2.0]],
    }
    assert protocol.strict_tree(float("nan")) is None and protocol.strict_tree("nan") == "nan"
