"""The run state machine: statuses, the actions a presenter may take, and which status each applies in."""

from enum import StrEnum


class Status(StrEnum):
    """A run's status (also a group's, minus the per-run outcomes diverged and failed)."""

    CREATED = "created"  # step 0, not started (created with paused=true, or reset while not running)
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # reached max_steps
    STOPPED = "stopped"  # stopped by the presenter; reset starts over
    DIVERGED = "diverged"  # a loss or gradient stopped being finite; reason names the step and layer
    FAILED = "failed"  # the trainer raised; reason says what


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    STEP = "step"
    STOP = "stop"
    RESET = "reset"


ACTIVE = frozenset({Status.CREATED, Status.RUNNING, Status.PAUSED})
OUTCOMES = frozenset({Status.FINISHED, Status.DIVERGED, Status.FAILED})  # a run's own end

# Action -> (group modes it applies in, the mode it leads to). RESET applies in every mode: it goes to RUNNING
# when the group was running, else to CREATED. STEP trains one step and leaves the group paused.
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.PAUSE: (frozenset({Status.RUNNING}), Status.PAUSED),
    Action.RESUME: (frozenset({Status.CREATED, Status.PAUSED}), Status.RUNNING),
    Action.STEP: (frozenset({Status.CREATED, Status.PAUSED}), Status.PAUSED),
    Action.STOP: (ACTIVE, Status.STOPPED),
    Action.RESET: (frozenset(Status), None),
}
