"""Every per-layer metric against an independent oracle: the same network written out by hand, torch.autograd.grad.

The oracle copies the trainer's weights, rebuilds the forward pass with plain tensor ops (no app.ml modules, no
registry derivatives) and differentiates it. Full-batch configs make the trainer's batch a permutation of the
training set, and every metric here is invariant under that permutation.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.ml.config import RunConfig
from app.ml.instrument import HIST_EDGES, HIST_SAMPLE, hist_bins
from app.ml.trainer import Trainer

torch.set_num_threads(1)

# a(z) written independently of app.ml.activations
ORACLE_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.where(z > 0, z, 0.2 * z),  # configs below use negative_slope=0.2
    "elu": lambda z: torch.where(z > 0, z, torch.expm1(z)),
    "gelu": lambda z: 0.5 * z * (1 + torch.erf(z / math.sqrt(2))),
    "silu": lambda z: z * torch.sigmoid(z),
    "selu": lambda z: 1.0507009873554805 * torch.where(z > 0, z, 1.6732632423543772 * torch.expm1(z)),
    "linear": lambda z: z,
}
SATURATING = {"sigmoid", "tanh"}
RECTIFYING = {"relu", "leaky_relu"}


def small_config(**kw) -> RunConfig:
    base = dict(
        dataset="moons", n_samples=50, test_split=0.2, depth=3, width=6, negative_slope=0.2,
        optimizer="sgd", lr=0.1, batch_size=4096, max_steps=5, seed=3,
    )  # fmt: skip
    return RunConfig(**{**base, **kw})


def weights_of(trainer: Trainer) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Detached float64 copies of every (W, b), input -> output."""
    return [
        (lin.weight.detach().double().clone(), lin.bias.detach().double().clone())
        for lin in trainer.model.linears()
    ]


def oracle_forward(cfg: RunConfig, params, x, norm_params=None):
    """Hand-written forward: returns logits and per hidden layer (z, a, h)."""
    act = ORACLE_ACT[cfg.activation]
    h, layers = x, []
    for k, (w, b) in enumerate(params[:-1]):
        z = h @ w.T + b
        if cfg.norm == "batchnorm":  # training mode: batch statistics, biased variance, eps 1e-5
            gamma, beta = norm_params[k]
            z = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + 1e-5) * gamma + beta
        elif cfg.norm == "layernorm":
            gamma, beta = norm_params[k]
            z = (z - z.mean(1, keepdim=True)) / torch.sqrt(
                z.var(1, unbiased=False, keepdim=True) + 1e-5
            ) * gamma + beta
        a = act(z)
        h = h + a if (cfg.residual and h.shape[1] == a.shape[1]) else a
        layers.append((z, a, h))
    w, b = params[-1]
    return h @ w.T + b, layers


def norm_params_of(trainer: Trainer):
    out = []
    for name in trainer.layer_names[:-1]:
        norm = trainer.model.layers[name].norm
        if hasattr(norm, "weight"):
            out.append((norm.weight.detach().double().clone(), norm.bias.detach().double().clone()))
    return out


def oracle_step(cfg: RunConfig, trainer: Trainer):
    """Everything the trainer reports for its next (full-batch, plain SGD) step, computed by hand."""
    x = trainer.data.x_train.double()
    y = trainer.data.y_train
    params = [(w.requires_grad_(), b.requires_grad_()) for w, b in weights_of(trainer)]
    norm_params = norm_params_of(trainer)
    logits, layers = oracle_forward(cfg, params, x, norm_params)
    loss = F.cross_entropy(logits, y)
    flat = [t for wb in params for t in wb]
    hs = [h for _, _, h in layers] + [logits]
    grads = torch.autograd.grad(loss, flat + hs)
    g_params, g_h = grads[: len(flat)], grads[len(flat) :]
    out = {"loss": loss.item(), "layers": []}
    for k, (w, _b) in enumerate(params):
        gw, gb = g_params[2 * k], g_params[2 * k + 1]
        rec = {
            "weight_grad_norm": gw.norm().item(),
            "bias_grad_norm": gb.norm().item(),
            "act_grad_norm": g_h[k].norm().item(),
            "weight_norm": w.detach().norm().item(),  # the weights this step's gradients were taken at
            "update_ratio": (cfg.lr * gw).norm().item() / w.detach().norm().item(),  # plain SGD, no decay
            "gw": gw,
        }
        if k < len(layers):
            z = layers[k][0].detach().clone().requires_grad_()
            (deriv,) = torch.autograd.grad(ORACLE_ACT[cfg.activation](z).sum(), z)  # a'(z), elementwise
            rec["mean_act_deriv"] = deriv.mean().item()
            rec["saturated_frac"] = (deriv < 0.01).all(0).double().mean().item()
            rec["dead_frac"] = (layers[k][1] == 0).all(0).double().mean().item()
        out["layers"].append(rec)
    return out


def close(a, b, rel=2e-5, abs_=1e-9):
    return a == pytest.approx(b, rel=rel, abs=abs_)


CASES = [{"activation": a} for a in ORACLE_ACT] + [
    {"activation": "tanh", "norm": "layernorm"},
    {"activation": "relu", "norm": "batchnorm"},
    {"activation": "sigmoid", "residual": True, "init": "xavier_normal"},
    {"activation": "relu", "init": "normal", "init_std": 2.0},  # large init: saturation and dead units appear
    {"activation": "sigmoid", "init": "normal", "init_std": 3.0},
]


@pytest.mark.parametrize("changes", CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_every_layer_metric_matches_the_autograd_oracle(changes):
    cfg = small_config(**changes)
    tr = Trainer(cfg, display_every=1, eval_every=1)
    tr.step()  # move off the initial weights first: step 2 is the one checked
    expected = oracle_step(cfg, tr)
    rec = tr.step()
    assert rec.full and rec.step == 2
    assert close(rec.loss, expected["loss"])
    assert [layer.name for layer in rec.layers] == ["layer1", "layer2", "layer3", "output"]
    for got, want in zip(rec.layers, expected["layers"], strict=True):
        # absolute slack at float32 resolution of the layer's gradient (BatchNorm makes dL/db exactly 0 in
        # exact arithmetic; float32 leaves ~1e-8 of it)
        slack = 1e-6 * want["weight_grad_norm"]
        for key in ("weight_grad_norm", "bias_grad_norm", "act_grad_norm", "weight_norm"):
            assert close(getattr(got, key), want[key], abs_=slack), (
                got.name,
                key,
                getattr(got, key),
                want[key],
            )
        # ||W_after - W_before|| of float32 weights: each element of a 1e-5 update is rounded to the weight's
        # ulp (~3e-8 for |w| ~ 0.3), so the applied update differs from lr * g by up to ~1e-3 relative.
        assert close(got.update_ratio, want["update_ratio"], rel=1e-3), (got.name, got.update_ratio)
        if got.name == "output":
            assert got.mean_act_deriv is None and got.saturated_frac is None and got.dead_frac is None
            continue
        assert close(got.mean_act_deriv, want["mean_act_deriv"]), (got.name, got.mean_act_deriv)
        if cfg.activation in SATURATING:
            assert got.saturated_frac == pytest.approx(want["saturated_frac"])
        else:
            assert got.saturated_frac is None
        if cfg.activation in RECTIFYING:
            assert got.dead_frac == pytest.approx(want["dead_frac"])
        else:
            assert got.dead_frac is None
        # the histogram: these layers are smaller than the sample, so every element is counted
        gw = np.abs(want["gw"].numpy().ravel())
        bins = np.clip(np.searchsorted(np.array(HIST_EDGES), gw, side="right") - 1, 0, len(HIST_EDGES) - 2)
        assert got.grad_hist == np.bincount(bins, minlength=len(HIST_EDGES) - 1).tolist()


def test_the_cases_exercise_saturation_and_dead_units():
    """The oracle comparisons above are not all zeros: some units really saturate or die."""
    seen = {}
    for changes in CASES[-2:]:
        cfg = small_config(**changes)
        expected = oracle_step(cfg, Trainer(cfg))
        seen[cfg.activation] = [
            r.get("saturated_frac", 0) + r.get("dead_frac", 0) for r in expected["layers"]
        ]
    assert max(seen["relu"]) > 0 and max(seen["sigmoid"]) > 0


def test_accuracies_test_loss_and_boundary_match_a_hand_forward_pass():
    cfg = small_config(activation="tanh", lr=0.5, max_steps=30)
    tr = Trainer(cfg, display_every=1, eval_every=1)
    for rec in tr:
        assert rec.train_acc is not None  # eval_every=1: every display step evaluates
    params = weights_of(tr)
    with torch.no_grad():
        logits_train, _ = oracle_forward(cfg, params, tr.data.x_train.double())
        logits_test, _ = oracle_forward(cfg, params, tr.data.x_test.double())
        assert rec.train_acc == pytest.approx(
            (logits_train.argmax(1) == tr.data.y_train).double().mean().item()
        )
        assert rec.test_acc == pytest.approx((logits_test.argmax(1) == tr.data.y_test).double().mean().item())
        assert close(rec.test_loss, F.cross_entropy(logits_test, tr.data.y_test).item())
        xs, ys = rec.boundary["x"], rec.boundary["y"]
        assert len(xs) == len(ys) == 40 and len(rec.boundary["z"]) == 40 and len(rec.boundary["z"][0]) == 40
        # the grid spans the data
        all_x = torch.cat([tr.data.x_train, tr.data.x_test])
        assert xs[0] < all_x[:, 0].min() < all_x[:, 0].max() < xs[-1]
        assert ys[0] < all_x[:, 1].min() < all_x[:, 1].max() < ys[-1]
        grid = torch.tensor([[x, y] for y in ys for x in xs], dtype=torch.float64)
        logits_grid, _ = oracle_forward(cfg, params, grid)
        want = logits_grid.argmax(1).view(40, 40).tolist()  # row i: y = ys[i], column j: x = xs[j]
    mismatches = sum(
        a != b for ra, rb in zip(rec.boundary["z"], want, strict=True) for a, b in zip(ra, rb, strict=True)
    )
    assert mismatches <= 2  # float32 vs float64 may disagree exactly on the decision line
    assert len({c for row in want for c in row}) == 2  # both classes appear: the test can fail


def test_histogram_of_a_large_layer_counts_a_fixed_sample():
    cfg = small_config(width=128, depth=2)
    tr = Trainer(cfg, display_every=1)
    rec = tr.step()
    hidden = rec.layers[1]  # 128 x 128 = 16,384 elements > HIST_SAMPLE
    assert sum(hidden.grad_hist) == HIST_SAMPLE
    # the sample is every 4th element (fixed, evenly spread); the optimizer leaves .grad as it was
    sample = np.abs(tr.model.linears()[1].weight.grad.numpy().ravel()[::4])
    bins = np.clip(np.searchsorted(np.array(HIST_EDGES), sample, side="right") - 1, 0, len(HIST_EDGES) - 2)
    assert hidden.grad_hist == np.bincount(bins, minlength=len(HIST_EDGES) - 1).tolist()
    assert sum(rec.layers[0].grad_hist) == 128 * 2  # small layers: every element
    assert len(hidden.grad_hist) == len(HIST_EDGES) - 1


def test_hist_bins_against_numpy_with_zeros_and_non_finite_values():
    rng = np.random.default_rng(0)
    values = np.concatenate([10 ** rng.uniform(-14, 4, 20_000), [0.0, 1e-30, 5e3]]) * rng.choice(
        [-1, 1], 20_003
    )
    expected = np.clip(
        np.searchsorted(np.array(HIST_EDGES), np.abs(values), side="right") - 1, 0, len(HIST_EDGES) - 2
    )
    got = hist_bins(torch.tensor(values, dtype=torch.float64)).numpy()
    # an element within float rounding of an edge may land either side of it
    near_edge = np.isclose(np.abs(values)[:, None], np.array(HIST_EDGES)[None, :], rtol=1e-12).any(axis=1)
    assert np.array_equal(got[~near_edge], expected[~near_edge])
    assert got[-3] == 0 and got[-2] == 0 and got[-1] == len(HIST_EDGES) - 2  # zero, tiny, huge
    special = hist_bins(torch.tensor([float("nan"), float("inf"), -float("inf")])).tolist()
    assert special == [len(HIST_EDGES) - 2] * 3  # a diverged gradient lands in the top bin


def test_a_vanished_signal_below_float32_squares_is_still_measured():
    """In a 30-layer sigmoid net dL/dh of the first layers is ~1e-28: its float32 square is 0, so the probe must
    redo those norms in float64 rather than report 0."""
    cfg = small_config(depth=30, activation="sigmoid")
    tr = Trainer(cfg, display_every=1)
    expected = oracle_step(cfg, tr)
    rec = tr.step()
    tiny = [k for k, want in enumerate(expected["layers"]) if want["act_grad_norm"] < 1e-19]
    assert tiny, "the case must reach float32's underflow, or it tests nothing"
    for got, want in zip(rec.layers, expected["layers"], strict=True):
        assert got.act_grad_norm == pytest.approx(want["act_grad_norm"], rel=1e-3, abs=0), got.name
