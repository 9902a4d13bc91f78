"""Routes: /api/groups — the runs of a comparison, controlled together (they train in lockstep)."""

from fastapi import APIRouter, Response

from app.live.state import Action
from app.web.control import add_controls
from app.web.deps import ManagerDep
from app.web.runs import RunPatch

router = APIRouter(prefix="/api/groups", tags=["groups"])


@router.get("")
async def list_groups(manager: ManagerDep) -> list[dict]:
    """Every comparison group."""
    return [manager.group_dict(g) for g in manager.groups.values()]


@router.get("/{group_id}")
async def get_group(group_id: str, manager: ManagerDep) -> dict:
    """A group and its runs (histories: GET /api/runs/{id})."""
    return manager.group_dict(manager.get_group(group_id))


async def _act(manager: ManagerDep, group_id: str, action: Action) -> dict:
    group = manager.get_group(group_id)
    await manager.act(group.lockstep, action)
    return manager.group_dict(group)


add_controls(
    router,
    "group",
    "group_id",
    _act,
    {
        Action.PAUSE: "Pause every run of the group at the same step.",
        Action.RESUME: "Resume every run of the group.",
        Action.STEP: "One step of every run while paused; answers after the step.",
        Action.STOP: "Stop every run of the group.",
        Action.RESET: "Every run back to step 0, same seeds.",
    },
)


@router.patch("/{group_id}")
async def update_group(group_id: str, body: RunPatch, manager: ManagerDep) -> dict:
    """Change the group's speed (steps per second, 0 = unthrottled); a name renames nothing here."""
    group = manager.get_group(group_id)
    if body.steps_per_second is not None:
        manager.set_speed(group.lockstep, body.steps_per_second)
    return manager.group_dict(group)


@router.delete("/{group_id}", status_code=204)
async def delete_group(group_id: str, manager: ManagerDep) -> Response:
    """Stop the group's runs, close their viewers (1000) and forget them."""
    manager.delete_group(group_id)
    return Response(status_code=204)
