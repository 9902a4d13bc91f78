"""Which steps read their gradient norms: every step, every k-th, or a k picked from what the read costs.

Reading the norms is one fused kernel per step, yet on a model whose steps take ~1 ms it is a few percent of the
step. "auto" measures it on the training thread (the first WARMUP_STEPS steps read every step) and picks the
smallest k that keeps its share of the step time within NORM_BUDGET; the measurement goes on (a clock read per
step) and k is reviewed every REVIEW_READS reads. Every other step still sends its loss and metrics.
"""

import math
import statistics
import time
from collections.abc import Callable
from typing import Final, Literal

AUTO: Final = "auto"
# The norm read's share of the step time that auto keeps within: 1 %, so that with the rest (the loss, the queue,
# the sender thread, display steps) watch() stays within a few percent on a 1 ms step.
NORM_BUDGET = 0.01
WARMUP_STEPS = 50  # steps read every step while the first measurement is taken (short runs stay exact)
REVIEW_READS = 32  # norm reads between two reviews of k (median of these against the median step)
MAX_EVERY = 100  # the sparsest auto schedule: a norm at least every 100 steps

GradNormEvery = int | Literal["auto"]


def check_every(every: object) -> GradNormEvery:
    """A valid grad_norm_every: "auto" or an int >= 1 (ValueError otherwise)."""
    if every == AUTO:
        return "auto"
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f'grad_norm_every must be "auto" or an int >= 1 (1: every step), got {every!r}')
    return every


class NormSchedule:
    """Says per step whether its norms are read: step 1, every step whose number is a multiple of `every`, and
    the display steps. With "auto", `every` follows the measured cost (see the module docstring)."""

    def __init__(self, every: GradNormEvery, clock: Callable[[], float] = time.perf_counter) -> None:
        every = check_every(every)
        self.auto = not isinstance(every, int)
        self.every: int = every if isinstance(every, int) else 1
        self.step_seconds: float | None = None  # median time of a step without the read (auto), once measured
        self.norm_seconds: float | None = None  # median time one norm read takes on the training thread
        self.version = 0  # bumped when k is picked or changed: the dashboard is told (not at every review)
        self._clock = clock
        self._last: float | None = None  # clock at the previous step
        self._read_last = False  # whether the previous step read its norms
        self._periods: list[
            float
        ] = []  # seconds from a step without a read to the next, since the last review
        self._read_periods: list[float] = []  # ... from a step with a read (that read included)
        self._costs: list[float] = []  # seconds per norm read since the last review

    def due(self, number: int, display: bool) -> bool:
        """Whether step `number` reads its norms; called once per step, when its gradients are ready."""
        due = display or number == 1 or number % self.every == 0
        if self.auto:
            now = self._clock()
            if self._last is not None:
                (self._read_periods if self._read_last else self._periods).append(now - self._last)
            self._last, self._read_last = now, due
        return due

    def timed(self) -> float:
        """The clock before a norm read (0.0 when not measuring)."""
        return self._clock() if self.auto else 0.0

    def read_took(self, started: float) -> None:
        """A norm read begun at `started` (timed()) ended now: count it, and review k when enough are counted."""
        if not self.auto:
            return
        self._costs.append(self._clock() - started)
        warm = self.version > 0
        if len(self._costs) >= (REVIEW_READS if warm else WARMUP_STEPS) and self._read_periods:
            self._review(first=not warm)

    def _review(self, first: bool) -> None:
        cost = statistics.median(self._costs)
        # The step without the read: timed between steps that read nothing, else (every step read) less the read.
        if len(self._periods) >= 3:
            period = statistics.median(self._periods)
        else:
            period = statistics.median(self._read_periods) - cost
        self._costs.clear()
        self._periods.clear()
        self._read_periods.clear()
        if period <= 0:
            period = cost / MAX_EVERY  # the read is (nearly) the whole step
        k = _smallest_every(cost, period, NORM_BUDGET)
        # After the first pick, k grows as soon as the read costs more than the budget, and shrinks only when it
        # would cost less than half of it: a noisy machine must not make k flap.
        if first or k > self.every or _smallest_every(cost, period, NORM_BUDGET / 2) < self.every:
            self.every = k
            self.step_seconds, self.norm_seconds = period, cost
            self.version += 1

    def describe(self) -> dict[str, object]:
        """What the dashboard shows (docs/protocol.md, "grad_norm_every")."""
        out: dict[str, object] = {"every": self.every, "auto": self.auto}
        if self.step_seconds is not None:
            out["step_seconds"] = self.step_seconds
        if self.norm_seconds is not None:
            out["norm_seconds"] = self.norm_seconds
        return out


def _smallest_every(cost: float, period: float, budget: float) -> int:
    """The smallest k for which a read of `cost` seconds every k steps of `period` seconds stays within budget."""
    return min(
        MAX_EVERY, max(1, math.ceil(cost / (budget * period) - 1e-9))
    )  # (not 21 for 20.000000000000004)
