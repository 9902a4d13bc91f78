"""What reading one optimizer step takes: fused gradient norms every step, and on display steps (every
`display_every`-th, at most every `display_interval` s) histograms, update ratios and a'(z)."""

import logging
import math
import time

from torch import nn

from gradcast.activations import ActivationProbes
from gradcast.display import GradHistogram, UpdateRatio, main_params
from gradcast.layers import Layer, NormReader, may_be_sparse
from gradcast.wire import Captured

log = logging.getLogger("gradcast.client")


class StepReader:
    """Reads steps of one model. read() launches device work only; the values are read in the sender."""

    def __init__(
        self,
        model: nn.Module,
        layers: list[Layer],
        params: list[nn.Parameter],
        *,
        weight_norm_every: int,
        display_every: int,
        display_interval: float,
        histograms: bool,
        update_ratio: bool,
        activations: bool,
    ) -> None:
        if weight_norm_every < 0 or display_every < 0:
            raise ValueError(
                f"weight_norm_every and display_every must be >= 0 (0: never), got "
                f"{weight_norm_every} and {display_every}"
            )
        self.weight_norm_every = weight_norm_every  # steps between weight_norm samples: one more fused norm
        self.display_every = display_every  # steps between display steps ...
        self.display_interval = (
            display_interval  # ... and seconds at least: a fast loop's extras stay bounded
        )
        self._last_display = -math.inf  # monotonic time of the last display step
        self._display_next = display_every > 0  # whether the next step read is a display step (step 1 is)
        self._norms = NormReader(params, sparse=may_be_sparse(model))
        weights = main_params(layers, params)
        self.ratio = UpdateRatio(weights) if update_ratio and display_every else None
        self._hist = GradHistogram(weights) if histograms and display_every else None
        self._probes = ActivationProbes(model, layers) if activations and display_every else None
        if self._probes is not None:
            self._probes.armed = self._display_next

    def measured(self, tracks_updates: bool) -> list[str]:
        """The wire fields this reader fills (the dashboard says once what the others lack)."""
        out = ["weight_grad_norm", "bias_grad_norm"]
        if self.weight_norm_every:
            out.append("weight_norm")
        if tracks_updates and self.ratio is not None:
            out.append("update_ratio")
        if self._hist is not None:
            out.append("grad_hist")
        if self._probes is not None and self._probes.credited:
            out += ["mean_act_deriv", "saturated_frac", "dead_frac"]
        return out

    def read(self, number: int) -> Captured | None:
        """Step `number`'s gradients (None when there is none). Raises what the fused norm raises."""
        every = self.weight_norm_every
        display = self._display_next
        # Weight norms on their own schedule, and on display steps: a group's update ratio needs its ||W||.
        weights = display or (every > 0 and (number % every == 0 or number == 1))
        norms = self._norms.read(with_weights=weights)
        if norms is None:
            return None
        cap = Captured(step=number, t=time.time(), norms=norms, display=display)
        if cap.display:
            self._last_display = time.monotonic()
            if self._hist is not None:
                cap.hist = self._histogram()
            if self._probes is not None:
                cap.acts = self._probes.take()
        self._display_next = self._due(number + 1)
        if self._probes is not None:
            self._probes.armed = self._display_next  # the next forward pass belongs to the next step
        return cap

    def _due(self, step: int) -> bool:
        return (
            self.display_every > 0
            and step % self.display_every == 0
            and time.monotonic() - self._last_display >= self.display_interval
        )

    def _histogram(self):
        """This step's histogram counts; a model they cannot be taken of (e.g. split over devices) goes without."""
        try:
            return self._hist.counts()
        except Exception as exc:
            log.warning("GradCast: gradient histograms turned off (%s: %s)", type(exc).__name__, exc)
            self._hist = None
            return None

    def before_update(self, cap: Captured | None) -> None:
        """Just before the optimizer updates the weights: keep a copy of them on a display step."""
        if self.ratio is not None and cap is not None and cap.display:
            self.ratio.snapshot()

    def after_update(self, cap: Captured | None) -> None:
        """Just after the update: ||dW|| / ||W|| per layer for the step read last."""
        if self.ratio is not None and cap is not None and self.ratio.waiting:
            cap.update_ratio = self.ratio.ratios()

    def remove(self) -> None:
        """Take the forward hooks off the model."""
        if self._probes is not None:
            self._probes.remove()
