"""A comparison group as the event loop sees it: its runs, created together and driven by one Pacer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.live.run import Run
from app.ml.records import JsonObject

if TYPE_CHECKING:
    from app.live.parts import Pacer


@dataclass
class Group:
    """A comparison: runs created together from one preset, trained in lockstep."""

    id: str
    preset: str | None
    lockstep: Pacer  # the Lockstep of all its runs, or the Replay feeding them
    run_ids: list[str]
    created: float = field(default_factory=time.time)

    def to_dict(self, runs: list[Run]) -> JsonObject:
        """The group object of the protocol."""
        return {
            "id": self.id,
            "preset": self.preset,
            "status": self.lockstep.mode.value,
            "step": max((r.step for r in runs), default=0),
            "steps_per_second": self.lockstep.steps_per_second,
            "created": self.created,
            "runs": [r.to_dict() for r in runs],
        }
