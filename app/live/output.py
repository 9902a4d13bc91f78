"""Worker output on the event loop: step records become history and frames, status changes and resets reach viewers.

A part of RunManager (mixed in): the Handoff hands it each batch of items a lockstep tick posted, in order.
"""

from typing import Any

from app.live import messages
from app.live.group import Items
from app.live.hub import Hub
from app.live.run import Group, Run
from app.settings import Settings


class WorkerOutput:
    """apply_items (worker output, in order) and snapshot (what a viewer starting over is sent).

    Uses the manager's state below and its get_run, get_group and group_dict.
    """

    settings: Settings
    hub: Hub
    runs: dict[str, Run]
    groups: dict[str, Group]
    recorder: Any

    def apply_items(self, items: Items) -> None:
        """Worker output, in order: records to history and frames, status changes, resets, acks."""
        for item in items:
            kind = item[0]
            if kind == "record":
                run = self.runs.get(item[1])
                if run is not None:
                    if self.recorder is not None:
                        self.recorder.on_record(run.id, item[2])
                    msg = run.apply_record(item[2])
                    if msg is not None:
                        self.hub.publish(run.streams, msg)
            elif kind == "status":
                _, run_id, status, step, reason = item
                run = self.runs.get(run_id)
                if run is not None:
                    pending = run.flush_frame()
                    if pending is not None:
                        self.hub.publish(run.streams, pending)
                    run.status, run.reason = status, reason
                    if self.recorder is not None:
                        self.recorder.on_status(run.id, status.value, step, reason)
                    self.hub.publish(run.streams, messages.status(run.id, status.value, step, reason), False)
            elif kind == "reset":
                self._apply_reset([self.runs[r] for r in item[1] if r in self.runs])
            elif kind == "ack":
                for fut in item[1]:
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
            if self.hub.get(key) is not None:
                self.hub.get(key).publish(messages.encode(self.snapshot(key)), False)

    def snapshot(self, key: str) -> dict:
        """The snapshot message (without seq) of stream "run:ID" or "group:ID"."""
        kind, ident = key.split(":", 1)
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
