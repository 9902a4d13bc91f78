"""The MLP's forward pass calls its parts' forward directly: it must give exactly what the modules give when called."""

import pytest
import torch
from torch import nn

from app.ml.config import RunConfig
from app.ml.model import Capture, HiddenLayer, build_model

torch.set_num_threads(1)


def called_through_modules(model, x: torch.Tensor) -> torch.Tensor:
    """The same network, every part called as a module (nn.Module.__call__), Identity norms included."""
    h = x
    for name, layer in model.layers.items():
        if name == "output":
            return layer(h)
        a = layer.act(layer.norm(layer.linear(h)))
        h = h + a if layer.residual else a
    raise AssertionError("no output layer")


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"activation": "sigmoid", "depth": 10, "width": 64},
        {"activation": "leaky_relu", "negative_slope": 0.2, "norm": "batchnorm"},
        {"activation": "tanh", "norm": "layernorm", "residual": True},
    ],
)
def test_forward_is_bitwise_the_modules_forward(fields):
    model = build_model(RunConfig(**fields))
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    captures: list[Capture] = []
    out = model(x, captures)
    assert torch.equal(out, called_through_modules(model, x))
    assert len(captures) == len(model.layer_names) and torch.equal(captures[-1].h, out)


def test_identity_norm_is_skipped_but_kept_as_a_module():
    model = build_model(RunConfig(depth=2))
    layer = model.layers["layer1"]
    assert isinstance(layer, HiddenLayer) and isinstance(layer.norm, nn.Identity) and not layer.has_norm
    assert build_model(RunConfig(depth=2, norm="batchnorm")).layers["layer1"].has_norm


def test_the_plan_registers_nothing_twice():
    """state_dict and parameters are exactly the ModuleDict's: the forward plan is no second registration."""
    model = build_model(RunConfig(depth=3))
    assert all(k.startswith("layers.") for k in model.state_dict())
    assert len(list(model.parameters())) == 2 * 4
    assert [name for name, _ in model.named_children()] == ["layers"]
