"""The MLP: hidden layers layer1..layerN then output, each Linear -> norm -> activation (-> + skip)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from app.ml.activations import ACTIVATIONS
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.inits import INITS
from app.ml.norms import NORMS


@dataclass(slots=True)
class Capture:
    """One layer's tensors from an instrumented forward pass, all (batch, width)."""

    z: Tensor | None  # pre-activation (after the norm); None for the output layer
    a: Tensor | None  # activation output a(z); None for the output layer
    h: Tensor  # the layer's output (a, or h_prev + a with a skip; logits for the output layer)
    h_grad: Tensor | None = None  # dL/dh, filled by the trainer's backward pass on display steps


class HiddenLayer(nn.Module):
    """h = a(norm(W h_prev + b)), plus h_prev when `residual` (only where in and out widths match)."""

    def __init__(self, d_in: int, d_out: int, cfg: RunConfig):
        super().__init__()
        self.linear: nn.Linear = skip_init(
            nn.Linear, d_in, d_out
        )  # no draw from the global RNG; init_weights fills it
        self.norm = NORMS[cfg.norm].module(d_out)
        self.act = ACTIVATIONS[cfg.activation].module(cfg)
        self.residual = cfg.residual and d_in == d_out
        self.has_norm = not isinstance(self.norm, nn.Identity)  # "none" is an Identity: skipped in forward

    def forward(self, h: Tensor, capture: list[Capture] | None = None) -> Tensor:
        # Each part's forward is called directly: nn.Module.__call__ only adds hook bookkeeping (none are
        # registered on the engine's model), 3 calls a layer, which a small network's step feels
        # (README#benchmarks).
        z = self.linear.forward(h)  # (B, d_out)
        if self.has_norm:
            z = self.norm.forward(z)
        a = self.act.forward(z)
        out = h + a if self.residual else a
        if capture is not None:
            capture.append(Capture(z, a, out))
        return out


class MLP(nn.Module):
    """The network of one run. `layers` is ordered input -> output: layer1..layerN, output."""

    def __init__(self, cfg: RunConfig):
        super().__init__()
        data = DATASETS[cfg.dataset]
        widths = [data.input_dim] + [cfg.width] * cfg.depth
        hidden = tuple(HiddenLayer(widths[k], widths[k + 1], cfg) for k in range(cfg.depth))
        output: nn.Linear = skip_init(nn.Linear, cfg.width, data.n_classes)
        layers: dict[str, nn.Module] = {f"layer{k + 1}": layer for k, layer in enumerate(hidden)}
        layers["output"] = output
        self.layers = nn.ModuleDict(layers)
        # The forward pass's plan, fixed at construction: (hidden layers, output Linear), in a tuple so that
        # nn.Module registers nothing twice (state_dict keys stay layers.*) and no module lookup runs per step.
        self._plan: tuple[tuple[HiddenLayer, ...], nn.Linear] = (hidden, output)

    @property
    def layer_names(self) -> list[str]:
        """Stable names, input -> output."""
        return list(self.layers.keys())

    @property
    def hidden(self) -> tuple[HiddenLayer, ...]:
        """The hidden layers, input -> output."""
        return self._plan[0]

    @property
    def output(self) -> nn.Linear:
        """The output layer (logits)."""
        return self._plan[1]

    def linears(self) -> list[nn.Linear]:
        """The Linear of every layer, input -> output (the weights the metrics are about)."""
        return [layer.linear for layer in self.hidden] + [self.output]

    def forward(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor:
        """x (B, input_dim) -> logits (B, n_classes); appends each layer's tensors to `capture` if given."""
        h = x
        hidden, output = self._plan
        for layer in hidden:
            h = layer.forward(h, capture)
        h = output.forward(h)
        if capture is not None:
            capture.append(Capture(None, None, h))
        return h


def init_weights(model: MLP, cfg: RunConfig, generator: torch.Generator) -> None:
    """Fill every Linear from the registry's init, drawing only from `generator` (input -> output order)."""
    apply = INITS[cfg.init].apply
    with torch.no_grad():
        for linear in model.linears():
            apply(linear.weight, linear.bias, cfg, generator)


def build_model(cfg: RunConfig) -> MLP:
    """A freshly initialised network; the same cfg (and seed) always gives the same weights."""
    model = MLP(cfg)
    init_weights(model, cfg, torch.Generator().manual_seed(cfg.seed))
    return model
