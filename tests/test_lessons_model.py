"""The lesson format: the built-in lesson, errors naming the step and field, files in and out, the probe's numbers."""

import json
import xml.etree.ElementTree as ET

import pytest
import torch

from app.lessons.builtin import VANISHING_GRADIENT
from app.lessons.files import LessonError, dump, parse, validate
from app.lessons.library import LessonLibrary
from app.lessons.mathml import to_mathml
from app.lessons.probe import curves, preactivations
from app.ml.model import build_model
from app.ml.presets import PRESETS

MATHML = "{http://www.w3.org/1998/Math/MathML}"


def _lesson(**step_changes) -> dict:
    """A valid one-step lesson as data, with the step's fields changed."""
    step = {
        "title": {"en": "Chain rule", "ko": "연쇄 법칙"},
        "text": {"en": "Product of factors.", "ko": "인수의 곱."},
        "formula": r"\frac{\partial p_n}{\partial w_1}",
        "view": {"kind": "preset", "preset": "sigmoid-deep"},
        "highlight": "chainrule",
    }
    step.update(step_changes)
    return {"id": "mine", "title": {"en": "Mine", "ko": "내 수업"}, "steps": [step]}


def test_builtin_lesson_follows_the_lecture_in_both_languages():
    lesson = VANISHING_GRADIENT
    assert lesson.title.ko == "기울기 사라짐"
    kinds = [s.view.kind for s in lesson.steps]
    assert kinds[0] == "preset" and "function" in kinds and "sweep" in kinds
    assert lesson.steps[-1].view.preset == "sigmoid-vs-relu-vs-leaky-relu"  # the side-by-side comparison
    for step in lesson.steps:
        assert step.title.en and step.title.ko and step.text.en and step.text.ko
        assert step.title.en != step.title.ko
        root = ET.fromstring(to_mathml(step.formula))  # every step has a formula, and it is MathML
        assert root.tag == f"{MATHML}math"
    formulas = " ".join(s.formula for s in lesson.steps)
    for notation in ("p_k", "a_k", "w_k", "w_1", "x", r"\prod", r"\alpha"):  # the lecture's own notation
        assert notation in formulas, notation
    assert {"deriv", "weight", "product", "grad_first", "update_first"} <= {
        n for s in lesson.steps for n in s.numbers
    }  # the live numbers of the chain rule and of the first layer's update


def test_formula_becomes_mathml_with_its_text_escaped():
    out = to_mathml(r"\sigma^\prime(z) \le 0.25 <script>")
    root = ET.fromstring(out)
    assert root.tag == f"{MATHML}math"
    assert "<script" not in out
    assert all(el.tag.startswith(MATHML) for el in root.iter())


@pytest.mark.parametrize(
    ("changes", "step", "field", "words"),
    [
        ({"view": {"kind": "preset", "preset": "nope"}}, 1, "view.preset", "unknown preset 'nope'"),
        ({"title": {"en": "only English"}}, 1, "title.ko", "Field required"),
        ({"formula": r"\left( x"}, 1, "formula", "cannot render this LaTeX"),
        ({"highlight": "sweep"}, 1, "", "highlight 'sweep' is not shown by a preset view"),
        (
            {
                "view": {
                    "kind": "function",
                    "activations": ["sigmoid"],
                    "measure": {"preset": "sigmoid-deep", "layers": [11]},
                }
            },
            1,
            "view.measure",
            "hidden layers 1..10",
        ),
        ({"view": {"kind": "function", "activations": ["swish"]}}, 1, "view.activations.0", "'sigmoid'"),
        ({"view": {"kind": "movie"}}, 1, "view", "kind"),
    ],
)
def test_every_error_names_the_step_and_the_field(changes, step, field, words):
    with pytest.raises(LessonError) as info:
        validate(_lesson(**changes), "mine.json")
    (error,) = info.value.errors
    assert error["step"] == step and error["field"] == field, error
    assert words in error["msg"], error
    assert str(info.value).startswith(f"mine.json: step {step}, ")


def test_a_malformed_toml_file_names_the_third_step():
    text = dump(validate(_lesson()), "toml")
    steps = "\n".join(text.split("\n")[text.split("\n").index("[[steps]]") :])  # the step's table, once more
    head = text.replace(steps, "")
    bad = (
        head
        + steps
        + "\n"
        + steps
        + "\n"
        + steps.replace('preset = "sigmoid-deep"', 'preset = "sigmoid-deeep"')
    )
    with pytest.raises(LessonError) as info:
        parse(bad, "toml", "lesson.toml")
    assert [(e["step"], e["field"]) for e in info.value.errors] == [(3, "view.preset")]
    assert "step 3, view.preset: unknown preset 'sigmoid-deeep'" in str(info.value)


def test_syntax_errors_say_where():
    with pytest.raises(LessonError, match=r"not valid JSON: .*line 1"):
        parse('{"id": ', "json")
    with pytest.raises(LessonError, match=r"not valid TOML"):
        parse("id = ", "toml")


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_export_reads_back_to_the_same_lesson(fmt):
    text = dump(VANISHING_GRADIENT, fmt)
    assert parse(text, fmt) == VANISHING_GRADIENT
    if fmt == "json":
        assert json.loads(text)["steps"][0]["title"]["ko"] == "깊은 신경망"


def test_library_lists_files_and_reports_broken_ones(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "mine.json").write_text(json.dumps(_lesson()), encoding="utf-8")
    (folder / "broken.toml").write_text(
        dump(validate(_lesson()), "toml").replace("sigmoid-deep", "x"), "utf-8"
    )
    clash = _lesson()
    clash["id"] = VANISHING_GRADIENT.id
    (folder / "clash.json").write_text(json.dumps(clash), encoding="utf-8")
    library = LessonLibrary(folder)
    assert [e.lesson.id for e in library.entries()] == ["vanishing-gradient", "mine"]
    errors = {e["file"]: e for e in library.errors}
    assert errors["broken.toml"]["errors"][0]["step"] == 1
    assert errors["broken.toml"]["errors"][0]["field"] == "view.preset"
    assert "already taken by a built-in lesson" in errors["clash.json"]["message"]
    imported = library.add(validate({**_lesson(), "id": "second"}), "toml")
    assert imported.path == folder / "second.toml" and library.get("second").lesson.id == "second"
    with pytest.raises(ValueError, match="built-in"):
        library.add(VANISHING_GRADIENT, "json")


def test_curves_are_the_registry_functions_and_their_autograd_derivatives():
    (sig,) = curves(["sigmoid"], (-6.0, 6.0))
    z = torch.tensor(sig["z"], dtype=torch.float64, requires_grad=True)
    a = torch.sigmoid(z)
    (da,) = torch.autograd.grad(a.sum(), z)  # the oracle: autograd, not the registry's formula
    assert torch.allclose(torch.tensor(sig["a"], dtype=torch.float64), a.detach(), atol=1e-6)
    assert torch.allclose(torch.tensor(sig["da"], dtype=torch.float64), da, atol=1e-6)
    assert max(sig["da"]) == pytest.approx(0.25, abs=1e-6) and sig["bound"] == 0.25


def test_preactivations_are_the_measured_z_of_the_first_layer():
    config = PRESETS["sigmoid-deep"].runs[0].config
    model = build_model(config)
    out = preactivations(model, config, [1, 10], (-6.0, 6.0))
    from app.ml.datasets import DATASETS

    x = DATASETS[config.dataset].load(config).x_train[:256]
    z1 = model.layers["layer1"].linear(x).detach()  # (256, 32): the oracle, computed directly
    first = out["layers"][0]
    assert first["layer"] == 1 and len(first["counts"]) == len(out["edges"]) - 1
    assert sum(first["counts"]) + first["below"] + first["above"] == z1.numel()
    s = torch.sigmoid(z1)
    assert first["mean_deriv"] == pytest.approx(float((s * (1 - s)).mean()), rel=1e-5)
    assert first["mean_deriv"] <= 0.25


def test_the_documented_example_is_a_valid_lesson():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "lessons.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    lesson = parse(example, "toml", "docs/lessons.md")
    assert [s.view.kind for s in lesson.steps] == ["preset", "function", "record"]
