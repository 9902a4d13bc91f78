"""The wire format: strict JSON with null plus a flag for non-finite numbers, seq splicing, between columns."""

import math

from app.live import messages
from app.ml.records import LayerRecord, StepRecord
from tests.support.live import strict_loads


def _record(loss: float, wgn: float, full: bool = False) -> StepRecord:
    layers = [LayerRecord("layer1", wgn, 0.5), LayerRecord("output", 2.0, 0.1)]
    if full:
        layers[0].act_grad_norm, layers[0].grad_hist = math.inf, [1, 2, 3]
    return StepRecord(step=7, loss=loss, layers=layers, full=full, t=1.5, train_acc=0.5 if full else None)


def test_finite_record_has_no_flag_and_keeps_its_numbers():
    d = messages.step_dict(_record(0.69, 3e-9))
    assert "nonfinite" not in d and d["loss"] == 0.69
    assert d["layers"][0] == {"name": "layer1", "weight_grad_norm": 3e-9, "bias_grad_norm": 0.5}
    assert strict_loads(messages.encode(d)) == d


def test_non_finite_numbers_become_null_with_a_flag_on_what_holds_them():
    d = messages.step_dict(_record(math.nan, -math.inf, full=True))
    text = messages.encode(d).decode()
    assert "NaN" not in text and "Infinity" not in text
    parsed = strict_loads(text)
    assert parsed["loss"] is None and parsed["nonfinite"] is True
    layer1, output = parsed["layers"]
    assert (
        layer1["weight_grad_norm"] is None and layer1["act_grad_norm"] is None and layer1["nonfinite"] is True
    )
    assert "nonfinite" not in output and output["weight_grad_norm"] == 2.0
    assert layer1["grad_hist"] == [1, 2, 3] and parsed["train_acc"] == 0.5


def test_boundary_and_diverged_info_are_cleaned_too():
    rec = _record(1.0, 1.0)
    rec.boundary = {"x": [0.0, 1.0], "y": [1e308, 1e308], "z": [[0, 1]], "p": [[math.nan], [math.inf, 2.0]]}
    rec.diverged = {"step": 7, "layer": "layer1", "what": "weight_grad_norm is nan"}
    parsed = strict_loads(messages.encode(messages.step_dict(rec)))
    assert parsed["boundary"]["p"] == [[None], [None, 2.0]] and parsed["diverged"]["layer"] == "layer1"
    assert parsed["boundary"]["y"] == [1e308, 1e308]  # finite, though their sum is not


def test_seq_is_spliced_into_the_one_encoding():
    body = messages.encode(messages.status("r1", "paused", 3, None))
    a, b = messages.with_seq(body, 1), messages.with_seq(body, 2)
    assert strict_loads(a) == {
        "seq": 1,
        "type": "status",
        "run": "r1",
        "status": "paused",
        "step": 3,
        "reason": None,
    }
    assert strict_loads(b)["seq"] == 2


def test_frame_carries_the_steps_between_as_columns():
    steps = [messages.step_dict(_record(0.5 + i, 1.0 + i)) for i in range(3)]
    for i, s in enumerate(steps):
        s["step"] = i + 1
    frame = messages.frame("r1", messages.step_dict(_record(0.1, 0.2, full=True)), steps)
    assert frame["type"] == "frame" and frame["run"] == "r1" and frame["step"] == 7
    assert frame["between"] == {
        "step": [1, 2, 3],
        "loss": [0.5, 1.5, 2.5],
        "weight_grad_norm": [[1.0, 2.0], [2.0, 2.0], [3.0, 2.0]],
    }
    assert "between" not in messages.frame("r1", steps[0], [])


def test_client_messages_that_are_not_objects_are_ignored():
    assert messages.decode_client('{"type": "ping"}') == {"type": "ping"}
    assert messages.decode_client("[1]") is None and messages.decode_client("not json") is None


def test_layer_records_are_left_out_of_the_cyclic_gc():
    import gc

    d = messages.step_dict(_record(0.69, 3e-9, full=True))
    gc.collect()  # dicts of atomic values (and tuples of them) are untracked in a full collection
    assert not any(
        gc.is_tracked(layer) for layer in d["layers"]
    )  # 2 tracked objects per record, not 2 + layers


def test_a_layer_between_frames_takes_the_short_path_to_the_same_dict():
    """Every-step norms only: the same dict, key order included, as the general path; anything else is general."""
    plain = LayerRecord("layer2", 0.25, 1e-30)
    assert list(messages.layer_dict(plain).items()) == [
        ("name", "layer2"),
        ("weight_grad_norm", 0.25),
        ("bias_grad_norm", 1e-30),
    ]
    assert messages.layer_dict(LayerRecord("output", 2, 1)) == {  # ints become floats as before
        "name": "output",
        "weight_grad_norm": 2.0,
        "bias_grad_norm": 1.0,
    }
    assert messages.layer_dict(LayerRecord("layer1", math.nan, 0.5)) == {
        "name": "layer1",
        "weight_grad_norm": None,
        "bias_grad_norm": 0.5,
        "nonfinite": True,
    }
    assert messages.layer_dict(LayerRecord("layer1", 0.5, None)) == {
        "name": "layer1",
        "weight_grad_norm": 0.5,
    }
    shown = LayerRecord("layer1", 0.5, 0.1, mean_act_deriv=0.2)
    assert messages.layer_dict(shown)["mean_act_deriv"] == 0.2
