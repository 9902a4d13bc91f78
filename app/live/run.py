"""A run as the event loop sees it: identity, config, status, bounded history, and the frames it publishes.

Records reach a Run either from its trainer's worker thread (through the manager) or from outside
(an external run: `ingest`). Either way `apply_record` turns them into history and frames.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel

from app.live import messages
from app.live.history import History
from app.live.state import Status
from app.ml.config import RunConfig
from app.ml.points import points_for
from app.ml.records import JsonObject, StepRecord

if TYPE_CHECKING:
    from app.live.parts import Pacer


@dataclass
class Run:
    """One run: what GET /api/runs/{id} and the snapshot describe."""

    id: str
    name: str
    config: BaseModel | None  # RunConfig; an external run's own config object, or None when it sent none
    layer_names: list[str]
    hist_edges: list[float]
    history: History
    display_fps: float
    group: str | None = None
    preset: str | None = None
    external: bool = False
    created: float = field(default_factory=time.time)
    status: Status = Status.CREATED
    reason: str | None = None
    step: int = 0
    lockstep: Pacer | None = (
        None  # the Lockstep training it, the Replay feeding it, or None (an external run)
    )
    between: list[JsonObject] = field(default_factory=list)  # compact steps since the last frame
    last_frame: float = 0.0  # time.monotonic() of the last frame sent
    points: JsonObject | None = None  # the 2-D training points under the boundary: see data_points
    # A replay's {"record": recorded run id, "first", "last": its recorded steps} (app/live/replay.py), else None
    replay: JsonObject | None = None

    @property
    def kind(self) -> str:
        """ "trained" here, "external" (fed by a sender: app/live/external.py) or "replay" (of a record)."""
        return "replay" if self.replay is not None else "external" if self.external else "trained"

    @property
    def record_id(self) -> str | None:
        """The id of the recorded run a replay feeds it from; None when it is not a replay."""
        return self.replay["record"] if self.replay is not None else None

    @property
    def streams(self) -> list[str]:
        """The stream keys its messages go to: its own, and its group's."""
        return [f"run:{self.id}", f"group:{self.group}"] if self.group else [f"run:{self.id}"]

    @property
    def max_steps(self) -> int | None:
        return getattr(self.config, "max_steps", None)

    def data_points(self) -> JsonObject | None:
        """The dataset points drawn under the decision boundary: a run trained here draws them again from its config
        (once); an external run or a replay has only what its creator set (a replay: its recording's)."""
        if self.points is None and self.kind == "trained" and isinstance(self.config, RunConfig):
            self.points = points_for(self.config)
        return self.points

    def to_dict(self) -> JsonObject:
        """The run object of the protocol (no history, no points: it is listed, recorded and answered often)."""
        lockstep = self.lockstep
        return {
            "id": self.id,
            "name": self.name,
            "group": self.group,
            "preset": self.preset,
            "status": self.status.value,
            "reason": self.reason,
            "step": self.step,
            "max_steps": self.max_steps,
            "steps_per_second": lockstep.steps_per_second if lockstep is not None else None,
            "external": self.external,
            "kind": self.kind,
            "replay": self.replay,
            "created": self.created,
            "config": self.config.model_dump(mode="json") if self.config is not None else None,
            "layer_names": self.layer_names,
            "hist_edges": self.hist_edges,
        }

    def apply_record(self, record: StepRecord, may_frame: bool = True) -> JsonObject | None:
        """Take one step into the history; return the frame message when this step is to be shown.

        may_frame=False holds every frame back (flush_frame publishes the newest): a replayed group's batch."""
        step = messages.step_dict(record)
        self.step = record.step
        now = time.monotonic()
        # Display steps are framed: the lockstep clock takes them at most display_fps times a second,
        # the same steps for every run of a group. An external sender's are capped here.
        capped = self.external and now - self.last_frame < 0.5 / self.display_fps
        if record.full and may_frame and not capped:
            msg = messages.frame(self.id, step, self.between)
            self.between = []
            self.last_frame = now
            self.history.append(step)
            return msg
        self.between.append(step)  # a step between frames has only the every-step numbers anyway
        self.history.append(step)
        return None

    def flush_frame(self) -> JsonObject | None:
        """A frame of the newest step when steps are waiting (before a status change, so clients are current)."""
        if not self.between:
            return None
        *rest, last = self.between
        self.between = []
        self.last_frame = time.monotonic()
        return messages.frame(self.id, last, rest)

    def reset(self) -> None:
        """Back to step 0: history and pending steps forgotten."""
        self.history.clear()
        self.between = []
        self.step = 0
        self.last_frame = 0.0
