"""Presets are data: valid configs, one-field comparisons on the same data and seed, both languages."""

import pytest

from app.ml.activations import ACTIVATIONS
from app.ml.config import RunConfig
from app.ml.presets import PRESETS, Preset

SINGLES = [
    "sigmoid-deep", "relu-deep", "leaky-relu-deep", "tanh-xavier", "exploding", "batchnorm-rescue", "residual-rescue",
]  # fmt: skip
COMPARISONS = {
    "sigmoid-vs-relu-vs-leaky-relu": ("activation", ["sigmoid", "relu", "leaky_relu"]),
    "init-default-vs-xavier-vs-kaiming": ("init", None),
    "depth-3-vs-10-vs-30": ("depth", ["3", "10", "30"]),
    "rnn-vs-lstm-vs-gru": ("architecture", ["rnn", "lstm", "gru"]),
    "rnn-seq-10-vs-50-vs-200": ("seq_len", ["10", "50", "200"]),
    "post-ln-vs-pre-ln-6": ("norm_position", ["post", "pre"]),
    "post-ln-vs-pre-ln-12": ("norm_position", ["post", "pre"]),
    "plain-vs-residual-cnn-20": ("residual", ["False", "True"]),
}


def test_the_named_presets_exist_with_their_kind():
    assert set(PRESETS) == set(SINGLES) | set(COMPARISONS)
    for name in SINGLES:
        assert PRESETS[name].kind == "single" and len(PRESETS[name].runs) == 1
    for name in COMPARISONS:
        assert PRESETS[name].kind == "comparison" and len(PRESETS[name].runs) == len(
            COMPARISONS[name][1] or "abc"
        )


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda p: p.name)
def test_every_preset_has_one_line_titles_and_explanations_in_english_and_korean(preset: Preset):
    for text in (preset.title, preset.explanation):
        assert set(text) == {"en", "ko"}
        assert all(t.strip() and "\n" not in t for t in text.values())
        assert any("\uac00" <= ch <= "\ud7a3" for ch in text["ko"])  # Hangul syllables


def test_korean_explanations_use_the_lectures_terms():
    ko = " ".join(p.explanation["ko"] for p in PRESETS.values())
    for term in ("기울기 사라짐", "활성화 함수", "연쇄 법칙", "기울기 폭발"):
        assert term in ko, term


@pytest.mark.parametrize("name", list(COMPARISONS))
def test_comparison_runs_differ_in_exactly_one_field(name):
    field, labels = COMPARISONS[name]
    runs = PRESETS[name].runs
    dumps = [r.config.model_dump() for r in runs]
    differing = {k for k in dumps[0] if len({str(d[k]) for d in dumps}) > 1}
    assert differing == {field}
    assert [r.label for r in runs] == [str(d[field]) for d in dumps]  # the label is the field's value
    if labels is not None:
        assert [r.label for r in runs] == labels
    assert len({(d["seed"], d["dataset"], d["n_samples"], d["noise"]) for d in dumps}) == 1


def test_the_first_comparison_is_ten_layers_on_the_spiral_labelled_by_activation_keys():
    runs = PRESETS["sigmoid-vs-relu-vs-leaky-relu"].runs
    assert all(r.label in ACTIVATIONS for r in runs)
    assert all(r.config.depth == 10 and r.config.dataset == "spiral" for r in runs)


def test_presets_serialise_to_plain_json_and_back():
    for preset in PRESETS.values():
        again = Preset.model_validate_json(preset.model_dump_json())
        assert again == preset
        for run in again.runs:
            assert isinstance(run.config, RunConfig)
