"""Routes: the presets (lessons), starting one, and RunConfig's JSON schema."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.bounds import TrainSpeed
from app.live.errors import NotFound
from app.ml.config import RunConfig
from app.ml.presets import PRESETS
from app.web.deps import ManagerDep

router = APIRouter(prefix="/api", tags=["presets"])


class PresetStart(BaseModel):
    """How to start a preset's runs."""

    model_config = ConfigDict(extra="forbid")
    steps_per_second: TrainSpeed = Field(20.0, description="0 = as fast as possible.")
    paused: bool = Field(False, description="Create without training (status 'created').")
    make_room: bool = Field(
        False,
        description="When max_running_runs would be passed, pause the oldest training runs first (the presenter's"
        " page: it must not dead-end in front of the room); without it the answer is 429.",
    )


@router.get("/presets")
def list_presets() -> list[dict]:
    """Every preset: name, kind (single or comparison), title and explanation (en, ko), runs with configs."""
    return [p.model_dump(mode="json") for p in PRESETS.values()]


@router.post("/presets/{name}/runs", status_code=201)
async def start_preset(name: str, manager: ManagerDep, body: PresetStart | None = None) -> dict:
    """Create the preset's runs; a comparison becomes a group training in lockstep."""
    preset = PRESETS.get(name)
    if preset is None:
        raise NotFound(f"no preset named {name!r}; known: {', '.join(PRESETS)}")
    body = body or PresetStart()
    made_room = await manager.make_room(len(preset.runs)) if body.make_room and not body.paused else []
    group, runs = await manager.create(
        [(r.label, r.config) for r in preset.runs],
        steps_per_second=body.steps_per_second,
        paused=body.paused,
        preset=name,
        grouped=preset.kind == "comparison",
    )
    return {
        "group": group.id if group else None,
        "runs": [r.to_dict() for r in runs],
        "paused_runs": made_room,  # ids of the runs paused to make room (make_room only), oldest first
    }


@router.get("/schema")
def get_schema() -> dict:
    """RunConfig's JSON schema: every field with its default, bounds and description."""
    return RunConfig.model_json_schema()
