"""Opt-in probes on activation modules the client recognises: mean a'(z) and saturated or dead units.

Each recognised module type maps to its derivative a'(z) and what else it can tell (the pair the lecture is about).
A probe is a forward hook that measures only on display steps (armed by the run), from the module's own input z,
and credits its numbers to the layer declared just before it (Linear -> ReLU: the Linear's a'(z)).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

import torch
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from gradcast.deferred import Deferred
from gradcast.layers import Layer
from gradcast.protocol import SATURATED_DERIV

Kind = Literal["saturating", "rectifying", "smooth"]
M = TypeVar("M", bound=nn.Module)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu_deriv(m: nn.GELU, z: Tensor) -> Tensor:
    if m.approximate == "tanh":
        u = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
        t = torch.tanh(u)
        return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z)
    return 0.5 * (1 + torch.erf(z / math.sqrt(2.0))) + z * _INV_SQRT_2PI * torch.exp(-0.5 * z * z)


def _sigmoid_deriv(_: nn.Sigmoid, z: Tensor) -> Tensor:
    s = torch.sigmoid(z)
    return s * (1 - s)


@dataclass(frozen=True, slots=True)
class Known:
    """What the client knows of one activation module type: a'(z) from the module and z, and its kind."""

    deriv: Callable[[nn.Module, Tensor], Tensor]
    kind: Kind  # saturating -> saturated_frac; rectifying -> dead_frac; smooth -> mean a'(z) only


def _entry(cls: type[M], deriv: Callable[[M, Tensor], Tensor], kind: Kind) -> tuple[type[nn.Module], Known]:
    """One registry entry, a'(z) written for its own module class (its attributes typed: m.negative_slope...)."""
    # known() hands an entry only modules of its class or a subclass: widening the parameter type is safe.
    return cls, Known(cast(Callable[[nn.Module, Tensor], Tensor], deriv), kind)


KNOWN: dict[type[nn.Module], Known] = dict(
    [
        _entry(nn.ReLU, lambda m, z: (z > 0).to(z.dtype), "rectifying"),
        _entry(nn.ReLU6, lambda m, z: ((z > 0) & (z < 6)).to(z.dtype), "rectifying"),
        _entry(
            nn.LeakyReLU, lambda m, z: torch.where(z > 0, 1.0, m.negative_slope).to(z.dtype), "rectifying"
        ),
        _entry(nn.Sigmoid, _sigmoid_deriv, "saturating"),
        _entry(nn.Tanh, lambda m, z: 1 - torch.tanh(z).square(), "saturating"),
        _entry(nn.Hardtanh, lambda m, z: ((z > m.min_val) & (z < m.max_val)).to(z.dtype), "saturating"),
        _entry(nn.GELU, _gelu_deriv, "smooth"),
        _entry(nn.SiLU, lambda m, z: torch.sigmoid(z) * (1 + z * (1 - torch.sigmoid(z))), "smooth"),
        _entry(nn.ELU, lambda m, z: torch.where(z > 0, 1.0, m.alpha * torch.exp(z)).to(z.dtype), "smooth"),
    ]
)


def known(module: nn.Module) -> Known | None:
    """The entry for this module's exact type or a subclass of a known one."""
    for cls in type(module).__mro__:
        if cls in KNOWN:
            return KNOWN[cls]
    return None


class ActivationProbes:
    """Forward hooks on every recognised activation module; they measure only while armed (display steps)."""

    def __init__(self, model: nn.Module, layers: list[Layer]) -> None:
        names = {layer.name: i for i, layer in enumerate(layers)}
        self.armed = False
        self.found: dict[int, tuple[Deferred, Kind]] = {}  # layer -> ([a', saturated, dead], kind)
        self._handles: list[RemovableHandle] = []
        self.credited: dict[str, str] = {}  # activation module name -> layer name (shown in the run's config)
        last: int | None = None
        for qualname, module in model.named_modules():
            if qualname in names:
                last = names[qualname]
                continue
            entry = known(module)
            if entry is None or last is None:
                continue
            conv = layers[last].kind.startswith("Conv")
            self._handles.append(module.register_forward_hook(self._hook(entry, last, conv)))
            self.credited[qualname] = layers[last].name

    def _hook(
        self, entry: Known, layer: int, conv: bool
    ) -> Callable[[nn.Module, tuple[object, ...], object], None]:
        def hook(module: nn.Module, args: tuple[object, ...], output: object) -> None:
            if not self.armed or not module.training or not args or not isinstance(args[0], Tensor):
                return
            with torch.no_grad():
                z = args[0].detach().float()
                d = entry.deriv(module, z)
                # Units: channels of a convolution's output (dim 1), else the last dim (features, hidden size).
                unit_dim = 1 if conv and z.dim() > 2 else -1
                per_unit = d.movedim(unit_dim, -1).reshape(-1, d.shape[unit_dim]) if z.dim() > 1 else d[None]
                nan = torch.full((), math.nan, device=d.device)
                sat = dead = nan
                if entry.kind == "saturating":
                    sat = (per_unit < SATURATED_DERIV).all(dim=0).float().mean()
                elif entry.kind == "rectifying":
                    zz = z.movedim(unit_dim, -1).reshape(-1, z.shape[unit_dim]) if z.dim() > 1 else z[None]
                    dead = (zz <= 0).all(dim=0).float().mean()
                # (mean a'(z), saturated fraction, dead fraction); NaN: not measured for this kind
                self.found[layer] = (Deferred(torch.stack([d.mean(), sat, dead])), entry.kind)

        return hook

    def take(self) -> dict[int, tuple[Deferred, Kind]]:
        """What the armed forward passes measured since the last take, by layer index."""
        found, self.found = self.found, {}
        return found

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
