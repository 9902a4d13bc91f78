"""Recurrent networks (tanh RNN, LSTM, GRU), unrolled step by step so that every h_t is a node of the graph.

Layers, input -> output: cell.w_ih (all steps' input projections at once), cell.w_hh (the recurrent matrix, one
block per gate) and output (reads h_T). On display steps a hook on every h_t keeps dL/dh_t, the total derivative
through all later steps (Pascanu et al. 2013, eq. 5), from the same backward pass.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from app.ml.activations import ACTIVATIONS
from app.ml.arch.common import init_layer
from app.ml.arch.specs import GATES
from app.ml.datasets import DATASETS
from app.ml.model import Capture

if TYPE_CHECKING:
    from app.ml.config import RunConfig


def _default_recurrent(w: Tensor, b: Tensor, cfg: RunConfig, g: torch.Generator, layer: nn.Module) -> None:
    init_layer(layer, cfg, g)  # `init` on the whole (G·H, H) matrix; for 'default' exactly nn.RNN's U(±1/√H)


def _orthogonal(w: Tensor, b: Tensor, cfg: RunConfig, g: torch.Generator, layer: nn.Module) -> None:
    for block in w.split(w.shape[1]):  # one (H, H) block per gate
        nn.init.orthogonal_(block, gain=cfg.recurrent_gain, generator=g)
    nn.init.zeros_(b)


def _identity(w: Tensor, b: Tensor, cfg: RunConfig, g: torch.Generator, layer: nn.Module) -> None:
    for block in w.split(w.shape[1]):
        block.copy_(torch.eye(w.shape[1]) * cfg.recurrent_gain)
    nn.init.zeros_(b)


# recurrent_init -> how W_hh (G·H, H) and its bias are drawn; RunConfig.recurrent_init offers these keys
RECURRENT_INITS: dict[str, Callable[..., None]] = {
    "default": _default_recurrent,
    "orthogonal": _orthogonal,
    "identity": _identity,
}

State = tuple[Tensor, Tensor | None]  # (h, c): c only for the LSTM


class Cell(nn.Module):
    """W_ih and W_hh of one recurrent layer; `step` advances (h, c) by one time step."""

    def __init__(self, d_in: int, cfg: RunConfig):
        super().__init__()
        gh = GATES[cfg.architecture] * cfg.width
        self.w_ih = skip_init(nn.Linear, d_in, gh)
        self.w_hh = skip_init(nn.Linear, cfg.width, gh)
        self.act = ACTIVATIONS[cfg.activation].module(
            cfg
        )  # the vanilla RNN's a(); the gated cells fix theirs
        self.step: Callable[[Tensor, State], State] = STEPS[cfg.architecture].__get__(self)

    def _rnn_step(self, xp: Tensor, state: State) -> State:
        return self.act(xp + self.w_hh(state[0])), None  # h_t = a(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)

    def _lstm_step(self, xp: Tensor, state: State) -> State:
        h, c = state
        i, f, g, o = (xp + self.w_hh(h)).chunk(4, dim=1)  # each (B, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # dc_t/dc_(t-1) = diag(f_t) on this path
        return torch.sigmoid(o) * torch.tanh(c), c

    def _gru_step(self, xp: Tensor, state: State) -> State:
        h = state[0]
        xr, xz, xn = xp.chunk(3, dim=1)
        hr, hz, hn = self.w_hh(h).chunk(3, dim=1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)  # PyTorch's GRU: the reset gate scales W_hn h + b_hn
        return (1 - z) * n + z * h, None


STEPS = {"rnn": Cell._rnn_step, "lstm": Cell._lstm_step, "gru": Cell._gru_step}  # keys: specs.GATES


class RecurrentNet(nn.Module):
    """x (B, T, d_in) -> output(h_T) (B, n_out). Layers: cell.w_ih, cell.w_hh, output."""

    def __init__(self, cfg: RunConfig):
        super().__init__()
        data = DATASETS[cfg.dataset]
        self.width = cfg.width
        self.has_cell_state = cfg.architecture == "lstm"
        self.cell = Cell(data.input_dim, cfg)
        self.output = skip_init(nn.Linear, cfg.width, data.n_classes)
        self._time_grads: list[Tensor | None] = []  # dL/dh_t of the last captured pass, filled by hooks

    @property
    def layer_names(self) -> list[str]:
        return ["cell.w_ih", "cell.w_hh", "output"]

    def linears(self) -> list[nn.Module]:
        return [self.cell.w_ih, self.cell.w_hh, self.output]

    def forward(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor:
        batch = x.shape[0]
        xp = self.cell.w_ih(x)  # (B, T, G·H): every step's input projection in one matmul
        h = x.new_zeros(batch, self.width)
        state: State = (h, x.new_zeros(batch, self.width) if self.has_cell_state else None)
        states: list[Tensor] = []
        for xp_t in xp.unbind(1):
            state = self.cell.step(xp_t, state)
            states.append(state[0])
        h = state[0]
        out = self.output(h)
        if capture is not None:
            # act_grad_norm of w_ih is over all steps' projections; of w_hh it is dL/dh_T, the state the output reads
            capture.extend([Capture(None, None, xp), Capture(None, None, h), Capture(None, None, out)])
            self._time_grads = [None] * len(states)
            for t, s in enumerate(states):
                s.register_hook(partial(self._keep, t))
        return out

    def _keep(self, t: int, grad: Tensor) -> None:
        self._time_grads[t] = grad  # (B, H): the total dL/dh_t, through every later step

    def time_profile(self) -> dict | None:
        """{"t": [1..T], "hidden_grad_norm": [||dL/dh_t||_2 over the batch]} of the last captured pass, once."""
        grads, self._time_grads = self._time_grads, []
        if not grads:
            return None
        shape = next(g for g in grads if g is not None).shape  # h_T always has one
        stacked = torch.stack([g if g is not None else torch.zeros(shape) for g in grads])  # (T, B, H)
        norms = torch.linalg.vector_norm(stacked, dim=(1, 2), dtype=torch.float64)  # float64: 1e-30 survives
        return {"t": list(range(1, len(grads) + 1)), "hidden_grad_norm": norms.tolist()}


def build_recurrent(cfg: RunConfig) -> RecurrentNet:
    """A freshly initialised recurrent net, drawn from cfg.seed's generator: w_ih, w_hh, output."""
    model = RecurrentNet(cfg)
    g = torch.Generator().manual_seed(cfg.seed)
    with torch.no_grad():
        init_layer(model.cell.w_ih, cfg, g)
        w_hh = model.cell.w_hh
        RECURRENT_INITS[cfg.recurrent_init](w_hh.weight, w_hh.bias, cfg, g, w_hh)
        init_layer(model.output, cfg, g)
        if cfg.architecture == "lstm":  # gate order i, f, g, o: the forget gate's bias lives in block 2
            h = cfg.width
            model.cell.w_ih.bias[h : 2 * h] = cfg.forget_bias
            w_hh.bias[h : 2 * h] = 0.0
    return model
