"""Architectures beyond the MLP: sizes, names, sequence data, the time profile end to end, and float64 oracles."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from app.live.messages import step_dict
from app.ml.arch.build import BUILDERS, build_network
from app.ml.arch.specs import ARCHITECTURES
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.trainer import Trainer
from app.store import codec

torch.set_num_threads(1)

SEQ = {"n_samples": 200, "seq_len": 12, "width": 8}


def test_builders_and_specs_share_their_keys_and_fields_default_per_architecture():
    assert list(BUILDERS) == list(ARCHITECTURES)
    assert RunConfig().architecture == "mlp" and RunConfig().dataset == "spiral"
    assert (
        RunConfig(architecture="rnn").dataset == "adding"
        and RunConfig(architecture="rnn").activation == "tanh"
    )
    assert RunConfig(architecture="cnn").dataset == "digits"
    assert RunConfig(architecture="rnn", activation="relu").activation == "relu"  # given wins
    with pytest.raises(ValueError, match="sequence data"):
        RunConfig(architecture="lstm", dataset="spiral")
    with pytest.raises(ValueError, match="points or image"):
        RunConfig(dataset="adding")
    with pytest.raises(ValueError, match="multiple of heads"):
        RunConfig(architecture="transformer", width=30, heads=4)


@pytest.mark.parametrize(
    "fields",
    [
        {"architecture": "rnn", **SEQ},
        {"architecture": "lstm", **SEQ},
        {"architecture": "gru", "dataset": "temporal_order", **SEQ},
        {"architecture": "cnn", "depth": 3, "width": 4, "norm": "batchnorm"},
        {"architecture": "cnn", "depth": 2, "width": 4, "norm": "layernorm", "residual": True},
        {"architecture": "transformer", "depth": 2, "width": 8, "heads": 2, "ffn_width": 16, **SEQ},
        {"architecture": "transformer", "depth": 2, "norm_position": "pre", "heads": 2, **SEQ},
    ],
)
def test_param_count_matches_the_built_network_and_layers_are_named_by_module(fields):
    cfg = RunConfig(**fields)
    model = build_network(cfg)
    assert cfg.param_count() == sum(p.numel() for p in model.parameters())
    names = model.layer_names
    assert names[-1] == "output" and len(names) == len(model.linears())
    modules = dict(model.named_modules())
    if cfg.architecture == "cnn":  # conv k is the convolution of the k-th layer (layers.convk.conv)
        assert names == [f"conv{k}" for k in range(1, cfg.depth + 1)] + ["output"]
        modules = {k.removeprefix("layers.").removesuffix(".conv"): m for k, m in modules.items()}
    elif cfg.architecture == "transformer":
        assert names[:5] == ["embed", "block1.attn.qkv", "block1.attn.out", "block1.ffn.w1", "block1.ffn.w2"]
    else:
        assert names == ["cell.w_ih", "cell.w_hh", "output"]
    assert all(
        modules[n] is m for n, m in zip(names, model.linears(), strict=True)
    )  # the name is the module's


def test_the_adding_problem_is_hochreiters():
    cfg = RunConfig(architecture="lstm", n_samples=4000, seq_len=40)
    x, y = DATASETS["adding"].generate(cfg, np.random.default_rng(0))
    assert x.shape == (4000, 40, 2)
    values, markers = x[..., 0], x[..., 1]
    assert (markers.sum(axis=1) == 2).all() and values.min() >= -1 and values.max() <= 1
    first = markers.argmax(axis=1)
    assert (
        first.max() < 10 and (np.nonzero(markers)[1].reshape(-1, 2)[:, 1] < 20).all()
    )  # first 10 / first T/2
    np.testing.assert_allclose(y, 0.5 + (values * markers).sum(axis=1) / 4)
    assert abs(y.var() - 1 / 24) < 0.003  # the constant predictor's mean squared error
    split = DATASETS["adding"].load(cfg)
    assert split.y_train.dtype == torch.float32 and split.x_train.shape[1:] == (40, 2)


def test_temporal_order_has_four_balanced_classes():
    cfg = RunConfig(architecture="lstm", dataset="temporal_order", n_samples=2000, seq_len=30)
    x, y = DATASETS["temporal_order"].generate(cfg, np.random.default_rng(1))
    assert x.shape == (2000, 30, 6) and (x.sum(axis=2) == 1).all()
    assert set(np.bincount(y)) and all(400 < c < 600 for c in np.bincount(y, minlength=4))
    assert (x[..., 4:].sum(axis=(1, 2)) == 2).all()  # exactly two of X/Y per sequence


@pytest.mark.parametrize("architecture", ["rnn", "lstm", "gru"])
def test_time_profile_comes_on_display_steps_and_travels_to_the_wire_and_the_store(architecture):
    tr = Trainer(RunConfig(architecture=architecture, max_steps=6, **SEQ), display_every=5)
    records = list(tr)
    assert [r.time is not None for r in records] == [True, False, False, False, True, True]
    rec = records[-1]
    assert rec.time["t"] == list(range(1, 13)) and len(rec.time["hidden_grad_norm"]) == 12
    assert all(v > 0 for v in rec.time["hidden_grad_norm"])
    wire = step_dict(rec)
    assert wire["time"] == rec.time
    back = codec.from_wire(wire)
    assert back.time == rec.time
    stored = codec.from_row(codec.to_row("r", rec)[1:], tr.layer_names)
    assert stored.time == rec.time
    assert "time" not in step_dict(records[1])


def test_mlp_cnn_and_transformer_records_carry_no_time_profile():
    for fields in (
        {},
        {"architecture": "cnn", "depth": 2, "width": 4},
        {"architecture": "transformer", **SEQ},
    ):
        tr = Trainer(RunConfig(max_steps=1, **fields))
        assert tr.step().time is None


def test_warmup_raises_the_learning_rate_linearly():
    tr = Trainer(RunConfig(warmup_steps=4, lr=0.04, max_steps=6, depth=2, width=4, n_samples=100))
    lrs = []
    for _ in range(6):
        tr.step()
        lrs.append(tr.optimizer.param_groups[0]["lr"])
    assert lrs == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.04, 0.04])


# --- float64 oracles: the same network written out by hand, unrolled step by step


def _weights64(tr):
    return {
        n: (m.weight.detach().double().requires_grad_(), m.bias.detach().double().requires_grad_())
        for n, m in zip(tr.layer_names, tr.model.linears(), strict=True)
    }


def test_tanh_rnn_matches_hand_written_backpropagation_through_time():
    cfg = RunConfig(architecture="rnn", batch_size=16, **SEQ)
    tr = Trainer(cfg)
    rec = tr.evaluate_full()  # first batch_size training rows, weights at initialisation
    w = _weights64(tr)
    x, y = tr.data.x_train[:16].double(), tr.data.y_train[:16].double()
    (w_ih, b_ih), (w_hh, b_hh), (w_o, b_o) = w["cell.w_ih"], w["cell.w_hh"], w["output"]
    hs = [torch.zeros(16, cfg.width, dtype=torch.float64)]
    for t in range(cfg.seq_len):  # forward: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)
        hs.append(torch.tanh(x[:, t] @ w_ih.T + b_ih + hs[-1] @ w_hh.T + b_hh))
    out = hs[-1] @ w_o.T + b_o
    loss = ((out[:, 0] - y) ** 2).mean()
    # backward by hand: dL/dh_T = W_oᵀ dL/dout; dL/dh_(t-1) = W_hhᵀ (dL/dh_t ⊙ (1 - h_t²))
    delta = (2 * (out[:, 0] - y) / 16)[:, None] @ w_o
    grads, g_hh = [delta], torch.zeros_like(w_hh)
    for t in range(cfg.seq_len, 0, -1):
        dz = delta * (1 - hs[t] ** 2)
        g_hh += dz.T @ hs[t - 1]
        delta = dz @ w_hh
        grads.append(delta)
    expected = [torch.linalg.vector_norm(g).item() for g in reversed(grads[:-1])]  # t = 1..T
    assert rec.loss == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(rec.time["hidden_grad_norm"], expected, rtol=1e-4)
    # the chain rule's factor of each step: ||diag(mean over the batch of tanh'(z_t)) W_hh||_2
    factors = [
        torch.linalg.matrix_norm((1 - hs[t] ** 2).mean(0)[:, None] * w_hh, ord=2).item() for t in range(1, 13)
    ]
    np.testing.assert_allclose(rec.time["step_factor"], factors, rtol=1e-4)
    w_hh_rec = next(layer for layer in rec.layers if layer.name == "cell.w_hh")
    assert w_hh_rec.weight_grad_norm == pytest.approx(torch.linalg.vector_norm(g_hh).item(), rel=1e-4)


def _lstm64(w, x, width):
    (w_ih, b_ih), (w_hh, b_hh) = w["cell.w_ih"], w["cell.w_hh"]
    h = torch.zeros(x.shape[0], width, dtype=torch.float64)
    c, hs, gates = torch.zeros_like(h), [], []
    for t in range(x.shape[1]):
        z = x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = (z[:, k * width : (k + 1) * width] for k in range(4))
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
        gates.append(torch.sigmoid(f).mean().item())  # the forget gate: the cell path's factor
    return hs, gates


def _gru64(w, x, width):
    (w_ih, b_ih), (w_hh, b_hh) = w["cell.w_ih"], w["cell.w_hh"]
    h, hs, gates = torch.zeros(x.shape[0], width, dtype=torch.float64), [], []
    for t in range(x.shape[1]):
        gx, gh = x[:, t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = torch.sigmoid(gx[:, :width] + gh[:, :width])
        z = torch.sigmoid(gx[:, width : 2 * width] + gh[:, width : 2 * width])
        n = torch.tanh(gx[:, 2 * width :] + r * gh[:, 2 * width :])
        h = (1 - z) * n + z * h
        hs.append(h)
        gates.append(z.mean().item())  # the update gate: the direct path's factor
    return hs, gates


@pytest.mark.parametrize(("architecture", "unroll"), [("lstm", _lstm64), ("gru", _gru64)])
def test_gated_cells_match_a_float64_unrolled_oracle(architecture, unroll):
    cfg = RunConfig(architecture=architecture, batch_size=16, forget_bias=2.0, **SEQ)
    tr = Trainer(cfg)
    rec = tr.evaluate_full()
    w = _weights64(tr)
    x, y = tr.data.x_train[:16].double(), tr.data.y_train[:16].double()
    hs, gates = unroll(w, x, cfg.width)
    w_o, b_o = w["output"]
    loss = (((hs[-1] @ w_o.T + b_o)[:, 0] - y) ** 2).mean()
    grads = torch.autograd.grad(loss, hs)  # the total dL/dh_t of the oracle's own graph
    assert rec.loss == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(
        rec.time["hidden_grad_norm"], [torch.linalg.vector_norm(g).item() for g in grads], rtol=1e-4
    )
    np.testing.assert_allclose(rec.time["step_factor"], gates, rtol=1e-4)
    if architecture == "lstm":
        assert torch.equal(tr.model.cell.w_ih.bias[8:16], torch.full((8,), 2.0))  # the forget gate's block


def test_instrumenting_never_perturbs_a_recurrent_run():
    cfg = RunConfig(architecture="lstm", max_steps=8, optimizer="adam", lr=0.01, **SEQ)
    dense = [dataclasses.replace(r, t=0.0, time=None) for r in Trainer(cfg, display_every=1)]
    sparse = [dataclasses.replace(r, t=0.0) for r in Trainer(cfg, display_every=1000)]
    assert [r.loss for r in dense] == [r.loss for r in sparse]
    assert all(math.isfinite(r.loss) for r in dense)


def test_length_sweep_is_exponential_for_the_tanh_rnn_and_refuses_feedforward_kinds():
    from app.ml.sweep_time import length_sweep

    out = length_sweep(["rnn"], max_len=40, seeds=1, width=8)
    ratios = out["series"][0]["ratio"]
    assert out["lengths"][0] == 10 and out["lengths"][-1] == 40
    assert all(b < a for a, b in zip(ratios, ratios[1:], strict=False))
    with pytest.raises(ValueError, match="not a recurrent"):
        length_sweep(["mlp"])
