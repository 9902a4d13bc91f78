"""GET /healthz: liveness for Docker's HEALTHCHECK and monitors."""

from fastapi import APIRouter

from app import __version__
from app.web.deps import ManagerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def get_health(manager: ManagerDep) -> dict:
    """Status, version and how many runs are training."""
    return {"status": "ok", "version": __version__, "running": manager.running_count()}
