"""Per-layer gradient instrumentation: cheap fused norms every step, the rest on display steps only."""

from __future__ import annotations

import torch
from torch import Tensor

from app.ml.activations import ACTIVATIONS
from app.ml.config import RunConfig
from app.ml.model import MLP, Capture

# |dL/dW| histogram bins: half-decade edges 1e-12 .. 1e2 (29 edges, 28 bins). Values below the first edge
# (zeros included) count in the first bin, values at or above the last edge in the last bin.
HIST_EDGES: list[float] = [10.0 ** (e / 2) for e in range(-24, 5)]
HIST_BINS = len(HIST_EDGES) - 1
HIST_LOG10_MIN = -12.0
HIST_SAMPLE = 4096  # at most this many elements per layer: histc over whole tensors costs up to 2.8x a step
TINY_NORM = 1e-15  # a float32 norm below this is recomputed in float64 (rare: only vanished layers)
SATURATED_DERIV = 0.01  # a'(z) below this on the whole batch counts a unit as saturated


def hist_bins(values: Tensor) -> Tensor:
    """Bin index of each |value| on HIST_EDGES: half-decades from 1e-12, clamped to the first and last bin."""
    # log10 arithmetic instead of bucketize (5x faster on CPU); 0 -> -inf -> bin 0, nan -> last bin.
    # After the clamp every position is >= 0, so .long()'s truncation is the floor.
    pos = torch.log10(values.abs()).sub_(HIST_LOG10_MIN).mul_(2.0)
    return pos.nan_to_num_(nan=HIST_BINS, neginf=0.0).clamp_(0, HIST_BINS - 1).long()


def sample_stride(numel: int) -> int:
    """Every stride-th element: at most HIST_SAMPLE, evenly spread, the same ones every time (no RNG)."""
    return -(-numel // HIST_SAMPLE)  # ceil: 1 (all elements) for layers up to HIST_SAMPLE


class Probe:
    """What the trainer measures on one model, input -> output. Holds only references and fixed indices."""

    def __init__(self, model: MLP, cfg: RunConfig):
        self.cfg = cfg
        self.activation = ACTIVATIONS[cfg.activation]
        linears = model.linears()
        self.weights: list[Tensor] = [lin.weight for lin in linears]
        self.biases: list[Tensor] = [lin.bias for lin in linears]
        self.n_layers = len(linears)
        self._strides = [sample_stride(w.numel()) for w in self.weights]
        self._sampled = any(st > 1 for st in self._strides)  # False: every element of every layer counts
        sizes = torch.tensor([-(-w.numel() // st) for w, st in zip(self.weights, self._strides, strict=True)])
        self._hist_offsets = torch.repeat_interleave(torch.arange(self.n_layers) * HIST_BINS, sizes)
        # Flat views of the weights (the optimizer updates them in place, so the views stay valid): a snapshot
        # before the update is one cat instead of a copy per layer.
        self._flat_weights: list[Tensor] = [w.detach().view(-1) for w in self.weights]
        self._weight_numels: list[int] = [w.numel() for w in self.weights]

    def grad_norms(self, loss: Tensor) -> tuple[list[float], list[float], float]:
        """(weight_grad_norms, bias_grad_norms, loss): one fused _foreach_norm and one .tolist()."""
        grads = [p.grad for p in self.weights] + [p.grad for p in self.biases]
        norms = torch._foreach_norm(grads)
        vals = torch.stack([*norms, loss.detach()]).tolist()
        if min(vals) < TINY_NORM:  # rare: float32 squares underflow below ~1e-19, redo those in float64
            for i, v in enumerate(vals[:-1]):
                if 0.0 <= v < TINY_NORM:
                    vals[i] = torch.linalg.vector_norm(grads[i], dtype=torch.float64).item()
        n = self.n_layers
        return vals[:n], vals[n : 2 * n], vals[-1]

    def grad_display(self, captures: list[Capture]) -> dict[str, Tensor]:
        """Display metrics that need this step's gradients; call after backward, before clip and step."""
        out: dict[str, Tensor] = {
            # float64: a vanished signal (1e-25 in a 30-layer sigmoid net) would square to 0 in float32
            "act_grad_norm": torch.stack(
                torch._foreach_norm([c.h_grad for c in captures], 2, dtype=torch.float64)
            ),
        }
        hidden = [c for c in captures if c.z is not None]
        if hidden:
            # Every hidden layer is (B, width): one stacked tensor, a handful of ops whatever the depth.
            deriv = self.activation.deriv(torch.stack([c.z.detach() for c in hidden]), self.cfg)  # (N, B, W)
            out["mean_act_deriv"] = deriv.mean(dim=(1, 2))  # (N,)
            if self.activation.kind == "saturating":
                # saturated on the whole batch <=> the largest a'(z) over the batch is below the threshold
                out["saturated_frac"] = (deriv.amax(dim=1) < SATURATED_DERIV).float().mean(dim=1)
            if self.activation.kind == "rectifying":
                acts = torch.stack([c.a.detach() for c in hidden])  # (N, B, W)
                out["dead_frac"] = (acts.abs().amax(dim=1) == 0).float().mean(dim=1)  # 0 on the whole batch
        flat = [w.grad.reshape(-1) for w in self.weights]  # views
        if self._sampled:
            flat = [g[::st] for g, st in zip(flat, self._strides, strict=True)]
        sample = torch.cat(flat)
        bins = hist_bins(sample) + self._hist_offsets
        out["grad_hist"] = torch.bincount(bins, minlength=self.n_layers * HIST_BINS)[
            : self.n_layers * HIST_BINS
        ]
        return out

    def snapshot_weights(self) -> Tensor:
        """A flat copy of all weights before the update (display steps only), in one cat: (total,)."""
        return torch.cat(self._flat_weights)

    def weight_display(self, before: Tensor | None) -> dict[str, Tensor]:
        """weight_norm after the update, and ||W_after - W_before|| and ||W_before|| for update_ratio."""
        after = self._flat_weights
        if before is None:
            return {"weight_norm": torch.stack(torch._foreach_norm(after))}
        before_parts = before.split(self._weight_numels)  # views, one per layer
        norms = torch.stack(
            torch._foreach_norm([*after, *torch._foreach_sub(after, before_parts), *before_parts])
        )
        n = self.n_layers
        return {"weight_norm": norms[:n], "update_norm": norms[n : 2 * n], "before_norm": norms[2 * n :]}

    def to_lists(self, tensors: dict[str, Tensor]) -> dict[str, list]:
        """One sync for all display tensors: flat concat, one .tolist(), split back (hist as ints)."""
        keys = [k for k in tensors if k != "grad_hist"]
        flat = torch.cat([tensors[k].reshape(-1) for k in keys]).tolist()  # cat promotes to float64
        result: dict[str, list] = {}
        pos = 0
        for k in keys:
            n = tensors[k].numel()
            result[k] = flat[pos : pos + n]
            pos += n
        if "grad_hist" in tensors:
            counts = tensors["grad_hist"].tolist()
            result["grad_hist"] = [counts[i * HIST_BINS : (i + 1) * HIST_BINS] for i in range(self.n_layers)]
        return result
