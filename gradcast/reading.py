"""What reading one optimizer step takes: fused gradient norms every step (or every k-th: gradcast.sampling), and on
display steps (every `display_every`-th, at most every `display_interval` s) histograms, update ratios and a'(z)."""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from gradcast.activations import ActivationProbes
from gradcast.deferred import Deferred
from gradcast.display import GradHistogram, UpdateRatio, main_params
from gradcast.layers import Layer, NormReader, may_be_sparse
from gradcast.sampling import AUTO, GradNormEvery, NormSchedule, check_every
from gradcast.wire import Captured

log = logging.getLogger("gradcast.client")


@dataclass(frozen=True, slots=True)
class ReadingOptions:
    """What watch() reads and how often (docs/client.md, "Options"); one value handed from watch() to the reader."""

    grad_norm_every: GradNormEvery = AUTO  # steps between gradient-norm reads; "auto": picked from their cost
    weight_norm_every: int = 10  # steps between weight_norm samples: one more fused norm
    display_every: int = 10  # steps between display steps ...
    display_interval: float = 0.1  # ... and seconds at least: a fast loop's extras stay bounded
    histograms: bool = True
    update_ratio: bool = True
    activations: bool = False

    def __post_init__(self) -> None:
        if self.weight_norm_every < 0 or self.display_every < 0:
            raise ValueError(
                f"weight_norm_every and display_every must be >= 0 (0: never), got "
                f"{self.weight_norm_every} and {self.display_every}"
            )
        check_every(self.grad_norm_every)


class StepReader:
    """Reads steps of one model. read() launches device work only; the values are read in the sender."""

    def __init__(
        self,
        model: nn.Module,
        layers: list[Layer],
        params: list[nn.Parameter],
        options: ReadingOptions,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.options = options
        self.schedule = NormSchedule(options.grad_norm_every, clock)
        self._last_display = -math.inf  # monotonic time of the last display step
        self._last_weights = 0  # the last step that read the weight norms ...
        self._last_weights_at = -math.inf  # ... and its monotonic time
        self._display_next = options.display_every > 0  # whether the next step is a display step (step 1 is)
        self._norms = NormReader(params, sparse=may_be_sparse(model))
        weights = main_params(layers, params)
        shown = options.display_every > 0
        self.ratio = UpdateRatio(weights) if options.update_ratio and shown else None
        self._hist: GradHistogram | None = GradHistogram(weights) if options.histograms and shown else None
        self._probes = ActivationProbes(model, layers) if options.activations and shown else None
        if self._probes is not None:
            self._probes.armed = self._display_next

    def measured(self, tracks_updates: bool) -> list[str]:
        """The wire fields this reader fills (the dashboard says once what the others lack)."""
        out = ["weight_grad_norm", "bias_grad_norm"]
        if self.options.weight_norm_every:
            out.append("weight_norm")
        if tracks_updates and self.ratio is not None:
            out.append("update_ratio")
        if self._hist is not None:
            out.append("grad_hist")
        if self._probes is not None and self._probes.credited:
            out += ["mean_act_deriv", "saturated_frac", "dead_frac"]
        return out

    def read(self, number: int) -> Captured | None:
        """Step `number`'s gradients (None when there is none). A step off the norm schedule carries no norms
        (its loss and metrics still travel). Raises what the fused norm raises."""
        if self.off_schedule(number):
            return Captured(number, time.time(), None)
        return self.read_norms(number)

    def off_schedule(self, number: int) -> bool:
        """Whether step `number` reads no norms (then the schedules move on as read() would); call once per step,
        and read_norms(number) when it is False."""
        if self.schedule.due(number, self._display_next):  # (a display step always reads)
            return False
        every = self.options.display_every
        if every > 0 and (number + 1) % every == 0:
            self._display_next = self._due(number + 1)
            if self._probes is not None:
                self._probes.armed = self._display_next
        return True

    def read_norms(self, number: int) -> Captured | None:
        """Step `number`'s norms (and its display extras on a display step), off_schedule(number) being False."""
        display = self._display_next
        every = self.options.weight_norm_every
        # Weight norms on their own schedule (on the steps that read norms), and on display steps: a group's update
        # ratio needs its ||W||.
        weights = display or (
            every > 0
            and (number == 1 or (number // every > self._last_weights // every and self._weights_due()))
        )
        started = self.schedule.timed() if not weights else 0.0
        norms = self._norms.read(with_weights=weights)
        if norms is None:
            return None
        if weights:
            self._last_weights = number
            self._last_weights_at = time.monotonic()
        else:  # the plain read is what the schedule weighs against the step
            self.schedule.read_took(started)
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

    def _weights_due(self) -> bool:
        """While the norms are sampled (steps too short for every-step norms), weight norms too are taken at most
        every display_interval s, as display steps are: a fast loop's extras stay bounded."""
        return (
            self.schedule.every == 1
            or time.monotonic() - self._last_weights_at >= self.options.display_interval
        )

    def _due(self, step: int) -> bool:
        every = self.options.display_every
        return (
            every > 0
            and step % every == 0
            and time.monotonic() - self._last_display >= self.options.display_interval
        )

    def _histogram(self) -> Deferred | None:
        """This step's histogram counts; a model they cannot be taken of (e.g. split over devices) goes without."""
        if self._hist is None:
            return None
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
