"""Recorder: worker threads hand it runs, steps and status changes; one writer thread batches them into SQLite."""

import functools
import json
import logging
import queue
import sqlite3
import threading
import time
from pathlib import Path

from app.ml.records import JsonObject, StepRecord
from app.store import codec
from app.store.schema import (
    INSERT_EVENT,
    INSERT_RUN,
    INSERT_STEP,
    LIVE_STATUSES,
    StoreError,
    connect,
    explain,
    unstorable,
)
from app.store.writes import ConfigChanged, Flush, Renamed, RunCreated, StatusChanged, StepTaken, Stop, Write

log = logging.getLogger("gradcast.store")

FLUSH_INTERVAL = 0.25  # s: a crash loses at most this much of a run's history (plus one transaction)
MAX_BATCH = 500  # items per transaction: ~5 ms of writing, so a flush() or close() never waits long
MAX_PENDING = 200_000  # queued items (~100 MB worst case) before new steps are dropped and counted

MULTI_ROW = (128, 32, 8, 1)  # rows per INSERT statement (few distinct statements: SQLite caches them)


@functools.cache
def _insert_many(n: int) -> str:
    """INSERT_STEP with n rows of placeholders."""
    head, values = INSERT_STEP.split(" VALUES ")
    return f"{head} VALUES {', '.join([values] * n)}"


class Recorder:
    """Thread-safe, non-blocking: on_create / on_record / on_status only enqueue; never raise into training."""

    def __init__(
        self,
        path: Path,
        *,
        flush_interval: float = FLUSH_INTERVAL,
        max_batch: int = MAX_BATCH,
        max_pages: int | None = None,  # file cap in pages (4 KiB): past it, recording stops as on a full disk
        disabled: str | None = None,  # start off, for this reason (the database was already found unusable)
    ) -> None:
        self.path = Path(path)
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.error: str | None = None
        self.written = 0  # step records committed
        self.dropped = 0  # step records not recorded (queue full or recording off after an error)
        self._queue: queue.SimpleQueue[Write] = queue.SimpleQueue()
        self._wake = threading.Event()  # set by flush() and close(): write now, do not wait out the interval
        self._accepted: set[str] = set()  # live run ids being recorded (others, e.g. replays, are ignored)
        # live run id -> record id (differs only when the id was taken; None: not recorded)
        self._ids: dict[str, str | None] = {}
        self._last_step: dict[str, int] = {}  # record id -> last step written (a lower one means a reset)
        self._boundary: dict[str, JsonObject | None] = {}  # record id -> last boundary written
        self._conn: sqlite3.Connection | None = None
        self._thread = threading.Thread(target=self._run, name="gradcast-recorder", daemon=True)
        if disabled is not None:
            self.error = disabled
            return
        try:
            self._conn = connect(self.path, create=True)
            if max_pages is not None:
                self._conn.execute(f"PRAGMA max_page_count = {int(max_pages)}")
            self._close_interrupted()
        except (StoreError, sqlite3.Error) as exc:
            self._fail(exc)
            return
        self._thread.start()

    # --- the interface the run manager calls, from any thread

    def on_create(self, run_info: JsonObject) -> None:
        """A new run (the protocol's run dict). run_info["record"] == False skips it (e.g. a replay)."""
        if self.error is None and run_info.get("record", True):
            self._accepted.add(run_info["id"])
            self._queue.put(RunCreated(dict(run_info), time.time()))

    def on_record(self, run_id: str, record: StepRecord) -> None:
        """One step; the record must not be mutated afterwards (the trainer yields a fresh one per step)."""
        if run_id not in self._accepted:
            return
        if self.error is not None or self._queue.qsize() >= MAX_PENDING:
            self.dropped += 1
            return
        self._queue.put(StepTaken(run_id, record))

    def on_status(self, run_id: str, status: str, step: int, reason: str | None = None) -> None:
        """A change of status (created, running, paused, finished, stopped, diverged, failed)."""
        if self.error is None and run_id in self._accepted:
            self._queue.put(StatusChanged(run_id, status, step, reason, time.time()))

    def on_rename(self, run_id: str, name: str) -> None:
        """A live run renamed on the dashboard: its record takes the new name."""
        if self.error is None and run_id in self._accepted:
            self._queue.put(Renamed(run_id, name, time.time()))

    def on_config(self, run_id: str, config: dict) -> None:
        """A live run's config changed (an external run's gradient-norm schedule): its record keeps the new one."""
        if self.error is None and run_id in self._accepted:
            self._queue.put(ConfigChanged(run_id, json.dumps(config), time.time()))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is committed (or recording failed); False on timeout."""
        if not self._thread.is_alive():
            return self.error is None
        done = threading.Event()
        self._queue.put(Flush(done))
        self._wake.set()
        return done.wait(timeout) and self.error is None

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer thread."""
        if self._thread.is_alive():
            self._queue.put(Stop())
            self._wake.set()
            self._thread.join(timeout)

    def status(self) -> JsonObject:
        """{"ok", "error", "path", "pending", "written", "dropped"} for GET /api/records/status."""
        return {
            "ok": self.error is None,
            "error": self.error,
            "path": str(self.path),
            "pending": self._queue.qsize(),
            "written": self.written,
            "dropped": self.dropped,
        }

    # --- the writer thread

    def _run(self) -> None:
        """Sleep until work arrives, gather for flush_interval (a flush or close cuts it short), then commit
        everything queued, max_batch items per transaction. The thread wakes a few times a second, not once
        per step: each wake-up would take the GIL from training."""
        while True:
            first = self._queue.get()
            if not isinstance(first, Stop | Flush):
                self._wake.wait(self.flush_interval)
            self._wake.clear()
            batch, stop = [first], isinstance(first, Stop)
            while not stop:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, Stop):
                    stop = True
                else:
                    batch.append(item)
                if len(batch) >= self.max_batch:
                    self._write(batch)
                    batch = []
            self._write([item for item in batch if not isinstance(item, Stop)])
            if stop:
                break
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _write(self, batch: list[Write]) -> None:
        if not batch:
            return
        flushes = [item.done for item in batch if isinstance(item, Flush)]
        if self.error is None:
            try:
                self._commit(batch)
            except Exception as exc:  # noqa: BLE001 - any failure turns recording off, never raises into training
                self._fail(exc)
        if self.error is not None:
            self.dropped += sum(1 for item in batch if isinstance(item, StepTaken))
        for done in flushes:
            done.set()

    def _commit(self, batch: list[Write]) -> None:
        conn = self._conn
        assert conn is not None, "the writer thread opens the file before it commits"
        rows: list[tuple[object, ...]] = []
        touched: dict[str, int] = {}  # record id -> last step in this batch
        written = 0
        now = time.time()
        conn.execute("BEGIN")
        try:
            for item in batch:
                match item:
                    case StepTaken(run_id, rec):
                        rid = self._ids.get(run_id)
                        if rid is None:
                            continue
                        if rec.step <= self._last_step.get(rid, 0):  # a reset: the run starts over
                            self._flush_rows(conn, rows)
                            conn.execute("DELETE FROM steps WHERE run_id = ? AND step >= ?", (rid, rec.step))
                            self._boundary[rid] = None
                        row = codec.to_row(rid, rec, self._boundary.get(rid))
                        unfit = unstorable(row, time_at=2)
                        if unfit is not None:  # one client's bad value: skip the step, keep recording
                            self._skip(rid, f"step {rec.step!r} not recorded: {unfit}")
                            continue
                        self._last_step[rid] = rec.step
                        rows.append(row)
                        written += 1
                        if rec.boundary is not None:
                            self._boundary[rid] = rec.boundary
                        touched[rid] = rec.step
                    case RunCreated(info, t):
                        self._flush_rows(conn, rows)
                        self._insert_run(conn, info, t)
                    case Renamed(run_id, name, t):
                        rid = self._ids.get(run_id)
                        if rid is not None and unstorable((name, t), time_at=1) is None:
                            self._flush_rows(conn, rows)
                            conn.execute("UPDATE runs SET name = ?, updated = ? WHERE id = ?", (name, t, rid))
                    case StatusChanged(run_id, status, step, reason, t):
                        rid = self._ids.get(run_id)
                        if rid is None:
                            continue
                        self._flush_rows(conn, rows)
                        conn.execute(INSERT_EVENT, (rid, t, status, step, reason))
                        conn.execute(
                            "UPDATE runs SET status = ?, reason = ?, updated = ? WHERE id = ?",
                            (status, reason, t, rid),
                        )
                    case ConfigChanged(run_id, config, t):
                        rid = self._ids.get(run_id)
                        if rid is not None:
                            self._flush_rows(conn, rows)
                            conn.execute(
                                "UPDATE runs SET config = ?, updated = ? WHERE id = ?", (config, t, rid)
                            )
                    case Flush() | Stop():
                        pass  # _write sets the flushes' events once this commit is done
            self._flush_rows(conn, rows)
            for rid, step in touched.items():
                conn.execute("UPDATE runs SET steps = ?, updated = ? WHERE id = ?", (step, now, rid))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.written += written

    @staticmethod
    def _flush_rows(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
        """INSERT rows, many per statement: executemany would release and retake the GIL once per row."""
        i = 0
        for size in MULTI_ROW:
            while len(rows) - i >= size:
                conn.execute(_insert_many(size), [v for row in rows[i : i + size] for v in row])
                i += size
        rows.clear()

    def _insert_run(self, conn: sqlite3.Connection, info: JsonObject, t: float) -> None:
        live_id = str(info["id"])
        known = self._ids.get(live_id)
        rid = live_id
        if known is None:
            n = 1
            while conn.execute("SELECT 1 FROM runs WHERE id = ?", (rid,)).fetchone():
                n += 1
                rid = f"{live_id}-{n}"  # ids restart with the process: keep the older record
        else:  # announced again: start its record over
            rid = known
            conn.execute("DELETE FROM steps WHERE run_id = ?", (rid,))
            conn.execute("DELETE FROM runs WHERE id = ?", (rid,))
        row = codec.run_row(rid, info, steps=0, now=t, external=False)
        unfit = unstorable(row, time_at=10)
        if unfit is not None:  # not recorded, and nothing of it: recording goes on for every other run
            self._skip(rid, f"run not recorded: {unfit}")
            self._ids[live_id] = None
            return
        self._ids[live_id] = rid
        self._last_step[rid] = 0
        self._boundary[rid] = None
        conn.execute(INSERT_RUN, row)

    def _close_interrupted(self) -> None:
        """Runs left live by a previous process (it crashed or was killed) are stopped, with the reason."""
        live = f"status IN ({', '.join('?' * len(LIVE_STATUSES))})"
        reason = "the server stopped while this run was live"
        conn = self._conn
        assert conn is not None, "called right after the file is opened"
        with conn:
            conn.execute("BEGIN")
            conn.execute(
                f"INSERT INTO events (run_id, t, status, step, reason) SELECT id, ?, 'stopped', steps, ? FROM runs"
                f" WHERE {live}",
                (time.time(), reason, *LIVE_STATUSES),
            )
            conn.execute(
                f"UPDATE runs SET status = 'stopped', reason = ? WHERE {live}", (reason, *LIVE_STATUSES)
            )
            conn.execute("COMMIT")

    def _skip(self, rid: str, why: str) -> None:
        """Leave out one value a client sent that the file cannot hold (the API refuses these; a direct caller
        may not): counted as dropped and logged, never a reason to stop recording."""
        self.dropped += 1
        log.warning("GradCast recording: %s: %s", rid, why)

    def _fail(self, exc: BaseException) -> None:
        """Turn recording off with one clear, logged message; training and live runs carry on."""
        if self.error is not None:
            return
        if isinstance(exc, StoreError):
            self.error = str(exc)
        elif isinstance(exc, sqlite3.Error):
            self.error = explain(self.path, exc)
        else:
            self.error = f"recording failed ({type(exc).__name__}: {exc}): recording is off."
        self._accepted.clear()
        log.error("GradCast recording: %s Live runs continue unrecorded.", self.error)
