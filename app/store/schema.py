"""The database file: open it in WAL mode, recognise it as ours, create or check its tables."""

import math
import os
import sqlite3
from pathlib import Path

DB_NAME = "gradcast.sqlite3"
APPLICATION_ID = 0x47524443  # "GRDC": PRAGMA application_id marks the file as a GradCast database
SCHEMA_VERSION = 1  # PRAGMA user_version; bump with a migration when the tables change
BUSY_TIMEOUT_MS = 5000  # a route's write waits this long for the recorder's transaction (each takes ms)
LIVE_STATUSES = ("created", "running", "paused")

TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    preset TEXT,
    "group" TEXT,
    config TEXT NOT NULL,          -- RunConfig as JSON
    layer_names TEXT NOT NULL,     -- ["layer1", .., "output"] as JSON
    info TEXT NOT NULL DEFAULT '{}', -- the rest of the run dict (hist_edges, max_steps, ..) as JSON
    status TEXT NOT NULL,
    reason TEXT,
    steps INTEGER NOT NULL DEFAULT 0,  -- last recorded step
    created REAL NOT NULL,         -- unix seconds
    updated REAL NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    external INTEGER NOT NULL DEFAULT 0  -- 1: imported from a JSON export, not trained here
);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    t REAL NOT NULL,
    loss REAL,                     -- NULL: not finite (SQLite stores NaN as NULL)
    weight_grad_norm BLOB NOT NULL,  -- float64 little-endian, one per layer (input -> output)
    bias_grad_norm BLOB,           -- same layout; NULL when no layer has a bias; JSON text if only some have
    metrics TEXT,                  -- display-rate steps only: JSON of the other layer metrics, accuracies, boundary
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    t REAL NOT NULL,
    status TEXT NOT NULL,
    step INTEGER NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS events_run ON events (run_id, t);
"""


INSERT_RUN = (
    'INSERT INTO runs (id, name, preset, "group", config, layer_names, info, status, reason, steps, created,'
    " updated, pinned, external) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)"
)
INSERT_STEP = (
    "INSERT OR REPLACE INTO steps (run_id, step, t, loss, weight_grad_norm, bias_grad_norm, metrics)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = "INSERT INTO events (run_id, t, status, step, reason) VALUES (?, ?, ?, ?, ?)"


class StoreError(Exception):
    """The database cannot be used; the message says which file and what to do."""


class DamagedRecord(Exception):
    """One recorded run cannot be read (a damaged page of the file, or a value no reader accepts); the others can.
    The message names the record and says what to do."""

    def __init__(self, rid: str, why: str) -> None:
        super().__init__(
            f"record {rid!r} is damaged and cannot be read ({why}): delete it (DELETE /api/records/{rid})"
        )
        self.rid = rid
        self.why = why


def db_path(data_dir: Path) -> Path:
    """<data_dir>/gradcast.sqlite3."""
    return Path(data_dir) / DB_NAME


def connect(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode on a checked GradCast database; StoreError with a clear message otherwise."""
    path = Path(path)
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise StoreError(
                f"{path}: no database file (moved or deleted?): restart the server to start a new one"
            )
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
        )
    except OSError as exc:
        raise StoreError(f"cannot use the data directory {path.parent}: {exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        raise StoreError(explain(path, exc)) from exc
    try:
        _prepare(conn, path, create)
    except StoreError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(explain(path, exc)) from exc
    return conn


def _prepare(conn: sqlite3.Connection, path: Path, create: bool) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]  # reads the header: garbage fails here
    has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if has_tables and app_id != APPLICATION_ID:
        raise StoreError(
            f"{path} is an SQLite database of another program (application_id {app_id:#x}), not GradCast's: "
            "recording is off. Move it away or choose another --data-dir."
        )
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer GradCast (schema {version}, this one knows {SCHEMA_VERSION}): "
            "recording is off. Upgrade GradCast or choose another --data-dir."
        )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not create:
        return
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise StoreError(f"{path}: the file system does not support SQLite's WAL mode (got {mode!r})")
    conn.execute(
        "PRAGMA synchronous = NORMAL"
    )  # WAL + NORMAL: a power cut may lose the last commits, never corrupt
    if not has_tables:
        conn.executescript(TABLES)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


_INT64 = 2**63


def unstorable(row: tuple, time_at: int) -> str | None:
    """Why SQLite cannot store row as it is (an integer past 64 bits, a time that is not a finite number, text
    with a lone surrogate), or None."""
    t = row[time_at]
    if not isinstance(t, int | float) or not math.isfinite(t):
        return f"time {t!r} is not a finite number"
    for v in row:
        if isinstance(v, int) and not -_INT64 <= v < _INT64:
            return f"integer {v} does not fit 64 bits"
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return "text holds a lone surrogate"
    return None


def explain(path: Path, exc: sqlite3.Error) -> str:
    """Turn SQLite's terse errors into what a person should do."""
    text = str(exc)
    if path.parent.is_dir() and not os.access(path.parent, os.W_OK):  # EROFS or permissions (root too)
        return f"the data directory {path.parent} is read-only ({text}): recording is off. Make it writable or choose another --data-dir."
    if "malformed" in text:
        return f"{path} is damaged ({text}): records stored where it is damaged cannot be read; the others can. Move it away to start a fresh one."
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return f"{path} is damaged or not a database ({text}): recording is off. Move it away to start a fresh one."
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only ({text}): recording is off. Make {path.parent} writable or choose another --data-dir."
    if "full" in text:
        return f"{path}: the disk is full ({text}): recording is off. Free space and restart."
    if "unable to open" in text:
        return f"cannot open {path} ({text}): recording is off. Check that {path.parent} is a writable directory."
    return f"{path}: {text}: recording is off."
