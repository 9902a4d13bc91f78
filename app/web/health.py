"""GET /healthz: liveness for Docker's HEALTHCHECK and monitors."""

from fastapi import APIRouter

from app import __version__
from app.web.deps import ManagerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def get_health(manager: ManagerDep) -> dict:
    """Status, version and how many runs are training."""
    # async: answered on the event loop. A plain def would hop to a worker thread and back, two waits for the
    # GIL while training threads hold it.
    return {"status": "ok", "version": __version__, "running": manager.running_count()}
