"""The client's layer discovery, its fused norms against a float64 oracle, strict JSON, and its imports."""

import json
import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from gradcast.deferred import Deferred
from gradcast.layers import GradNorms, NormReader, find_layers, unwrap
from gradcast.wire import Captured, step_record

torch.set_num_threads(1)


def oracle(model: nn.Module) -> dict[str, float]:
    """Each parameter's gradient norm in float64, computed one by one."""
    return {n: p.grad.double().norm().item() for n, p in model.named_parameters() if p.grad is not None}


def backward(model: nn.Module, x: torch.Tensor) -> None:
    model.zero_grad(set_to_none=True)
    model(x).float().square().mean().backward()


def layer_norms(model: nn.Module, with_weights: bool = False) -> list[dict]:
    """What the client sends per layer, decoded from its own step record."""
    layers, params, _ = find_layers(model)
    norms = NormReader(params).read(with_weights)
    return step_record(Captured(step=1, t=0.0, norms=norms, loss=0.5), layers)["layers"]


def given(grads: list[float], loss: float, step: int) -> Captured:
    """A captured step with these per-parameter gradient norms, as if read from a model."""
    norms = GradNorms(Deferred(torch.tensor(grads, dtype=torch.float64)), None, len(grads), False)
    return Captured(step=step, t=1.5, norms=norms, loss=loss)


def test_cnn_layers_are_modules_with_direct_parameters_in_named_modules_order():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Sequential(nn.Linear(144, 8), nn.Tanh()),
        nn.Linear(8, 3, bias=False),
    )
    layers, params, _ = find_layers(model)
    assert [(x.name, x.kind) for x in layers] == [
        ("0", "Conv2d"),
        ("1", "BatchNorm2d"),
        ("4.0", "Linear"),
        ("5", "Linear"),
    ]
    assert len(params) == 7  # 2 + 2 + 2 + 1: every trainable parameter exactly once
    backward(model, torch.randn(5, 1, 8, 8))
    want = oracle(model)
    got = layer_norms(model)
    for entry, prefix in zip(got, ["0", "1", "4.0", "5"], strict=True):
        assert entry["weight_grad_norm"] == pytest.approx(want[f"{prefix}.weight"], rel=1e-5)
        if f"{prefix}.bias" in want:
            assert entry["bias_grad_norm"] == pytest.approx(want[f"{prefix}.bias"], rel=1e-5)
        else:
            assert entry["bias_grad_norm"] is None  # Linear(bias=False)


def test_transformer_attention_without_weight_uses_the_norm_over_its_own_parameters():
    torch.manual_seed(0)
    model = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)
    layers, _, _ = find_layers(model)
    names = [x.name for x in layers]
    assert names == ["self_attn", "self_attn.out_proj", "linear1", "linear2", "norm1", "norm2"]
    backward(model, torch.randn(3, 5, 16))
    want = oracle(model)
    got = {e["name"]: e for e in layer_norms(model, with_weights=True)}
    # MultiheadAttention owns in_proj_weight and in_proj_bias directly, no `weight`: their joint L2 norm.
    joint = math.hypot(want["self_attn.in_proj_weight"], want["self_attn.in_proj_bias"])
    assert got["self_attn"]["weight_grad_norm"] == pytest.approx(joint, rel=1e-5)
    assert got["self_attn"]["bias_grad_norm"] is None
    assert got["linear2"]["weight_grad_norm"] == pytest.approx(want["linear2.weight"], rel=1e-5)
    assert got["norm1"]["bias_grad_norm"] == pytest.approx(want["norm1.bias"], rel=1e-5)
    assert got["linear1"]["weight_norm"] == pytest.approx(
        model.linear1.weight.double().norm().item(), rel=1e-5
    )


def test_frozen_tied_and_unused_parameters():
    torch.manual_seed(0)
    emb = nn.Embedding(10, 6)
    head = nn.Linear(6, 10, bias=False)
    head.weight = emb.weight  # tied: belongs to the first module that owns it
    frozen = nn.Linear(6, 6)
    frozen.requires_grad_(False)
    unused = nn.Linear(6, 6)
    model = nn.ModuleDict({"emb": emb, "frozen": frozen, "unused": unused, "head": head})
    layers, params, _ = find_layers(model)
    assert [x.name for x in layers] == ["emb", "unused"]
    assert len(params) == 3
    tokens = torch.tensor([1, 2, 3])
    head(frozen(emb(tokens))).square().mean().backward()  # `unused` takes no part: its grads stay None
    got = layer_norms(model)
    assert got[0]["weight_grad_norm"] == pytest.approx(emb.weight.grad.double().norm().item(), rel=1e-5)
    assert got[1] == {"name": "unused", "weight_grad_norm": 0.0, "bias_grad_norm": 0.0}


def test_half_precision_norms_do_not_overflow():
    model = nn.Linear(256, 256).half()
    with torch.no_grad():
        model.weight.fill_(1.0)
    model.weight.grad = torch.full_like(model.weight, 300.0)  # fp16 sum of squares would be inf (max 65504)
    model.bias.grad = torch.zeros_like(model.bias)
    got = layer_norms(model)
    assert got[0]["weight_grad_norm"] == pytest.approx(300.0 * 256, rel=1e-3)


def test_wrappers_are_unwrapped_so_names_are_the_users_own():
    inner = nn.Sequential(nn.Linear(2, 2))
    assert unwrap(nn.DataParallel(inner)) is inner
    assert [x.name for x in find_layers(unwrap(nn.DataParallel(inner)))[0]] == ["0"]


def test_a_model_without_trainable_parameters_is_refused_at_once():
    with pytest.raises(ValueError, match="no trainable parameters"):
        find_layers(nn.ReLU())


def test_non_finite_numbers_become_null_with_the_flag_and_the_json_is_strict():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    layers, params, _ = find_layers(model)
    grads = [math.nan, 1.0, math.inf, 2.0]  # layer 0 weight NaN, layer 1 weight inf
    record = step_record(given(grads, math.inf, 7), layers)
    text = json.dumps(record, allow_nan=False)  # raises if a NaN or Infinity token were left
    back = json.loads(text)
    assert back["nonfinite"] is True and back["loss"] is None and back["step"] == 7
    assert back["layers"][0] == {
        "name": "0",
        "weight_grad_norm": None,
        "bias_grad_norm": 1.0,
        "nonfinite": True,
    }
    assert back["layers"][1]["weight_grad_norm"] is None and back["layers"][1]["bias_grad_norm"] == 2.0
    clean = step_record(given([1.0, 1.0, 1.0, 1.0], 0.25, 8), layers)
    assert "nonfinite" not in clean and all("nonfinite" not in x for x in clean["layers"])


def test_the_client_imports_no_web_framework():
    code = (
        "import sys, gradcast; from gradcast import watch; "
        "bad = sorted(m for m in ('app', 'fastapi', 'uvicorn', 'starlette', 'pydantic', 'httpx', 'requests') "
        "if m in sys.modules); print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""


def test_a_users_config_is_made_strict_json_before_it_is_sent():
    from gradcast.registration import json_safe

    cfg = json_safe(
        {"device": torch.device("cpu"), "dtype": torch.float32, "lr": math.nan, "sizes": [1, 2.5]}
    )
    assert cfg == {"device": "cpu", "dtype": "torch.float32", "lr": None, "sizes": [1, 2.5]}
    json.dumps(cfg, allow_nan=False)


def test_histograms_bin_a_strided_sample_exactly_as_the_trainer_does():
    from app.ml.instrument import hist_bins
    from gradcast.display import GradHistogram
    from gradcast.protocol import HIST_BINS

    torch.manual_seed(0)
    small, big = nn.Linear(4, 3), nn.Linear(200, 50)  # 12 elements; 10,000 -> every 3rd (3,334)
    small.weight.grad = torch.randn(3, 4) * 1e-3
    big.weight.grad = torch.randn(50, 200).mul_(torch.logspace(-9, 1, 200))
    big.weight.grad[0, :3] = torch.tensor([0.0, math.inf, math.nan])
    counts = GradHistogram([small.weight, big.weight]).counts().tolist()
    for w, got in zip((small.weight, big.weight), counts, strict=True):
        sample = w.grad.reshape(-1)[:: -(-w.numel() // 4096)]
        assert got == torch.bincount(hist_bins(sample), minlength=HIST_BINS).tolist()
    assert sum(counts[1]) == 3334
