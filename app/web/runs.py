"""Routes: /api/runs — create, list, read, control (pause/resume/step/stop/reset), change speed, delete."""

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.bounds import Name, Text, TrainSpeed
from app.i18n import pick_lang
from app.live.state import Action
from app.ml.config import RunConfig
from app.web.control import add_controls
from app.web.deps import ManagerDep
from app.web.naming import default_name

router = APIRouter(prefix="/api/runs", tags=["runs"])


class RunCreate(RunConfig):
    """A RunConfig plus how to start it."""

    steps_per_second: TrainSpeed = Field(
        20.0, description="Steps per second; 0 = as fast as possible. 20 is slow enough to watch."
    )
    paused: bool = Field(
        False, description="Create without training (status 'created'); resume or step later."
    )
    name: Text | None = Field(
        None,
        max_length=80,
        description="Display name; by default what the run is, in the request's Accept-Language "
        "(sigmoid-10x32, LSTM · 32 units · T = 50).",
    )

    def run_config(self) -> RunConfig:
        return RunConfig.model_validate(self.model_dump(include=set(RunConfig.model_fields)))


class RunPatch(BaseModel):
    """What may change while a run trains."""

    model_config = ConfigDict(extra="forbid")
    steps_per_second: TrainSpeed | None = Field(None, description="0 = as fast as possible.")
    name: Name | None = Field(None, max_length=80, description="Display name.")


@router.post("", status_code=201)
async def create_run(body: RunCreate, manager: ManagerDep, request: Request) -> dict:
    """Create a run and start training it (unless paused=true); answers once its worker has started."""
    config = body.run_config()
    name = body.name or default_name(config, pick_lang(None, request.headers.get("accept-language")))
    _, runs = await manager.create(
        [(name, config)], steps_per_second=body.steps_per_second, paused=body.paused
    )
    return runs[0].to_dict()


@router.get("")
async def list_runs(manager: ManagerDep) -> list[dict]:
    """Every run of this server, without history."""
    return [run.to_dict() for run in manager.runs.values()]


@router.get("/{run_id}")
async def get_run(
    run_id: str, manager: ManagerDep, history: Literal["records", "columns", "none"] = "records"
) -> dict:
    """A run with its bounded history: step records (default) or the compact columns; its viewer count; and its
    dataset points under the decision boundary (null unless 2-D data trained here)."""
    run = manager.get_run(run_id)
    out = run.to_dict()
    out["viewers"] = manager.viewer_count(run)
    out["points"] = run.data_points()
    if history == "records":
        out["history"] = run.history.as_records()
    elif history == "columns":
        out["history"] = run.history.as_columns()
    return out


async def _act(manager: ManagerDep, run_id: str, action: Action) -> dict:
    run = manager.get_run(run_id)
    await manager.act(manager.lockstep_of(run), action)
    return run.to_dict()


add_controls(
    router,
    "run",
    "run_id",
    _act,
    {
        Action.PAUSE: "Pause training (a run in a group pauses its whole group: they stay in lockstep).",
        Action.RESUME: "Resume a paused (or created) run.",
        Action.STEP: "Train exactly one step while paused (with every display metric); answers after the step.",
        Action.STOP: "Stop for good (the run stays inspectable; reset starts it over).",
        Action.RESET: "Back to step 0 with the same seed; keeps running if it was, else waits (status 'created').",
    },
)


@router.patch("/{run_id}")
async def update_run(run_id: str, body: RunPatch, manager: ManagerDep) -> dict:
    """Change the speed (steps per second, 0 = unthrottled) or the name."""
    run = manager.get_run(run_id)
    if body.steps_per_second is not None:
        manager.set_speed(manager.lockstep_of(run), body.steps_per_second)
    if body.name is not None:
        run.name = body.name
        if manager.recorder is not None:
            manager.recorder.on_rename(run.id, body.name)  # the record keeps the name the room saw
    return run.to_dict()


@router.delete("/{run_id}", status_code=204)
async def delete_run(run_id: str, manager: ManagerDep) -> Response:
    """Stop the run, close its viewers (1000) and forget it. A run of a group: delete the group."""
    manager.delete_run(run_id)
    return Response(status_code=204)
