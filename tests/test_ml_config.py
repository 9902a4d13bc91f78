"""RunConfig: defaults, bounds, refusals with the field named, the parameter cap, the schema the UI form reads."""

import math
import typing

import pytest
from pydantic import ValidationError

from app.ml.activations import ACTIVATIONS
from app.ml.config import MAX_PARAMS, RunConfig
from app.ml.datasets import DATASETS
from app.ml.inits import INITS
from app.ml.norms import NORMS
from app.ml.optim import OPTIMIZERS
from app.ml.trainer import Trainer


def error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_defaults_are_valid_and_build_a_trainer():
    cfg = RunConfig()
    assert cfg.dataset == "spiral" and cfg.grad_clip is None
    tr = Trainer(cfg)
    assert tr.layer_names == [f"layer{k}" for k in range(1, cfg.depth + 1)] + ["output"]


def test_choice_fields_offer_exactly_the_registry_keys():
    schema = RunConfig.model_json_schema()["properties"]
    assert schema["dataset"]["enum"] == list(DATASETS)
    assert schema["activation"]["enum"] == list(ACTIVATIONS)
    assert schema["init"]["enum"] == list(INITS)
    assert schema["norm"]["enum"] == list(NORMS)
    assert set(typing.get_args(RunConfig.model_fields["optimizer"].annotation)) == set(OPTIMIZERS)


def test_every_field_has_a_default_a_description_and_numeric_bounds():
    schema = RunConfig.model_json_schema()["properties"]
    assert set(schema) == set(RunConfig.model_fields)
    for name, prop in schema.items():
        assert "default" in prop, name
        assert prop.get("description"), name
        numeric = [p for p in prop.get("anyOf", [prop]) if p.get("type") in ("integer", "number")]
        for p in numeric:
            assert ("minimum" in p or "exclusiveMinimum" in p) and (
                "maximum" in p or "exclusiveMaximum" in p
            ), name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("depth", 0), ("depth", 65), ("width", 0), ("width", 513), ("lr", 0.0), ("lr", -1.0),
        ("batch_size", 0), ("max_steps", 1_000_001), ("test_split", 0.9), ("noise", -0.1),
        ("seed", -1), ("init_std", 1000.0), ("momentum", 1.0), ("grad_clip", -1.0), ("n_samples", 10),
        ("activation", "softmax"), ("init", "he"), ("dataset", "mnist"), ("norm", "groupnorm"),
        ("optimizer", "rmsprop"),
    ],
)  # fmt: skip
def test_out_of_range_values_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as exc:
        RunConfig(**{field: value})
    assert field in error_fields(exc.value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("field", ["lr", "noise", "init_std", "grad_clip", "weight_decay"])
def test_nan_and_infinite_numbers_are_refused(field, value):
    with pytest.raises(ValidationError) as exc:
        RunConfig(**{field: value})
    assert field in error_fields(exc.value)


def test_nan_is_refused_from_json_too():
    with pytest.raises(ValidationError) as exc:
        RunConfig.model_validate_json('{"lr": NaN}')
    assert "lr" in error_fields(exc.value)


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError) as exc:
        RunConfig(depht=5)
    assert "depht" in error_fields(exc.value)
    with pytest.raises(ValidationError):
        RunConfig(display_every=5)  # a trainer argument, not part of the run's definition


def test_param_count_matches_the_built_model():
    for cfg in [
        RunConfig(),
        RunConfig(dataset="digits", depth=3, width=17),
        RunConfig(depth=2, width=9, norm="batchnorm"),
        RunConfig(depth=4, width=5, norm="layernorm", residual=True),
    ]:
        model = Trainer(cfg).model
        assert cfg.param_count() == sum(p.numel() for p in model.parameters())


def test_the_parameter_cap_names_depth_width_and_the_count():
    assert RunConfig(depth=19, width=512).param_count() <= MAX_PARAMS  # the cap allows a big network
    with pytest.raises(ValidationError) as exc:
        RunConfig(depth=64, width=512)
    msg = str(exc.value)
    count = RunConfig.model_construct(depth=64, width=512).param_count()
    assert "depth=64" in msg and "width=512" in msg and f"{count:,}" in msg and f"{MAX_PARAMS:,}" in msg


def test_batchnorm_needs_two_rows():
    with pytest.raises(ValidationError, match="batch_size"):
        RunConfig(norm="batchnorm", batch_size=1)


def test_grad_clip_zero_and_none_both_mean_off():
    assert RunConfig(grad_clip=0).grad_clip == 0
    assert RunConfig(grad_clip=None).grad_clip is None


def test_config_round_trips_through_json():
    cfg = RunConfig(activation="leaky_relu", negative_slope=0.1, grad_clip=1.5, depth=12)
    assert RunConfig.model_validate_json(cfg.model_dump_json()) == cfg
