"""Display-rate numbers of an external run that the optimizer and the gradients give: update ratio and histograms.

Both are taken on display steps only (every `display_every` optimizer steps), on the device, and read later.
"""

import torch
from torch import nn

from gradcast.deferred import Deferred
from gradcast.layers import Layer
from gradcast.protocol import HIST_BINS, HIST_LOG10_MIN

HIST_SAMPLE = 4096  # at most this many gradient elements per layer (evenly strided, the same ones every time)
_HIST_FLOOR = 1e-13  # below the first edge: lands in bin 0 like the zeros it stands for


def main_params(layers: list[Layer], params: list[nn.Parameter]) -> list[nn.Parameter]:
    """The tensor each layer is judged by: its `weight`, else its first direct parameter."""
    return [params[layer.weight if layer.weight is not None else layer.first] for layer in layers]


class UpdateRatio:
    """||W_after - W_before|| / ||W_before|| per layer: a copy of the weights on a display step, compared with
    them at the next read (after the optimizer's update). Costs one copy of the watched weights while it waits."""

    def __init__(self, weights: list[nn.Parameter]) -> None:
        self.weights = weights
        self._before: list[torch.Tensor] | None = None

    def snapshot(self) -> None:
        with torch.no_grad():
            self._before = [w.detach().clone() for w in self.weights]

    @property
    def waiting(self) -> bool:
        return self._before is not None

    def ratios(self) -> Deferred | None:
        """The ratio per layer since the snapshot (None without one); drops the snapshot."""
        before, self._before = self._before, None
        if before is None:
            return None
        with torch.no_grad():
            diffs = list(torch._foreach_sub([w.detach() for w in self.weights], before))
            norms = torch._foreach_norm(diffs + before, 2, dtype=torch.float32)
            n = len(before)
            moved, size = torch.stack(norms[:n]), torch.stack(norms[n:])
            # A layer whose weights are all 0 has no scale: its ratio is reported as inf (sent as null + flag).
            return Deferred(moved / size)


class GradHistogram:
    """Counts of |dL/dW| on the protocol's half-decade bins, per layer, from a strided sample of each gradient."""

    def __init__(self, weights: list[nn.Parameter]) -> None:
        self.weights = weights
        self.strides = [max(1, -(-w.numel() // HIST_SAMPLE)) for w in weights]
        sizes = torch.tensor(
            [-(-w.numel() // st) for w, st in zip(weights, self.strides, strict=True)], dtype=torch.long
        )
        # Each sampled element's bin offset (its layer * HIST_BINS), when every layer has a gradient: built once.
        self._owners = torch.repeat_interleave(torch.arange(len(weights)) * HIST_BINS, sizes)
        self._owners_on: dict[torch.device, torch.Tensor] = {}

    def counts(self) -> Deferred | None:
        """(layers, HIST_BINS) counts of the gradients now; a layer without a gradient has all zeros."""
        samples, owners = [], []
        with torch.no_grad():
            for i, (w, stride) in enumerate(zip(self.weights, self.strides, strict=True)):
                g = w.grad
                if g is None or g.is_sparse:
                    continue
                flat = g.detach().reshape(-1)[::stride]
                samples.append(flat)
                owners.append((i, flat))
            if not samples:
                return None
            values = torch.cat(samples).float()
            if len(owners) == len(self.weights):
                offsets = self._owners_on.get(values.device)
                if offsets is None:
                    offsets = self._owners_on[values.device] = self._owners.to(values.device)
            else:  # some layer had no gradient this step
                offsets = torch.cat(
                    [torch.full((f.numel(),), i * HIST_BINS, device=f.device) for i, f in owners]
                )
            # 2 log10|v| = log10(v^2): no abs; nan and inf go to the last bin.
            pos = torch.log10(values.square_().clamp_(min=_HIST_FLOOR**2)).sub_(2 * HIST_LOG10_MIN)
            bins = pos.nan_to_num_(nan=HIST_BINS).clamp_(0, HIST_BINS - 1).long()
            flat_counts = torch.bincount(bins.add_(offsets), minlength=len(self.weights) * HIST_BINS)
            return Deferred(flat_counts.reshape(len(self.weights), HIST_BINS))
