"""What the parts of the live layer need from each other, declared: a checker (and a reader) can follow a call
from one part into another without guessing.

- Pacer: what drives a run, a Lockstep of worker threads (app/live/lockstep.py) or the Replay feeding it
  (app/live/replay.py); the manager and the routes control either through this.
- Recorder: what the manager tells the store as runs are created, step and change status (app/store/recorder.py).
- ManagerState: the run manager's state and lookups, which its parts (app/live/output.py, app/live/external.py)
  share; RunManager (app/live/manager.py) implements it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypedDict, Unpack

if TYPE_CHECKING:
    from collections import OrderedDict

    from pydantic import BaseModel

    from app.live.group import Group
    from app.live.hub import Hub
    from app.live.items import Ack, Items
    from app.live.lockstep import Member
    from app.live.run import Run
    from app.live.state import Action, Status
    from app.ml.records import JsonObject, StepRecord
    from app.settings import Settings


class NewRunFields(TypedDict, total=False):
    """What a new run may be given beyond its name, config and layers: Run's fields of the same names."""

    group: str | None
    preset: str | None
    points: JsonObject | None
    external: bool
    status: Status


class Pacer(Protocol):
    """The controls of one run or group: a Lockstep training it here, or a Replay feeding it recorded steps."""

    @property
    def members(self) -> Sequence[Member]: ...  # its worker threads' runs (a replay has none)

    @property
    def mode(self) -> Status: ...  # the group's status

    @property
    def steps_per_second(self) -> float: ...  # the pace; 0 = as fast as possible

    def command(self, action: Action, ack: Ack) -> None: ...  # Conflict when the action does not apply now

    def set_speed(self, steps_per_second: float) -> None: ...

    def request_exit(self) -> None: ...

    def join(self, timeout: float) -> bool: ...  # from a thread: True once its workers ended

    def running_count(self) -> int: ...  # runs training now (for max_running_runs)


class Recorder(Protocol):
    """Keeps what the room saw: each call only enqueues, on the event loop, in the order the stream shows."""

    def on_create(self, run_info: JsonObject) -> None: ...

    def on_record(self, run_id: str, record: StepRecord) -> None: ...

    def on_status(self, run_id: str, status: str, step: int, reason: str | None = None) -> None: ...

    def on_rename(self, run_id: str, name: str) -> None: ...

    def on_config(self, run_id: str, config: JsonObject) -> None: ...


class ManagerState(Protocol):
    """The run manager's state and the methods its parts call on each other (RunManager has them all)."""

    settings: Settings
    hub: Hub
    runs: dict[str, Run]
    groups: dict[str, Group]
    recorder: Recorder | None
    deleted: OrderedDict[str, None]  # ids of runs deleted here, newest last (a bounded set)

    def get_run(self, run_id: str) -> Run: ...

    def get_group(self, group_id: str) -> Group: ...

    def group_dict(self, group: Group) -> JsonObject: ...

    def apply_items(self, items: Items) -> None: ...

    def publish_snapshots(self, runs: list[Run]) -> None: ...

    def _check_room(self, new_runs: int, to_train: int) -> None: ...

    def _new_run(
        self, name: str, config: BaseModel | None, layer_names: list[str], **fields: Unpack[NewRunFields]
    ) -> Run: ...

    def _register(self, run: Run, record: bool) -> None: ...
