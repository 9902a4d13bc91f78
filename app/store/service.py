"""What the app holds for recorded runs: the store (reads), the recorder (writes) and why either is off."""

import logging
from pathlib import Path

from app.store.recorder import Recorder
from app.store.runstore import RunStore
from app.store.schema import StoreError, db_path

log = logging.getLogger("gradcast.store")

OFF_BY_SETTING = "recording is off (GRADCAST_RECORD=false): runs are not kept"


class RecordingService:
    """Created once in the lifespan. Never raises: a broken database leaves .error set and live runs unaffected."""

    def __init__(self, data_dir: Path, record: bool = True, **recorder_options) -> None:
        self.path = db_path(data_dir)
        self.store: RunStore | None = None
        self.recorder: Recorder | None = None
        self.open_error: str | None = None
        if not record:
            self.open_error = OFF_BY_SETTING
            return
        try:
            self.store = RunStore(self.path)
        except StoreError as exc:
            self.open_error = str(exc)
            log.error("GradCast recording: %s Live runs continue unrecorded.", exc)
        # Always a recorder when recording is on: after a failure its on_* calls return at once.
        self.recorder = Recorder(self.path, disabled=self.open_error, **recorder_options)

    @property
    def error(self) -> str | None:
        """Why recording is off, or None while it works."""
        return self.recorder.error if self.recorder else self.open_error

    def status(self) -> dict:
        """GET /api/records/status: {"ok", "error", "recording", "damaged", "path", "pending", "written",
        "dropped"}. ok: recording works and no record is known damaged; recording: new runs are being recorded;
        damaged: [{"id", "error"}] of records that could not be read, and the file's own check when it fails."""
        damaged: list[dict] = []
        error = self.error
        if self.store is not None:
            try:
                problems = self.store.check_file()
            except StoreError as exc:
                problems = [str(exc)]
            damaged = [{"id": rid, "error": why} for rid, why in self.store.damaged.items()]
            if problems:
                damaged.append(
                    {"id": None, "error": "the database file fails its check: " + "; ".join(problems)}
                )
            if damaged and error is None:
                error = f"{len(damaged)} damaged: " + ", ".join(str(d["id"] or "file") for d in damaged[:20])
        out = {
            "ok": error is None,
            "error": error,
            "recording": self.error is None,
            "damaged": damaged,
            "path": str(self.path),
        }
        if self.recorder is not None:
            rs = self.recorder.status()
            out.update(pending=rs["pending"], written=rs["written"], dropped=rs["dropped"])
        return out

    def close(self) -> None:
        """Write what is queued (bounded), stop the writer thread. Blocks: call it in a thread."""
        if self.recorder is not None:
            self.recorder.close()
