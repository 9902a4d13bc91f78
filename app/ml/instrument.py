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
HIST_SAMPLE = 4096  # elements per layer: histc over whole tensors costs up to 2.8x a step
SATURATED_DERIV = 0.01  # a'(z) below this on the whole batch counts a unit as saturated


def _strided_sample(numel: int) -> Tensor:
    """Fixed, evenly spaced element indices (no RNG: the same elements every display step)."""
    if numel <= HIST_SAMPLE:
        return torch.arange(numel)
    return torch.linspace(0, numel - 1, HIST_SAMPLE).long()


class Probe:
    """What the trainer measures on one model, input -> output. Holds only references and fixed indices."""

    def __init__(self, model: MLP, cfg: RunConfig):
        self.cfg = cfg
        self.activation = ACTIVATIONS[cfg.activation]
        linears = model.linears()
        self.weights: list[Tensor] = [lin.weight for lin in linears]
        self.biases: list[Tensor] = [lin.bias for lin in linears]
        self.n_layers = len(linears)
        self._sample_idx = [_strided_sample(w.numel()) for w in self.weights]
        sizes = torch.tensor([len(i) for i in self._sample_idx])
        self._hist_offsets = torch.repeat_interleave(torch.arange(self.n_layers) * HIST_BINS, sizes)
        self._inner_edges = torch.tensor(HIST_EDGES[1:-1])

    def grad_norms(self, loss: Tensor) -> tuple[list[float], list[float], float]:
        """(weight_grad_norms, bias_grad_norms, loss): one fused _foreach_norm and one .tolist()."""
        grads = [p.grad for p in self.weights] + [p.grad for p in self.biases]
        norms = torch._foreach_norm(grads)
        vals = torch.stack([*norms, loss.detach()]).tolist()
        n = self.n_layers
        return vals[:n], vals[n : 2 * n], vals[-1]

    def grad_display(self, captures: list[Capture]) -> dict[str, Tensor]:
        """Display metrics that need this step's gradients; call after backward, before clip and step."""
        hidden = [c for c in captures if c.z is not None]
        out: dict[str, Tensor] = {
            "act_grad_norm": torch.stack(torch._foreach_norm([c.h.grad for c in captures])),  # (L,)
        }
        if hidden:
            derivs = [self.activation.deriv(c.z.detach(), self.cfg) for c in hidden]  # each (B, width)
            out["mean_act_deriv"] = torch.stack([d.mean() for d in derivs])
            if self.activation.kind == "saturating":
                out["saturated_frac"] = torch.stack(
                    [(d < SATURATED_DERIV).all(dim=0).float().mean() for d in derivs]
                )
            if self.activation.kind == "rectifying":
                out["dead_frac"] = torch.stack(
                    [(c.a.detach() == 0).all(dim=0).float().mean() for c in hidden]
                )
        sample = torch.cat(
            [w.grad.reshape(-1)[i] for w, i in zip(self.weights, self._sample_idx, strict=True)]
        )
        bins = torch.bucketize(sample.abs(), self._inner_edges, right=True) + self._hist_offsets
        out["grad_hist"] = torch.bincount(bins, minlength=self.n_layers * HIST_BINS)[
            : self.n_layers * HIST_BINS
        ]
        return out

    def snapshot_weights(self) -> list[Tensor]:
        """Copies of the weights before the update (display steps only)."""
        return [w.detach().clone() for w in self.weights]

    def weight_display(self, before: list[Tensor] | None) -> dict[str, Tensor]:
        """weight_norm after the update, and ||W_after - W_before|| and ||W_before|| for update_ratio."""
        after = [w.detach() for w in self.weights]
        out = {"weight_norm": torch.stack(torch._foreach_norm(after))}
        if before is not None:
            out["update_norm"] = torch.stack(torch._foreach_norm(torch._foreach_sub(after, before)))
            out["before_norm"] = torch.stack(torch._foreach_norm(before))
        return out

    def to_lists(self, tensors: dict[str, Tensor]) -> dict[str, list]:
        """One sync for all display tensors: flat concat, one .tolist(), split back (hist as ints)."""
        keys = [k for k in tensors if k != "grad_hist"]
        flat = torch.cat([tensors[k].reshape(-1).to(torch.float64) for k in keys]).tolist()
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
