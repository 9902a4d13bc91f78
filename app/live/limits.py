"""Server limits on runs: what refuses a new run or a resume, with a message naming the limit and its value."""

from app.live.errors import Conflict, LimitReached
from app.ml.config import RunConfig
from app.settings import Settings


def check_config(settings: Settings, config: RunConfig) -> None:
    """409 when the network is larger, or the run longer, than this server allows."""
    params = config.param_count()
    if params > settings.max_params:
        raise Conflict(
            f"network too large: {params} parameters, over the limit max_params={settings.max_params}"
        )
    steps = config.max_steps
    if steps > settings.max_steps:
        raise Conflict(f"max_steps={steps} is over the server's limit max_steps={settings.max_steps}")


def check_room(settings: Settings, *, kept: int, training: int, new_runs: int, to_train: int) -> None:
    """429 when `new_runs` more runs would pass max_runs, or `to_train` more training ones max_running_runs."""
    if kept + new_runs > settings.max_runs:
        raise LimitReached(f"limit reached: max_runs={settings.max_runs} runs kept; delete a run first")
    if to_train and training + to_train > settings.max_running_runs:
        raise LimitReached(
            f"limit reached: max_running_runs={settings.max_running_runs} ({training} training now,"
            f" {to_train} more asked); pause or stop a run first"
        )
