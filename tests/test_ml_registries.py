"""Registries: derivatives against autograd, their bounds, inits against PyTorch and theory, datasets."""

import numpy as np
import pytest
import torch
from torch import nn

from app.ml.activations import ACTIVATIONS
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.inits import INITS
from app.ml.model import build_model

Z = torch.linspace(-8, 8, 4001, dtype=torch.float64)


@pytest.mark.parametrize("key", list(ACTIVATIONS))
def test_registry_derivative_matches_autograd_of_the_module(key):
    act = ACTIVATIONS[key]
    cfg = RunConfig(activation=key, negative_slope=0.2)
    z = Z.clone().requires_grad_()
    (expected,) = torch.autograd.grad(act.module(cfg)(z).sum(), z)
    got = act.deriv(Z, cfg)
    assert got.shape == Z.shape
    assert torch.allclose(got, expected, atol=1e-7), key


@pytest.mark.parametrize("key", list(ACTIVATIONS))
def test_deriv_bound_is_the_supremum_of_the_derivative(key):
    act = ACTIVATIONS[key]
    d = act.deriv(Z, RunConfig(activation=key)).abs()
    assert d.max().item() <= act.deriv_bound + 1e-4
    assert d.max().item() >= act.deriv_bound - 1e-3  # tight, not just any upper bound
    assert act.recommended_init in INITS
    assert act.kind in ("saturating", "rectifying", "smooth", "linear")


def test_the_sigmoid_bound_is_a_quarter():
    assert ACTIVATIONS["sigmoid"].deriv_bound == 0.25


def test_default_init_reproduces_pytorchs_linear_from_the_same_seed():
    torch.manual_seed(1234)  # nn.Linear draws from the global generator; ours from a private one
    reference = nn.Linear(7, 5)
    w, b = torch.empty(5, 7), torch.empty(5)
    INITS["default"].apply(w, b, RunConfig(), torch.Generator().manual_seed(1234))
    assert torch.equal(w, reference.weight.detach()) and torch.equal(b, reference.bias.detach())


@pytest.mark.parametrize(
    ("key", "variance"),
    [
        ("xavier_uniform", lambda fi, fo: 2 / (fi + fo)),
        ("xavier_normal", lambda fi, fo: 2 / (fi + fo)),
        ("kaiming_uniform", lambda fi, fo: 2 / fi),
        ("kaiming_normal", lambda fi, fo: 2 / fi),
        ("lecun_normal", lambda fi, fo: 1 / fi),
        ("normal", lambda fi, fo: 0.3**2),
        ("default", lambda fi, fo: 1 / (3 * fi)),
    ],
)
def test_init_variances_follow_their_formulas(key, variance):
    fan_in, fan_out = 400, 300
    w, b = torch.empty(fan_out, fan_in), torch.empty(fan_out)
    INITS[key].apply(w, b, RunConfig(activation="relu", init_std=0.3), torch.Generator().manual_seed(0))
    assert w.var().item() == pytest.approx(variance(fan_in, fan_out), rel=0.03)
    if key != "default":
        assert torch.count_nonzero(b) == 0


def test_orthogonal_and_zeros():
    w, b = torch.empty(20, 30), torch.empty(20)
    INITS["orthogonal"].apply(w, b, RunConfig(), torch.Generator().manual_seed(0))
    assert torch.allclose(w @ w.T, torch.eye(20), atol=1e-5)
    INITS["zeros"].apply(w, b, RunConfig(), torch.Generator().manual_seed(0))
    assert torch.count_nonzero(w) == 0


def test_kaiming_uses_the_leaky_slope():
    w, b = torch.empty(300, 400), torch.empty(300)
    INITS["kaiming_normal"].apply(
        w, b, RunConfig(activation="leaky_relu", negative_slope=0.5), torch.Generator().manual_seed(0)
    )
    assert w.var().item() == pytest.approx(2 / (1 + 0.5**2) / 400, rel=0.03)


def test_build_model_is_seeded_and_names_layers_input_to_output():
    a, b = build_model(RunConfig(seed=3)), build_model(RunConfig(seed=3))
    c = build_model(RunConfig(seed=4))
    assert list(a.layers) == ["layer1", "layer2", "layer3", "layer4", "layer5", "layer6", "output"]
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.linears()[0].weight, c.linears()[0].weight)


@pytest.mark.parametrize(
    "key", [k for k, d in DATASETS.items() if d.kind != "sequence"]
)  # sequences: test_ml_arch
def test_datasets_are_float32_seeded_and_split(key):
    ds = DATASETS[key]
    cfg = RunConfig(dataset=key, n_samples=300, test_split=0.25, seed=5)
    split = ds.load(cfg)
    n = 1797 if key == "digits" else 300
    assert len(split.y_train) + len(split.y_test) == n
    assert len(split.y_test) == round(n * 0.25)
    assert split.x_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    assert split.x_train.shape[1] == ds.input_dim
    assert set(split.y_train.tolist()) == set(range(ds.n_classes))
    again = ds.load(cfg)
    assert torch.equal(split.x_train, again.x_train) and torch.equal(split.y_test, again.y_test)
    other = ds.load(cfg.model_copy(update={"seed": 6}))
    assert not torch.equal(split.x_train, other.x_train)
    if ds.is_2d:  # standardised with the training statistics
        assert split.x_train.mean(0).abs().max().item() < 1e-5
        assert split.x_train.std(0, unbiased=False).sub(1).abs().max().item() < 1e-4


def test_noise_spreads_the_2d_points():
    def radii(noise: float) -> np.ndarray:
        x, _ = DATASETS["circles"].generate(
            RunConfig(dataset="circles", noise=noise), np.random.default_rng(0)
        )
        return np.linalg.norm(x, axis=1)  # before standardisation: data units

    assert set(np.round(radii(0.0), 9)) == {0.5, 1.0}  # two exact circles
    spread = radii(0.2) - np.where(radii(0.0) > 0.75, 1.0, 0.5)
    assert 0.1 < spread.std() < 0.3  # ~ the noise's std


@pytest.mark.parametrize("key", [k for k, a in ACTIVATIONS.items() if a.deriv_from_output is not None])
def test_derivative_from_the_output_equals_the_derivative_from_z(key):
    act = ACTIVATIONS[key]
    cfg = RunConfig(activation=key)
    z = torch.cat([Z, torch.zeros(1, dtype=torch.float64)])  # z = 0 exactly: ReLU's a'(0) = 0 convention
    got = act.deriv_from_output(act.module(cfg)(z), cfg)
    assert torch.allclose(got, act.deriv(z, cfg), atol=1e-12), key
    assert got[-1].item() == act.deriv(z, cfg)[-1].item()
