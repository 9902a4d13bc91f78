"""External runs: fed step records from outside (a sender's ingest) instead of by a trainer here.

A part of RunManager (mixed in): creating such runs and groups, taking their records, ending them.
"""

from pydantic import BaseModel

from app.live.errors import Conflict, Gone
from app.live.items import RecordItem, StatusItem
from app.live.parts import ManagerState
from app.live.run import Run
from app.live.state import Status
from app.ml.records import JsonObject, StepRecord
from gradcast.protocol import GRAD_NORM_EVERY


class ExternalRuns(ManagerState):
    """create_external, ingest, finish_external.

    Uses the manager's state and its get_run, _check_room, _new_run, _register and apply_items (ManagerState).
    """

    def get_posted_run(self, run_id: str) -> Run:
        """The run a sender posts to: Gone (410) once deleted here, so it stops; NotFound (404) when this server
        never knew it (it restarted), so it registers again."""
        if run_id in self.deleted:
            raise Gone(f"run {run_id} was deleted on the dashboard; it takes no more steps")
        return self.get_run(run_id)

    def create_external(
        self, name: str, layer_names: list[str], config: BaseModel | None = None, record: bool = True
    ) -> Run:
        """A run fed step records from outside (see ingest) instead of by a trainer here; record=False: not kept."""
        self._check_room(1, 0)
        run = self._new_run(name, config, layer_names, external=True, status=Status.RUNNING)
        self._register(run, record)
        return run

    def ingest(self, run_id: str, records: list[StepRecord]) -> None:
        """Step records of an external run, as if its trainer were here (call on the loop)."""
        run = self.get_run(run_id)
        if not run.external:
            raise Conflict(f"run {run_id} is trained here; only external runs take records")
        if run.status is not Status.RUNNING:
            raise Conflict(f"run {run_id} is {run.status.value}; it takes no more records")
        self.apply_items([RecordItem(run_id, r) for r in records])

    def set_norm_sampling(self, run_id: str, sampling: JsonObject) -> None:
        """An external run's client changed which steps carry gradient norms (gradcast.protocol.GRAD_NORM_EVERY):
        kept in its config (and its recording), and its viewers get a fresh snapshot to show it."""
        run = self.get_run(run_id)
        config = getattr(run.config, "root", None)  # an external run's config: a dict of JSON values
        if not isinstance(config, dict) or config.get(GRAD_NORM_EVERY) == sampling:
            return
        config[GRAD_NORM_EVERY] = sampling
        if self.recorder is not None:
            self.recorder.on_config(run.id, config)
        self.publish_snapshots([run])

    def finish_external(self, run_id: str, status: Status, reason: str | None = None) -> None:
        """Mark an external run as ended (finished, stopped, diverged or failed)."""
        run = self.get_run(run_id)
        if not run.external:
            raise Conflict(f"run {run_id} is trained here")
        self.apply_items([StatusItem(run_id, status, run.step, reason)])
