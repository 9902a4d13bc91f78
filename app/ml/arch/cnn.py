"""A plain or residual CNN on the 8x8 digits: conv1..convN (3x3, same channels), global average pool, output.

Each conv layer is the MLP's hidden layer with a convolution for the Linear: h = a(norm(conv(h_prev))), plus
h_prev with `residual` where the channels match (every layer but conv1, whose input is the 1-channel image).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from torch import Tensor, nn
from torch.nn.utils import skip_init

from app.ml.activations import ACTIVATIONS
from app.ml.arch.common import init_in_order
from app.ml.arch.specs import CONV_KERNEL
from app.ml.datasets import DATASETS
from app.ml.model import Capture

if TYPE_CHECKING:
    from app.ml.config import RunConfig

IMAGE_SIDE = 8  # the bundled digits are 8x8

# The NORMS keys with their convolutional modules (channels -> module); GroupNorm(1, C) is LayerNorm over (C, H, W).
CONV_NORMS: dict[str, Callable[[int], nn.Module]] = {
    "none": lambda c: nn.Identity(),
    "batchnorm": lambda c: nn.BatchNorm2d(c),
    "layernorm": lambda c: nn.GroupNorm(1, c),
}


class ConvLayer(nn.Module):
    """h = a(norm(conv(h_prev))) (+ h_prev when residual and the channels match); (B, C, 8, 8) in and out."""

    def __init__(self, c_in: int, c_out: int, cfg: RunConfig):
        super().__init__()
        self.conv = skip_init(nn.Conv2d, c_in, c_out, CONV_KERNEL, padding=CONV_KERNEL // 2)
        self.norm = CONV_NORMS[cfg.norm](c_out)
        self.act = ACTIVATIONS[cfg.activation].module(cfg)
        self.residual = cfg.residual and c_in == c_out

    def forward(self, h: Tensor, capture: list[Capture] | None = None) -> Tensor:
        z = self.norm(self.conv(h))  # (B, C, 8, 8)
        a = self.act(z)
        out = h + a if self.residual else a
        if capture is not None:  # units are (channel, pixel): (B, C·64) views, as the probe stacks (B, units)
            capture.append(Capture(z.flatten(1), a.flatten(1), out))
        return out


class ConvNet(nn.Module):
    """x (B, 64) -> logits (B, 10). `layers` is ordered input -> output: conv1..convN, output."""

    def __init__(self, cfg: RunConfig):
        super().__init__()
        n_out = DATASETS[cfg.dataset].n_classes
        channels = [1] + [cfg.width] * cfg.depth
        layers: dict[str, nn.Module] = {
            f"conv{k + 1}": ConvLayer(channels[k], channels[k + 1], cfg) for k in range(cfg.depth)
        }
        layers["output"] = skip_init(nn.Linear, cfg.width, n_out)
        self.layers = nn.ModuleDict(layers)

    @property
    def layer_names(self) -> list[str]:
        return list(self.layers.keys())

    def linears(self) -> list[nn.Module]:
        return [m.conv if isinstance(m, ConvLayer) else m for m in self.layers.values()]

    def forward(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor:
        h = x.view(-1, 1, IMAGE_SIDE, IMAGE_SIDE)
        *convs, output = self.layers.values()
        for layer in convs:
            h = layer(h, capture)
        logits = output(h.mean(dim=(2, 3)))  # global average pool: (B, C)
        if capture is not None:
            capture.append(Capture(None, None, logits))
        return logits


def build_cnn(cfg: RunConfig) -> ConvNet:
    """A freshly initialised CNN, every layer drawn from cfg.seed's generator, input -> output."""
    model = ConvNet(cfg)
    init_in_order(model.linears(), cfg)
    return model
