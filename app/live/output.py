"""Worker output on the event loop: step records become history and frames, status changes and resets reach viewers.

A part of RunManager (mixed in): the Handoff hands it each batch of items a lockstep tick posted, in order.
"""

from app.live import messages
from app.live.group import Group
from app.live.items import AckItem, Items, RecordItem, ResetItem, StatusItem
from app.live.parts import ManagerState
from app.live.run import Run
from app.ml.records import JsonObject


class WorkerOutput(ManagerState):
    """apply_items (worker output, in order) and snapshot (what a viewer starting over is sent).

    Uses the manager's state and lookups (ManagerState).
    """

    def apply_items(self, items: Items) -> None:
        """Worker output, in order: records to history and frames, status changes, resets, acks."""
        for item in items:
            if isinstance(item, RecordItem):
                run = self.runs.get(item.run_id)
                if run is not None:
                    if self.recorder is not None:
                        self.recorder.on_record(run.id, item.record)
                    msg = run.apply_record(item.record)
                    if msg is not None:
                        self.hub.publish(run.streams, msg)
            elif isinstance(item, StatusItem):
                run = self.runs.get(item.run_id)
                if run is not None:
                    pending = run.flush_frame()
                    if pending is not None:
                        self.hub.publish(run.streams, pending)
                    run.status, run.reason = item.status, item.reason
                    status = item.status.value
                    if self.recorder is not None:
                        self.recorder.on_status(run.id, status, item.step, item.reason)
                    self.hub.publish(
                        run.streams, messages.status(run.id, status, item.step, item.reason), False
                    )
            elif isinstance(item, ResetItem):
                self._apply_reset([self.runs[r] for r in item.run_ids if r in self.runs])
            elif isinstance(item, AckItem):
                for fut in item.acks:
                    if not fut.done():
                        fut.set_result(None)

    def _apply_reset(self, runs: list[Run]) -> None:
        for run in runs:
            run.reset()
        self.publish_snapshots(runs)

    def publish_snapshots(self, runs: list[Run]) -> None:
        """A fresh snapshot on every stream of these runs: each viewer starts over from what they hold now."""
        keys: list[str] = []
        for run in runs:
            keys += [k for k in run.streams if k not in keys]
        for key in keys:  # a fresh snapshot tells every viewer to start over
            stream = self.hub.get(key)
            if stream is not None:
                stream.publish(messages.encode(self.snapshot(key)), False)

    def snapshot(self, key: str) -> JsonObject:
        """The snapshot message (without seq) of stream "run:ID" or "group:ID"."""
        kind, ident = key.split(":", 1)
        group: Group | None
        if kind == "run":
            runs = [self.get_run(ident)]
            group = self.groups.get(runs[0].group) if runs[0].group else None
        else:
            group = self.get_group(ident)
            runs = [self.runs[r] for r in group.run_ids if r in self.runs]
        n = self.settings.snapshot_points
        return messages.snapshot(
            [(r.to_dict(), r.history.as_records(n), r.data_points()) for r in runs],
            self.group_dict(group) if group else None,
        )
