"""The bounded history: flat memory, dense recent steps, sparse old ones, large parts kept only while new."""

from app.live.history import History


def _rec(step: int, hist: bool = False, boundary: bool = False) -> dict:
    layer = {"name": "layer1", "weight_grad_norm": float(step)}
    if hist:
        layer["grad_hist"] = [step, 1]
    rec = {"step": step, "t": float(step), "loss": 1.0 / step, "layers": [layer]}
    if boundary:
        rec["boundary"] = {"z": [[step]]}
    return rec


def test_length_never_passes_capacity_and_recent_steps_stay_dense():
    h = History(100)
    for step in range(1, 10_001):
        h.append(_rec(step))
        assert len(h) <= 100
    steps = [r["step"] for r in h.records]
    assert steps == sorted(set(steps)) and steps[0] == 1 and steps[-1] == 10_000
    assert steps[-40:] == list(range(9961, 10_001))  # the newest steps are all there
    gaps = [b - a for a, b in zip(steps, steps[1:], strict=False)]
    assert gaps[0] > gaps[-1] == 1  # older steps are sparser


def test_only_the_newest_grad_hists_and_boundary_are_kept():
    h = History(1000, hist_keep=10)
    for step in range(1, 101):
        h.append(_rec(step, hist=True, boundary=step % 10 == 0))
    with_hist = [r["step"] for r in h.records if "grad_hist" in r["layers"][0]]
    assert with_hist == list(range(91, 101))
    records = h.as_records()
    assert [r["step"] for r in records if "boundary" in r] == [100]
    assert records[-1]["boundary"] == {"z": [[100]]}
    assert "boundary" not in h.records[-1]  # attached on the way out, not stored twice


def test_columns_and_clear():
    h = History(100)
    for step in (1, 2, 3):
        h.append(_rec(step))
    assert h.as_columns() == {
        "step": [1, 2, 3],
        "t": [1.0, 2.0, 3.0],
        "loss": [1.0, 0.5, 1 / 3],
        "weight_grad_norm": [[1.0], [2.0], [3.0]],
    }
    h.clear()
    assert h.as_records() == [] and h.boundary is None


def test_a_limited_view_keeps_the_newest_half_dense_and_thins_the_rest():
    h = History(4000)
    for step in range(1, 4001):
        h.append(_rec(step, boundary=step == 4000))
    view = h.as_records(limit=100)
    steps = [r["step"] for r in view]
    assert len(view) == 100 and steps[0] == 1 and steps[-50:] == list(range(3951, 4001))
    assert steps == sorted(set(steps)) and view[-1]["boundary"] == {"z": [[4000]]}
    assert len(h.as_records(limit=5000)) == 4000
