"""The lecture's claims, measured: sigmoid's factor <= 0.25, deep sigmoid vanishes, ReLU holds up, depth sweep."""

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ml.config import RunConfig
from app.ml.inits import INITS
from app.ml.model import build_model
from app.ml.presets import PRESETS
from app.ml.sweep import depth_sweep
from app.ml.trainer import Trainer

torch.set_num_threads(1)
LN2 = math.log(2)


def first_last_ratio(record) -> float:
    return record.layers[0].weight_grad_norm / record.layers[-1].weight_grad_norm


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(1, 6),
    width=st.integers(1, 24),
    init=st.sampled_from(list(INITS)),
    init_std=st.floats(0.01, 5.0),
    norm=st.sampled_from(["none", "batchnorm", "layernorm"]),
    residual=st.booleans(),
    dataset=st.sampled_from(["spiral", "circles", "xor", "gaussians"]),
    seed=st.integers(0, 1000),
)
def test_the_sigmoids_mean_derivative_never_exceeds_a_quarter(
    depth, width, init, init_std, norm, residual, dataset, seed
):
    cfg = RunConfig(
        activation="sigmoid", depth=depth, width=width, init=init, init_std=init_std, norm=norm,
        residual=residual, dataset=dataset, seed=seed, n_samples=100, lr=0.5, max_steps=3,
    )  # fmt: skip
    for rec in Trainer(cfg, display_every=1):
        for layer in rec.layers[:-1]:
            assert 0.0 < layer.mean_act_deriv <= 0.25 + 1e-7


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ten_sigmoid_layers_with_default_init_vanish_at_initialisation(seed):
    cfg = RunConfig(activation="sigmoid", init="default", depth=10, seed=seed)
    rec = Trainer(cfg).step()  # step 1's gradients are taken at the initial weights
    assert first_last_ratio(rec) < 1e-4
    # the per-layer gradient shrinks toward the input (the chain rule at work), not just at the ends
    grads = [layer.weight_grad_norm for layer in rec.layers[:-1]]
    assert all(a < b for a, b in zip(grads[:3], grads[1:4], strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ten_relu_layers_with_kaiming_normal_hold_up_at_initialisation(seed):
    cfg = RunConfig(activation="relu", init="kaiming_normal", depth=10, seed=seed)
    rec = Trainer(cfg).step()
    assert 1e-2 <= first_last_ratio(rec) <= 1e2


def run_preset(name: str, steps: int) -> tuple[list[float], list[float]]:
    """(losses, first/last weight-gradient ratios) of a single preset's first `steps` steps."""
    cfg = PRESETS[name].runs[0].config.model_copy(update={"max_steps": steps})
    losses, ratios = [], []
    for rec in Trainer(cfg, display_every=1000):
        losses.append(rec.loss)
        ratios.append(first_last_ratio(rec))
    return losses, ratios


def test_relu_deep_learns_the_spiral_while_sigmoid_deep_stays_at_ln2():
    relu_losses, relu_ratios = run_preset("relu-deep", 300)
    sig_losses, sig_ratios = run_preset("sigmoid-deep", 300)
    tail = slice(-30, None)
    relu_tail = sum(relu_losses[tail]) / 30
    sig_tail = sum(sig_losses[tail]) / 30
    assert relu_tail < 0.5 * LN2, relu_tail  # well below chance
    assert abs(sig_tail - LN2) < 0.02, sig_tail  # a coin flip, still
    # what the room sees during training: sigmoid's first layer fades, ReLU's keeps pace with the output
    assert max(sig_ratios) < 1e-3, max(sig_ratios)
    assert min(relu_ratios) >= 1e-2 and max(relu_ratios) <= 1e2, (min(relu_ratios), max(relu_ratios))


def test_exploding_preset_diverges_naming_step_and_layer():
    cfg = PRESETS["exploding"].runs[0].config
    tr = Trainer(cfg, display_every=1)
    first = tr.step()
    # the backpropagated signal doubles per layer toward the input: ~2^10 between output and layer1
    assert first.layers[0].act_grad_norm > 300 * first.layers[-1].act_grad_norm
    assert min(layer.weight_grad_norm for layer in first.layers) > 100  # a healthy net has ~1e-2
    records = [first, *tr]
    assert tr.done and tr.diverged is not None and records[-1].diverged == tr.diverged
    assert tr.diverged["step"] == records[-1].step <= 20
    assert tr.diverged["layer"] in tr.layer_names or tr.diverged["layer"] == "loss"


def test_batchnorm_and_residual_rescue_the_first_layers():
    _, vanished = run_preset("sigmoid-deep", 50)
    _, with_batchnorm = run_preset("batchnorm-rescue", 50)  # sigmoid-deep plus norm="batchnorm"
    assert max(vanished) < 1e-3 < min(with_batchnorm)
    _, with_skips = run_preset("residual-rescue", 50)
    assert min(with_skips) > 1e-3
    rescued_cfg = PRESETS["residual-rescue"].runs[0].config
    plain = Trainer(rescued_cfg.model_copy(update={"residual": False})).step()
    assert first_last_ratio(plain) < 1e-4  # without the skips, these 30 tanh layers vanish


def test_depth_sweep_matches_build_model_and_follows_the_bound():
    sweep = depth_sweep(["sigmoid", "relu"], max_depth=12, seeds=2)
    assert sweep["depths"] == list(range(1, 13))
    sig, relu = sweep["series"]
    assert sig["activation"] == "sigmoid" and relu["bound"] is None
    assert sig["bound"] == pytest.approx([0.25**d for d in range(1, 13)])
    # each point equals an independent build_model + autograd computation
    for depth in (1, 5, 12):
        values = []
        for seed in range(2):
            cfg = RunConfig(depth=depth, activation="sigmoid", seed=seed)
            model = build_model(cfg)
            data = Trainer(cfg).data
            x, y = data.x_train[:64], data.y_train[:64]
            loss = torch.nn.functional.cross_entropy(model(x), y)
            (g,) = torch.autograd.grad(loss, [model.linears()[0].weight])
            values.append(g.double().norm().item())
        assert sig["grad"][depth - 1] == pytest.approx(sum(values) / 2, rel=1e-5)
    # sigmoid: every 4 more layers cost at least 10x (0.25^4 ~ 4e-3 bounds the activation factor alone)
    assert all(sig["grad"][d + 4] < sig["grad"][d] / 10 for d in range(0, 8))


def test_depth_sweep_of_30_layers_reports_vanished_gradients_as_numbers_not_zero():
    sweep = depth_sweep(["sigmoid"], max_depth=30, seeds=1)
    grad = sweep["series"][0]["grad"]
    assert 0 < grad[-1] < 1e-15  # float64 norms: a 1e-23 gradient is not rounded to 0


def test_depth_sweep_refuses_unknown_activations():
    with pytest.raises(ValueError, match="softmax"):
        depth_sweep(["softmax"])


def test_the_first_comparison_shows_sigmoid_fading_while_relu_and_leaky_relu_hold_up():
    ratios = {}
    for run in PRESETS["sigmoid-vs-relu-vs-leaky-relu"].runs:
        tr = Trainer(run.config.model_copy(update={"max_steps": 100}), display_every=1000)
        ratios[run.label] = [first_last_ratio(rec) for rec in tr]
    assert max(ratios["sigmoid"]) < 1e-3
    for label in ("relu", "leaky_relu"):
        assert min(ratios[label]) >= 1e-2 and max(ratios[label]) <= 1e2, label
