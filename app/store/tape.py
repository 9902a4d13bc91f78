"""A recorded run's steps, read for a replay: forward from any step, or the history leading up to one.

Every read goes through the steps table's primary key (run_id, step): a seek into a 100,000-step record reads a
few hundred rows, never the whole run. Implements app.live.replay.Tape (without importing it: the store knows
nothing of live runs).
"""

import threading

from app.ml.records import StepRecord
from app.store.runstore import RunStore

BOUNDARY_FROM = 1000  # steps from the first in which a run on 2-D data has stored a boundary


class RecordTape:
    """The steps of recorded run `rid`, first..last."""

    def __init__(self, store: RunStore, rid: str, layer_names: list[str]) -> None:
        self.store, self.rid, self.layer_names = store, rid, list(layer_names)
        self.first, self.last = store.step_range(rid)  # (0, 0) for a record without steps
        # A run on 2-D data evaluates its boundary from its first steps on: one that has none there has none at all
        # (so a seek into a long run on other data never looks back for one).
        self.has_boundary = store.boundary_at(rid, self.first + BOUNDARY_FROM) is not None
        self._at = 0  # the step the next read continues after ...
        self._boundary: dict | None = None  # ... and the decision boundary in effect there
        self._lock = threading.Lock()  # a replay reads ahead and seeks from worker threads, maybe at once

    def read(self, after: int, limit: int) -> list[StepRecord]:
        """The recorded steps after step `after`, in order, at most `limit` of them."""
        with self._lock:
            return self._read(after, limit)

    def view(self, step: int, points: int) -> list[StepRecord]:
        """The history as a viewer sees it at `step`: its newest points // 2 steps, the older ones evenly thinned
        to the rest, the newest display-rate step at or before it (the panels draw it) and the boundary then."""
        with self._lock:
            return self._view(step, points)

    def _read(self, after: int, limit: int) -> list[StepRecord]:
        if after != self._at:
            self._boundary = self._boundary_at(after)
        recs = self.store.steps_after(self.rid, self.layer_names, after, limit, self._boundary)
        for rec in recs:
            self._boundary = rec.boundary if rec.boundary is not None else self._boundary
        self._at = recs[-1].step if recs else after
        return recs

    def _view(self, step: int, points: int) -> list[StepRecord]:
        if step < self.first:
            self._at, self._boundary = step, None
            return []
        dense = self.store.steps_before(self.rid, self.layer_names, step, max(1, points // 2))
        head_end = dense[0].step - 1 if dense else step
        sparse = points - len(dense)
        picks: list[int] = []
        if head_end >= self.first and sparse > 0:
            span = head_end - self.first + 1
            stride = max(1, -(-span // sparse))
            picks = list(range(self.first, head_end + 1, stride))
        recs = self.store.steps_at(self.rid, self.layer_names, picks) + dense
        if not any(r.full for r in dense):
            display = self.store.last_display(self.rid, self.layer_names, head_end)
            if display is not None:
                recs = [r for r in recs if r.step != display.step]
                recs.append(display)
                recs.sort(key=lambda r: r.step)
        for rec in recs:
            rec.boundary = None
        self._boundary = self._boundary_at(step)
        if recs and self._boundary is not None:
            recs[-1].boundary = self._boundary  # the current boundary rides on the newest record, as live
        self._at = step
        return recs

    def _boundary_at(self, step: int) -> dict | None:
        return self.store.boundary_at(self.rid, step) if self.has_boundary and step > 0 else None
