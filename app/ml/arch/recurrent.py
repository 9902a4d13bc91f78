"""Recurrent networks (tanh RNN, LSTM, GRU), unrolled step by step so that every h_t is a node of the graph.

Layers, input -> output: cell.w_ih (all steps' input projections at once), cell.w_hh (the recurrent matrix, one
block per gate) and output (reads h_T). On display steps every h_t is captured after the layers' own captures, so
the backward pass that fills each layer's dL/dh also fills dL/dh_t, the total derivative through all later steps
(Pascanu et al. 2013, eq. 5). Not a tensor hook per step: a Python hook runs inside the backward pass and must take
the GIL once per step, which beside other training threads waited up to a switch interval each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
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

# (h, c, carry): c only for the LSTM; carry is what sets the step's chain-rule factor (see STEP_FACTORS): the
# RNN's pre-activation z_t, the LSTM's forget gate f_t, the GRU's update gate z_t. Steps read only h and c.
State = tuple[Tensor, Tensor | None, Tensor | None]


class Cell(nn.Module):
    """W_ih and W_hh of one recurrent layer; `step` advances (h, c) by one time step.

    A step runs 50-400 times per forward pass on tensors of (64, 4·32), so its cost is the number of ops, not
    their arithmetic: W_hh is applied with F.linear and the activation through its forward (the same kernels
    without nn.Module's per-call dispatch), and adjacent gates share one sigmoid. Every value is the same.
    """

    def __init__(self, d_in: int, cfg: RunConfig):
        super().__init__()
        gh = GATES[cfg.architecture] * cfg.width
        self.w_ih = skip_init(nn.Linear, d_in, gh)
        self.w_hh = skip_init(nn.Linear, cfg.width, gh)
        self.activation = ACTIVATIONS[cfg.activation]  # the vanilla RNN's a(); the gated cells fix theirs
        self.act = self.activation.module(cfg)
        self.cfg = cfg
        self.step: Callable[[Tensor, State], State] = STEPS[cfg.architecture].__get__(self)

    def _hh(self, h: Tensor) -> Tensor:
        return F.linear(h, self.w_hh.weight, self.w_hh.bias)  # W_hh h + b_hh, (B, G·H)

    def _rnn_step(self, xp: Tensor, state: State) -> State:
        z = xp + self._hh(state[0])  # W_ih x_t + b_ih + W_hh h_(t-1) + b_hh
        return self.act.forward(z), None, z  # dh_t/dh_(t-1) = diag(a'(z_t)) W_hh

    def _lstm_step(self, xp: Tensor, state: State) -> State:
        h, c, _ = state
        gates = xp + self._hh(h)  # (B, 4H): i, f, g, o
        i, f = torch.sigmoid(gates[:, : 2 * self.cfg.width]).chunk(2, dim=1)  # each (B, H)
        _, _, g, o = gates.chunk(4, dim=1)
        assert c is not None  # an LSTM's state carries its cell
        c = f * c + i * torch.tanh(g)  # dc_t/dc_(t-1) = diag(f_t) on this path
        return torch.sigmoid(o) * torch.tanh(c), c, f

    def _gru_step(self, xp: Tensor, state: State) -> State:
        h = state[0]
        hh = self._hh(h)  # (B, 3H): r, z, n
        two = 2 * self.cfg.width
        r, z = torch.sigmoid(xp[:, :two] + hh[:, :two]).chunk(2, dim=1)  # each (B, H)
        n = torch.tanh(xp[:, two:] + r * hh[:, two:])  # PyTorch's GRU: the reset gate scales W_hn h + b_hn
        return (1 - z) * n + z * h, None, z  # the direct path dh_t/dh_(t-1) = diag(z_t)


STEPS = {"rnn": Cell._rnn_step, "lstm": Cell._lstm_step, "gru": Cell._gru_step}  # keys: specs.GATES


def _rnn_factor(carries: Tensor, cell: Cell) -> Tensor:
    """||diag(mean a'(z_t)) W_hh||_2 per step: (T, B, H) -> (T,). The batch-mean a' stands in for each row's."""
    d = cell.activation.deriv(carries, cell.cfg).mean(dim=1).double()  # (T, H)
    w = cell.w_hh.weight.detach().double()
    # ||D W||_2² is the largest eigenvalue of D (W Wᵀ) D: one symmetric eigensolve per step instead of an SVD
    # (a third less work), in float64 so it agrees with the SVD to ~1e-15 rather than float32's ~1e-7
    gram = d[:, :, None] * (w @ w.T) * d[:, None, :]  # (T, H, H)
    return torch.linalg.eigvalsh(gram)[:, -1].clamp_(min=0.0).sqrt()


def _mean_gate(carries: Tensor, cell: Cell) -> Tensor:
    """The gate's mean over batch and units per step: the LSTM's forget gate, the GRU's update gate."""
    return carries.mean(dim=(1, 2))


# architecture -> its per-step chain-rule factor from the carried tensors (T, B, H) -> (T,)
STEP_FACTORS: dict[str, Callable[[Tensor, Cell], Tensor]] = {
    "rnn": _rnn_factor,
    "lstm": _mean_gate,
    "gru": _mean_gate,
}


class RecurrentNet(nn.Module):
    """x (B, T, d_in) -> output(h_T) (B, n_out). Layers: cell.w_ih, cell.w_hh, output."""

    def __init__(self, cfg: RunConfig):
        super().__init__()
        data = DATASETS[cfg.dataset]
        self.width = cfg.width
        self.has_cell_state = cfg.architecture == "lstm"
        self.cell = Cell(data.input_dim, cfg)
        self.output = skip_init(nn.Linear, cfg.width, data.n_classes)
        self._time_captures: list[
            Capture
        ] = []  # h_t of the last captured pass; the backward fills their h_grad
        self._carries: list[Tensor] = []  # each step's factor-setting tensor of the last captured pass
        self._factor = STEP_FACTORS[cfg.architecture]

    @property
    def layer_names(self) -> list[str]:
        return ["cell.w_ih", "cell.w_hh", "output"]

    def linears(self) -> list[nn.Module]:
        return [self.cell.w_ih, self.cell.w_hh, self.output]

    def forward(self, x: Tensor, capture: list[Capture] | None = None) -> Tensor:
        batch = x.shape[0]
        xp = self.cell.w_ih(x)  # (B, T, G·H): every step's input projection in one matmul
        h = x.new_zeros(batch, self.width)
        state: State = (h, x.new_zeros(batch, self.width) if self.has_cell_state else None, None)
        states: list[Tensor] = []
        carries: list[Tensor] = []
        for xp_t in xp.unbind(1):
            state = self.cell.step(xp_t, state)
            states.append(state[0])
            carries.append(state[2])  # type: ignore[arg-type]  # every cell's step sets its carry
        h = state[0]
        out = self.output(h)
        if capture is not None:
            # act_grad_norm of w_ih is over all steps' projections; of w_hh it is dL/dh_T, the state the output reads
            capture.extend([Capture(None, None, xp), Capture(None, None, h), Capture(None, None, out)])
            # then h_1..h_T, after the layers' own (a consumer reads one capture per layer first, in layer order)
            self._time_captures = [Capture(None, None, s) for s in states]
            capture.extend(self._time_captures)
            self._carries = [c.detach() for c in carries]
        return out

    def time_profile(self) -> dict[str, Any] | None:
        """The last captured pass's profile over t = 1..T, once: {"t", "hidden_grad_norm": ||dL/dh_t||_2 over the
        batch, "step_factor": the chain rule's factor of step t (STEP_FACTORS)}."""
        captures, self._time_captures = self._time_captures, []
        carries, self._carries = self._carries, []
        grads = [
            c.h_grad for c in captures if c.h_grad is not None
        ]  # each (B, H): dL/dh_t, through later steps
        if not grads or len(grads) < len(captures):
            return None
        stacked = torch.stack(grads)  # (T, B, H)
        norms = torch.linalg.vector_norm(stacked, dim=(1, 2), dtype=torch.float64)  # float64: 1e-30 survives
        factors = self._factor(torch.stack(carries), self.cell)  # (T,)
        return {
            "t": list(range(1, len(grads) + 1)),
            "hidden_grad_norm": norms.tolist(),
            "step_factor": factors.tolist(),
        }


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
