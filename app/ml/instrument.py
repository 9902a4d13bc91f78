"""Per-layer gradient instrumentation: cheap fused norms every step, the rest on display steps only."""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import Tensor

from app.ml.activations import ACTIVATIONS
from app.ml.arch.common import Network, bias_of, weight_of
from app.ml.config import RunConfig
from app.ml.model import Capture

# |dL/dW| histogram bins: half-decade edges 1e-12 .. 1e2 (29 edges, 28 bins). Values below the first edge
# (zeros included) count in the first bin, values at or above the last edge in the last bin.
HIST_EDGES: list[float] = [10.0 ** (e / 2) for e in range(-24, 5)]
HIST_BINS = len(HIST_EDGES) - 1
HIST_LOG10_MIN = -12.0
HIST_FLOOR = 1e-13  # below the first edge: lands in bin 0 like the zeros it stands for
HIST_SAMPLE = 4096  # at most this many elements per layer: histc over whole tensors costs up to 2.8x a step
TINY_NORM = 1e-15  # a float32 norm below this is recomputed in float64 (rare: only vanished layers)
SATURATED_DERIV = 0.01  # a'(z) below this on the whole batch counts a unit as saturated


def hist_bins(values: Tensor, dtype: torch.dtype = torch.long) -> Tensor:
    """Bin index of each |value| on HIST_EDGES: half-decades from 1e-12, clamped to the first and last bin."""
    # log10 arithmetic instead of bucketize (5x faster on CPU): 2 log10|v| = log10(v²), so no abs and no scaling.
    # Squares are lifted to HIST_FLOOR² first: log10(0) takes a slow path (3x the time on a ReLU net's many exact
    # zeros), and anything that small belongs in bin 0 anyway. nan -> last bin, inf -> last bin.
    # After the clamp every position is >= 0, so the cast's truncation is the floor.
    pos = torch.log10(values.square().clamp_(min=HIST_FLOOR**2)).sub_(2 * HIST_LOG10_MIN)
    return pos.nan_to_num_(nan=HIST_BINS).clamp_(0, HIST_BINS - 1).to(dtype)


def equal_runs(sizes: list[int]) -> list[tuple[int, int, int]]:
    """(offset, count, size) of each run of consecutive equal sizes in their flat concatenation.

    An MLP has at most three whatever its depth (first layer, the width x width ones, output), so per-layer norms
    of a flat vector take three vector_norm calls instead of one per layer."""
    runs: list[tuple[int, int, int]] = []
    offset = 0
    for size in sizes:
        if runs and runs[-1][2] == size:
            o, c, _ = runs[-1]
            runs[-1] = (o, c + 1, size)
        else:
            runs.append((offset, 1, size))
        offset += size
    return runs


def segment_norms(flat: Tensor, runs: list[tuple[int, int, int]]) -> Tensor:
    """||segment||_2 of each layer of a flat concatenation (see equal_runs): (..., total) -> (..., n_layers)."""
    lead = flat.shape[:-1]
    parts = [
        torch.linalg.vector_norm(flat[..., o : o + c * n].reshape(*lead, c, n), dim=-1) for o, c, n in runs
    ]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)


def sample_stride(numel: int) -> int:
    """Every stride-th element: at most HIST_SAMPLE, evenly spread, the same ones every time (no RNG)."""
    return -(-numel // HIST_SAMPLE)  # ceil: 1 (all elements) for layers up to HIST_SAMPLE


class Probe:
    """What the trainer measures on one model, input -> output. Holds only references and fixed indices."""

    def __init__(self, model: Network, cfg: RunConfig):
        self.cfg = cfg
        self.activation = ACTIVATIONS[cfg.activation]
        linears = model.linears()
        self.weights: list[Tensor] = [weight_of(lin) for lin in linears]
        self.biases: list[Tensor] = [bias_of(lin) for lin in linears]
        self.n_layers = len(linears)
        self._strides = [sample_stride(w.numel()) for w in self.weights]
        self._sampled = any(st > 1 for st in self._strides)  # False: every element of every layer counts
        sizes = torch.tensor([-(-w.numel() // st) for w, st in zip(self.weights, self._strides, strict=True)])
        # int32 (at most 64 x 28 bins): the cast, the add and bincount take about half the time of int64's
        self._hist_offsets = torch.repeat_interleave(
            torch.arange(self.n_layers, dtype=torch.int32) * HIST_BINS, sizes
        )
        # Flat views of the weights (the optimizer updates them in place, so the views stay valid): a snapshot
        # before the update is one cat instead of a copy per layer.
        self._flat_weights: list[Tensor] = [w.detach().view(-1) for w in self.weights]
        self._weight_runs = equal_runs([w.numel() for w in self.weights])
        self._weight_total = sum(w.numel() for w in self.weights)
        self._act_grads: list[Tensor] = []  # this display step's dL/dh_k, until to_lists checks their norms

    def grad_norms(self, loss: Tensor) -> tuple[list[float], list[float], float]:
        """(weight_grad_norms, bias_grad_norms, loss): one fused _foreach_norm, then each 0-dim result read out."""
        # after backward every measured parameter has its .grad
        grads = cast(list[Tensor], [p.grad for p in self.weights] + [p.grad for p in self.biases])
        # .item() per 0-dim norm: half the time of stacking them into one tensor for a single .tolist()
        vals = [n.item() for n in torch._foreach_norm(grads)]
        vals.append(loss.item())
        if min(vals) < TINY_NORM:  # rare: float32 squares underflow below ~1e-19, redo those in float64
            for i, v in enumerate(vals[:-1]):
                if 0.0 <= v < TINY_NORM:
                    vals[i] = torch.linalg.vector_norm(grads[i], dtype=torch.float64).item()
        n = self.n_layers
        return vals[:n], vals[n : 2 * n], vals[-1]

    def grad_display(self, captures: list[Capture]) -> dict[str, Tensor]:
        """Display metrics that need this step's gradients; call after backward, before clip and step."""
        # float32 here; to_lists redoes in float64 the rare norm that under- or overflows float32 (a vanished
        # signal, 1e-25 in a 30-layer sigmoid net, squares to 0 in float32).
        self._act_grads = cast(list[Tensor], [c.h_grad for c in captures])  # filled by the backward pass
        out: dict[str, Tensor] = {"act_grad_norm": torch.stack(torch._foreach_norm(self._act_grads))}
        hidden = [(c.z, c.a) for c in captures if c.z is not None and c.a is not None]  # (z, a(z)) each
        if hidden:
            # Every hidden layer is (B, width): one stacked tensor, a handful of ops whatever the depth.
            act = self.activation
            outputs = None
            if act.deriv_from_output is not None:
                outputs = torch.stack([a.detach() for _, a in hidden])  # (N, B, W)
                deriv = act.deriv_from_output(outputs, self.cfg)
            else:
                deriv = act.deriv(torch.stack([z.detach() for z, _ in hidden]), self.cfg)  # (N, B, W)
            out["mean_act_deriv"] = deriv.mean(dim=(1, 2))  # (N,)
            if act.kind == "saturating":
                # saturated on the whole batch <=> the largest a'(z) over the batch is below the threshold
                out["saturated_frac"] = (deriv.amax(dim=1) < SATURATED_DERIV).float().mean(dim=1)
            if act.kind == "rectifying":
                if outputs is None:
                    outputs = torch.stack([a.detach() for _, a in hidden])
                # dead: a(z) = 0 for the whole batch
                out["dead_frac"] = (outputs.abs().amax(dim=1) == 0).float().mean(dim=1)
        flat = [g.reshape(-1) for g in cast(list[Tensor], [w.grad for w in self.weights])]  # views
        if self._sampled:
            flat = [g[::st] for g, st in zip(flat, self._strides, strict=True)]
        sample = torch.cat(flat)
        bins = hist_bins(sample, torch.int32).add_(self._hist_offsets)
        out["grad_hist"] = torch.bincount(bins, minlength=self.n_layers * HIST_BINS)[
            : self.n_layers * HIST_BINS
        ]
        return out

    def snapshot_weights(self) -> Tensor:
        """All weights before the update (display steps only), flat in row 0 of a (2, total) buffer whose row 1
        weight_display fills with the update: one cat now, one cat and one sub then."""
        buffer = torch.empty(2, self._weight_total)
        torch.cat(self._flat_weights, out=buffer[0])
        return buffer

    def weight_display(self, before: Tensor | None) -> dict[str, Tensor]:
        """weight_norm ||W_k|| of the weights this step's gradients were taken at; update_norm ||dW_k|| of its update.

        `before` is snapshot_weights() from before the update, or None when no update was made (then the current
        weights are the ones the gradients were taken at)."""
        if before is None:
            return {"weight_norm": segment_norms(torch.cat(self._flat_weights), self._weight_runs)}
        torch.cat(self._flat_weights, out=before[1]).sub_(before[0])  # row 1: W_after - W_before
        norms = segment_norms(before, self._weight_runs)  # (2, n_layers)
        return {"weight_norm": norms[0], "update_norm": norms[1]}

    def to_lists(self, tensors: dict[str, Tensor]) -> dict[str, list[Any]]:
        """One sync for all display tensors: flat concat, one .tolist(), split back (hist as ints)."""
        keys = [k for k in tensors if k != "grad_hist"]
        flat = torch.cat([tensors[k].reshape(-1) for k in keys]).tolist()
        result: dict[str, list[Any]] = {}
        pos = 0
        for k in keys:
            n = tensors[k].numel()
            result[k] = flat[pos : pos + n]
            pos += n
        act = result.get("act_grad_norm")
        if act is not None and (min(act) < TINY_NORM or max(act) == math.inf):
            for i, g in enumerate(self._act_grads):  # rare: redo in float64 what float32 could not hold
                if act[i] < TINY_NORM or act[i] == math.inf:
                    act[i] = torch.linalg.vector_norm(g, dtype=torch.float64).item()
        self._act_grads = []
        if "grad_hist" in tensors:
            counts = tensors["grad_hist"].tolist()
            result["grad_hist"] = [counts[i * HIST_BINS : (i + 1) * HIST_BINS] for i in range(self.n_layers)]
        return result
