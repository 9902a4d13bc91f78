"""What the worker threads (and replays, and external senders) hand the event loop: one small type per message.

A lockstep tick posts a list of these, in order; the run manager's apply_items (app/live/output.py) applies them on
the loop. Each is immutable once posted: the thread that made it keeps no reference.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from app.live.state import Status
from app.ml.records import StepRecord

# A token the loop awaits until the workers acted on a command (an asyncio future; threads only hand it back).
Ack = asyncio.Future[None]


@dataclass(frozen=True, slots=True)
class RecordItem:
    """One step a run took: into its history, and into a frame when it is a display-rate step."""

    run_id: str
    record: StepRecord


@dataclass(frozen=True, slots=True)
class StatusItem:
    """A run's status changed (reason: why it ended, for diverged, failed and a presenter's stop)."""

    run_id: str
    status: Status
    step: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ResetItem:
    """These runs went back to step 0: their history is forgotten and their viewers start over."""

    run_ids: list[str]


@dataclass(frozen=True, slots=True)
class AckItem:
    """The commands behind these tokens took effect: the requests waiting on them may answer."""

    acks: list[Ack]


Item = RecordItem | StatusItem | ResetItem | AckItem
Items = list[Item]


def is_urgent(item: Item) -> bool:
    """Whether the loop should wake for it now: anything but a step between two frames (which rides along with
    the next frame)."""
    return not isinstance(item, RecordItem) or item.record.full
