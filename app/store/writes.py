"""What the recorder's callers hand its writer thread: one small type per write, queued in the order the stream
showed them. Each is immutable once queued (a step's record is never mutated afterwards either)."""

import threading
from dataclasses import dataclass

from app.ml.records import JsonObject, StepRecord


@dataclass(frozen=True, slots=True)
class RunCreated:
    """A new live run to record: the protocol's run dict (a copy), and when it came (unix s)."""

    info: JsonObject
    t: float


@dataclass(frozen=True, slots=True)
class StepTaken:
    """One step of a recorded run."""

    run_id: str  # the live run's id (its record's id can differ: the writer keeps the map)
    record: StepRecord


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A run's status changed (reason: why it ended, for diverged, failed and a presenter's stop)."""

    run_id: str
    status: str
    step: int
    reason: str | None
    t: float


@dataclass(frozen=True, slots=True)
class Renamed:
    """A live run renamed on the dashboard: its record takes the new name."""

    run_id: str
    name: str
    t: float


@dataclass(frozen=True, slots=True)
class ConfigChanged:
    """A live run's config changed (an external run's gradient-norm schedule): its record keeps the new one."""

    run_id: str
    config: str  # the whole config as JSON text
    t: float


@dataclass(frozen=True, slots=True)
class Flush:
    """Set `done` once everything queued before it is committed (or recording failed)."""

    done: threading.Event


@dataclass(frozen=True, slots=True)
class Stop:
    """Write what is queued, then end the writer thread."""


Write = RunCreated | StepTaken | StatusChanged | Renamed | ConfigChanged | Flush | Stop
