"""The recorded runs' list says what each run is (activation, init, depth x width, norm, optimizer, lr, preset or
lesson), and its search covers those fields."""

import pytest

from app.ml.config import RunConfig
from app.ml.records import LayerRecord, StepRecord
from app.store.runstore import RunStore


def add(store: RunStore, name: str, preset: str | None = None, lesson: str | None = None, **config) -> str:
    cfg = RunConfig(**config).model_dump(mode="json")
    run = {
        "name": name,
        "preset": preset,
        "config": cfg,
        "layer_names": ["layer1", "output"],
        "status": "finished",
    }
    if lesson:
        run["lesson"] = lesson
    rec = StepRecord(step=1, loss=0.5, layers=[LayerRecord("layer1", 0.1), LayerRecord("output", 0.2)])
    return store.add(run, [rec], [])


@pytest.fixture
def store(tmp_path):
    s = RunStore(tmp_path / "db.sqlite3")
    add(s, "tanh-20x32", activation="tanh", init="xavier_normal", depth=20, width=32)
    add(s, "tanh-20x32", activation="tanh", init="default", depth=20, width=32, norm="batchnorm")
    add(s, "relu", preset="relu-deep", activation="relu", init="kaiming_normal", depth=10, width=16, lr=0.003)
    add(s, "lesson run", lesson="vanishing-1", activation="sigmoid", optimizer="sgd", lr=0.5)
    return s


def test_two_builder_runs_of_one_name_differ_in_the_list(store):
    rows = {(r["init"], r["norm"]): r for r in store.list_runs() if r["name"] == "tanh-20x32"}
    assert set(rows) == {("xavier_normal", "none"), ("default", "batchnorm")}
    for r in rows.values():
        assert (r["activation"], r["depth"], r["width"]) == ("tanh", 20, 32)
        assert r["optimizer"] == RunConfig().optimizer and r["lr"] == RunConfig().lr
    relu = next(r for r in store.list_runs() if r["name"] == "relu")
    assert relu["preset"] == "relu-deep" and relu["lr"] == 0.003 and relu["lesson"] is None
    lesson = next(r for r in store.list_runs() if r["name"] == "lesson run")
    assert lesson["lesson"] == "vanishing-1" and lesson["optimizer"] == "sgd"


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("xavier", ["tanh-20x32"]),  # init
        ("batchnorm", ["tanh-20x32"]),  # norm
        ("20x32", ["tanh-20x32", "tanh-20x32"]),  # depth x width, as typed ...
        ("20×32", ["tanh-20x32", "tanh-20x32"]),  # ... or with the multiplication sign
        ("10x16", ["relu"]),
        ("relu-deep", ["relu"]),  # preset
        ("vanishing", ["lesson run"]),  # lesson
        ("sgd", ["lesson run"]),  # optimizer
        ("0.003", ["relu"]),  # lr
        ("tanh xavier", ["tanh-20x32"]),  # every word, in any field
        ("kaiming sigmoid", []),
    ],
)
def test_search_covers_what_the_list_shows(store, q, names):
    assert sorted(r["name"] for r in store.list_runs(q)) == sorted(names)
