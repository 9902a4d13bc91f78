"""A run's bounded history of step records: memory stays flat however long the run trains."""

from collections import deque

from app.live.messages import columns
from app.ml.records import JsonObject


class History:
    """Step records (wire dicts), oldest first, at most `capacity` of them.

    When full, the older half keeps every second record (so older steps grow sparser, newer ones stay dense).
    Only the newest `hist_keep` records keep their grad_hist and time profile and only the newest boundary is kept: those are the
    large parts, and the dashboard draws them for the current step.
    """

    def __init__(self, capacity: int, hist_keep: int = 200) -> None:
        self.capacity = capacity
        self.hist_keep = hist_keep
        self.records: list[JsonObject] = []
        self._with_hist: deque[JsonObject] = deque()  # records still holding grad_hist, oldest first
        self.boundary: JsonObject | None = None  # the newest decision boundary ...
        self.boundary_step = -1  # ... and the step it belongs to
        self.thinned = 0  # how many times the older half was downsampled

    def __len__(self) -> int:
        return len(self.records)

    def append(self, record: JsonObject) -> None:
        """Add one step record (its boundary, if any, is kept aside as the newest one)."""
        if "boundary" in record:
            self.boundary = record["boundary"]
            self.boundary_step = record["step"]
            record = {k: v for k, v in record.items() if k != "boundary"}
        if len(self.records) >= self.capacity:
            half = len(self.records) // 2
            self.records[:half] = self.records[:half:2]
            self.thinned += 1
        self.records.append(record)
        if "time" in record or any("grad_hist" in layer for layer in record["layers"]):
            self._with_hist.append(record)
            if len(self._with_hist) > self.hist_keep:
                old = self._with_hist.popleft()
                old.pop("time", None)  # a recurrent run's dL/dh_t profile: T numbers, kept like grad_hist
                for layer in old["layers"]:
                    layer.pop("grad_hist", None)

    def clear(self) -> None:
        """Forget everything (a reset)."""
        self.records.clear()
        self._with_hist.clear()
        self.boundary = None
        self.boundary_step = -1

    def as_records(self, limit: int | None = None) -> list[JsonObject]:
        """The records (at most `limit`: the newest half dense, the older ones evenly thinned), the newest
        boundary attached to the record of its step."""
        out = self.records
        if limit is not None and len(out) > limit:
            recent = limit // 2
            older = out[:-recent]
            stride = len(older) / (limit - recent)
            out = [older[int(i * stride)] for i in range(limit - recent)] + out[-recent:]
        else:
            out = list(out)
        if self.boundary is not None:
            for i in range(len(out) - 1, -1, -1):
                if out[i]["step"] == self.boundary_step:
                    out[i] = {**out[i], "boundary": self.boundary}
                    break
                if out[i]["step"] < self.boundary_step:
                    break
        return out

    def as_columns(self) -> JsonObject:
        """The compact columnar form (every-step numbers only)."""
        return columns(self.records)
