"""RunStore: what the routes ask of recorded runs (list, read, rename, pin, delete, import). Thread-safe."""

import json
import math
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from app.ml.records import StepRecord
from app.store import codec
from app.store.schema import (
    INSERT_EVENT,
    INSERT_RUN,
    INSERT_STEP,
    DamagedRecord,
    StoreError,
    connect,
    explain,
)

HISTORY_CHUNK = 2000  # rows fetched at a time when streaming a run's history
# Steps a seek looks back for the newest display-rate step or boundary: a run evaluates every few hundred steps
# at most, and the bound keeps a record without either (an external loop's) from being read whole.
LOOK_BACK = 20_000
_STEP_COLUMNS = "step, t, loss, weight_grad_norm, bias_grad_norm, metrics"
# What a recorded run's row in the list says it is (from its config; "lesson" from the rest of its run dict, set by
# a lesson that replayed or trained it), and what ?q= matches.
CONFIG_SHOWN = ("activation", "init", "depth", "width", "norm", "optimizer", "lr", "dataset")
SEARCHED = ("preset", "name", "lesson", "activation", "init", "norm", "optimizer", "dataset", "lr", "shape")
_BASE = (
    "id",
    "name",
    "preset",
    "group",
    "status",
    "reason",
    "steps",
    "created",
    "updated",
    "pinned",
    "external",
)
_SUMMARY = ", ".join(
    [*(f'"{c}"' for c in _BASE), *(f"json_extract(config, '$.{k}')" for k in CONFIG_SHOWN)]
    + ["json_extract(info, '$.lesson')"]
)
_SEARCH_SQL = {  # lower-case text of each searched field
    "preset": "lower(coalesce(preset, ''))",
    "name": "lower(name)",
    "lesson": "lower(coalesce(json_extract(info, '$.lesson'), ''))",
    "lr": "coalesce(json_extract(config, '$.lr'), '')",
    # depth x width as a person types it: "10x32" or "10×32"
    "shape": "coalesce(json_extract(config, '$.depth') || 'x' || json_extract(config, '$.width'), '')",
}


# What reading a damaged value raises: a page that fails its checks, JSON nested past the parser, a float no
# date can hold, a blob of the wrong length.
_UNREADABLE = (
    sqlite3.DatabaseError,
    ValueError,
    TypeError,
    OverflowError,
    OSError,
    RecursionError,
    KeyError,
    IndexError,
)


def _summary(row: tuple) -> dict:
    """A runs row as the list shows it; ValueError when a stored value cannot be shown (non-finite, no date)."""
    base = dict(zip(_BASE, row[: len(_BASE)], strict=True))
    shown = dict(zip(CONFIG_SHOWN, row[len(_BASE) : len(_BASE) + len(CONFIG_SHOWN)], strict=True))
    created = base["created"]
    for v in (created, base["updated"]):
        if not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"stored time {v!r} is not a finite number")
    return {
        **base,
        "date": datetime.fromtimestamp(created, UTC).isoformat(timespec="seconds"),
        "pinned": bool(base["pinned"]),
        "external": bool(base["external"]),
        **shown,
        "lesson": row[len(_BASE) + len(CONFIG_SHOWN)],
    }


_SUMMARY_LEN = len(_BASE) + len(CONFIG_SHOWN) + 1


class RunStore:
    """One short-lived connection per call: routes run in a thread pool, SQLite's WAL lets them read while
    the recorder writes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        connect(self.path, create=True).close()  # StoreError if the file or directory cannot be used
        self.damaged: dict[str, str] = {}  # record id -> why it could not be read (GET /api/records/status)

    @contextmanager
    def _conn(self, rid: str | None = None) -> Iterator[sqlite3.Connection]:
        """A connection; reading record `rid` from a damaged page raises DamagedRecord, not StoreError."""
        conn = connect(self.path)
        try:
            yield conn
        except sqlite3.Error as exc:
            if rid is not None and "malformed" in str(exc):
                raise self._damaged(rid, str(exc)) from exc
            raise StoreError(explain(self.path, exc)) from exc
        finally:
            conn.close()

    def _damaged(self, rid: str, why: str) -> DamagedRecord:
        """Note a record found damaged (for the status), as the exception to raise."""
        self.damaged[rid] = why
        return DamagedRecord(rid, why)

    def list_runs(self, q: str | None = None, limit: int = 1000) -> list[dict]:
        """Summaries, pinned first then newest first; q matches any of SEARCHED (every word of it, in any field)."""
        sql, args = f"SELECT {_SUMMARY} FROM runs", []
        words = (q or "").strip().lower().replace("×", "x").split()
        if words:
            cols = [
                _SEARCH_SQL.get(k, f"lower(coalesce(json_extract(config, '$.{k}'), ''))") for k in SEARCHED
            ]
            any_field = "(" + " OR ".join(f"{c} LIKE ?" for c in cols) + ")"
            sql += " WHERE " + " AND ".join([any_field] * len(words))
            args = [f"%{w}%" for w in words for _ in cols]
        sql += " ORDER BY pinned DESC, created DESC LIMIT ?"
        try:
            with self._conn() as conn:
                rows = conn.execute(sql, [*args, limit]).fetchall()
        except StoreError:
            if q:
                raise
            return self._list_one_by_one(limit)  # a damaged page: list what can be read, and name the rest
        return [self._summary_or_damaged(r) for r in rows]

    def _summary_or_damaged(self, row: tuple) -> dict:
        try:
            return _summary(row)
        except _UNREADABLE as exc:
            why = f"{type(exc).__name__}: {exc}"
            self.damaged[row[0]] = why
            return {"id": row[0], "damaged": why}

    def _list_one_by_one(self, limit: int) -> list[dict]:
        """Each run read on its own, so one on a damaged page leaves the others listed."""
        with self._conn() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY rowid DESC LIMIT ?", (limit,))]
        out = []
        for rid in ids:
            try:
                with self._conn(rid) as conn:
                    row = conn.execute(f"SELECT {_SUMMARY} FROM runs WHERE id = ?", (rid,)).fetchone()
            except DamagedRecord as exc:
                out.append({"id": rid, "damaged": exc.why})
                continue
            out.append(self._summary_or_damaged(row))
        return sorted(out, key=lambda r: (not r.get("pinned"), -(r.get("created") or 0)))

    def get(self, rid: str) -> dict | None:
        """Summary plus config, layer_names and the rest of the run dict (hist_edges, ..); None if unknown."""
        with self._conn(rid) as conn:
            row = conn.execute(
                f"SELECT {_SUMMARY}, config, layer_names, info FROM runs WHERE id = ?", (rid,)
            ).fetchone()
        if row is None:
            return None
        try:
            config, layer_names, info = row[_SUMMARY_LEN:]
            out = json.loads(info)
            out.update(_summary(row[:_SUMMARY_LEN]))
            out["config"] = json.loads(config)
            out["layer_names"] = json.loads(layer_names)
            json.dumps(out, allow_nan=False)  # every answer that carries it must be strict JSON
            if not all(isinstance(n, str) for n in out["layer_names"]):
                raise TypeError("layer_names are not all text")
        except _UNREADABLE as exc:
            raise self._damaged(rid, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        return out

    def status_of(self, rid: str) -> str | None:
        """The stored status alone (readable even when the rest of the record is damaged); None if unknown."""
        with self._conn(rid) as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (rid,)).fetchone()
        return None if row is None else str(row[0])

    def verify(self, rid: str, layer_names: list[str]) -> None:
        """Read every step of the run once: DamagedRecord if one cannot be read or exported (an export then fails
        before its first byte instead of in the middle)."""
        for rec in self.history(rid, layer_names):
            if not math.isfinite(rec.t):
                raise self._damaged(rid, f"step {rec.step} has time {rec.t!r}")

    def check_file(self) -> list[str]:
        """SQLite's quick_check of the whole file: [] when sound, else its first findings."""
        with self._conn() as conn:
            found = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
        return [] if found == ["ok"] else found

    def history(self, rid: str, layer_names: list[str], stride: int = 1) -> Iterator[StepRecord]:
        """Every recorded step in order (stride k: steps 1, 1+k, 1+2k, .. and the last), fetched in chunks so a
        long run never sits in memory at once. A thinned history carries no boundaries (see last_boundary)."""
        last, boundary = 0, None
        while True:
            with self._conn(rid) as conn:
                rows = conn.execute(
                    "SELECT step, t, loss, weight_grad_norm, bias_grad_norm, metrics FROM steps"
                    " WHERE run_id = ? AND step > ?"
                    " AND ((step - 1) % ? = 0 OR step = (SELECT max(step) FROM steps WHERE run_id = ?))"
                    " ORDER BY step LIMIT ?",
                    (rid, last, stride, rid, HISTORY_CHUNK),
                ).fetchall()
            for row in rows:
                try:
                    rec = codec.from_row(row, layer_names, boundary)
                except _UNREADABLE as exc:
                    raise self._damaged(
                        rid, f"step {row[0]}: {type(exc).__name__}: {str(exc)[:200]}"
                    ) from exc
                if stride > 1:
                    rec.boundary = None  # a skipped row may have held the boundary a later one repeats
                boundary = rec.boundary if rec.boundary is not None else boundary
                yield rec
            if len(rows) < HISTORY_CHUNK:
                return
            last = rows[-1][0]

    # ---- reads by the primary key (run_id, step), for replays and seeking (app/store/tape.py) -------------

    def step_range(self, rid: str) -> tuple[int, int]:
        """(first, last) recorded step; (0, 0) when the run has none."""
        with self._conn() as conn:
            row = conn.execute("SELECT min(step), max(step) FROM steps WHERE run_id = ?", (rid,)).fetchone()
        return (row[0] or 0, row[1] or 0)

    def steps_after(
        self, rid: str, layer_names: list[str], after: int, limit: int, boundary: dict | None = None
    ) -> list[StepRecord]:
        """At most `limit` steps after step `after`, in order; `boundary` is the one in effect at `after`."""
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id = ? AND step > ? ORDER BY step LIMIT ?",
                (rid, after, limit),
            ).fetchall()
        out = []
        for row in rows:
            rec = codec.from_row(row, layer_names, boundary)
            boundary = rec.boundary if rec.boundary is not None else boundary
            out.append(rec)
        return out

    def steps_before(self, rid: str, layer_names: list[str], step: int, limit: int) -> list[StepRecord]:
        """The newest `limit` steps at or before `step`, in order (without boundaries)."""
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id = ? AND step <= ? ORDER BY step DESC LIMIT ?",
                (rid, step, limit),
            ).fetchall()
        return [codec.from_row(row, layer_names) for row in reversed(rows)]

    def steps_at(self, rid: str, layer_names: list[str], steps: list[int]) -> list[StepRecord]:
        """The recorded ones of `steps` (one key lookup each), in order (without boundaries)."""
        if not steps:
            return []
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id = ?"
                " AND step IN (SELECT value FROM json_each(?)) ORDER BY step",
                (rid, json.dumps(steps)),
            ).fetchall()
        return [codec.from_row(row, layer_names) for row in rows]

    def last_display(self, rid: str, layer_names: list[str], step: int) -> StepRecord | None:
        """The newest display-rate step at or before `step`, looking back at most LOOK_BACK steps."""
        with self._conn() as conn:
            row = conn.execute(
                f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id = ? AND step <= ? AND step > ?"
                " AND metrics LIKE '{\"full\":true%' ORDER BY step DESC LIMIT 1",
                (rid, step, step - LOOK_BACK),
            ).fetchone()
        return None if row is None else codec.from_row(row, layer_names)

    def boundary_at(self, rid: str, step: int) -> dict | None:
        """The decision boundary in effect at `step` (the newest stored at or before it, at most LOOK_BACK back)."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT metrics FROM steps WHERE run_id = ? AND step <= ? AND step > ?"
                " AND metrics LIKE '%\"boundary\":%' ORDER BY step DESC LIMIT 1",
                (rid, step, step - LOOK_BACK),
            ).fetchone()
        return None if row is None else json.loads(row[0])["boundary"]

    def last_boundary(self, rid: str) -> tuple[int, dict] | None:
        """(step, boundary) of the newest decision boundary recorded, or None."""
        with self._conn() as conn:
            row = conn.execute(
                "SELECT step, metrics FROM steps WHERE run_id = ? AND metrics LIKE '%\"boundary\":%'"
                " ORDER BY step DESC LIMIT 1",
                (rid,),
            ).fetchone()
        return None if row is None else (row[0], json.loads(row[1])["boundary"])

    def events(self, rid: str) -> list[dict]:
        """Status changes in order: [{"t", "status", "step", "reason"}]."""
        with self._conn(rid) as conn:
            rows = conn.execute(
                "SELECT t, status, step, reason FROM events WHERE run_id = ? ORDER BY t", (rid,)
            )
            return [{"t": t, "status": s, "step": n, "reason": r} for t, s, n, r in rows]

    def patch(self, rid: str, name: str | None = None, pinned: bool | None = None) -> dict | None:
        """Rename and/or pin; None if unknown."""
        with self._conn() as conn:
            if name is not None:
                conn.execute("UPDATE runs SET name = ?, updated = ? WHERE id = ?", (name, time.time(), rid))
            if pinned is not None:
                conn.execute(
                    "UPDATE runs SET pinned = ?, updated = ? WHERE id = ?", (int(pinned), time.time(), rid)
                )
        return self.get(rid)

    def delete(self, rid: str) -> bool:
        """Remove the run, its steps and events; False if unknown."""
        with self._conn() as conn:
            conn.execute("BEGIN")
            found = conn.execute("DELETE FROM runs WHERE id = ?", (rid,)).rowcount > 0
            conn.execute("DELETE FROM steps WHERE run_id = ?", (rid,))
            conn.execute("DELETE FROM events WHERE run_id = ?", (rid,))
            conn.execute("COMMIT")
        self.damaged.pop(rid, None)
        return found

    def add(self, run: dict, records: list[StepRecord], events: list[dict]) -> str:
        """Store a whole run at once (an import); its id is new. Returns the id."""
        rid = "imp-" + uuid.uuid4().hex[:10]
        fields = {**run.get("info", {}), **{k: v for k, v in run.items() if k != "info"}}
        fields["status"] = fields.get("status") or "finished"
        steps = records[-1].step if records else 0
        with self._conn() as conn:
            conn.execute("BEGIN")
            conn.execute(INSERT_RUN, codec.run_row(rid, fields, steps=steps, now=time.time(), external=True))
            conn.executemany(INSERT_STEP, codec.to_rows(rid, records))
            conn.executemany(
                INSERT_EVENT, [(rid, e["t"], e["status"], e["step"], e.get("reason")) for e in events]
            )
            conn.execute("COMMIT")
        return rid
