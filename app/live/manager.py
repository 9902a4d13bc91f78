"""Run manager (skeleton: the live-runs work fills it in)."""

from app.settings import Settings


class RunManager:
    """Owns every run and group of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def start(self) -> None:
        """Called once in the lifespan, on the event loop."""

    async def aclose(self) -> None:
        """Stop every run and close every socket."""

    def running_count(self) -> int:
        return 0
