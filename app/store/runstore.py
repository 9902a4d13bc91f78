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
SEARCHED = ("preset", "name", "activation", "dataset", "init", "optimizer")  # what ?q= matches
_SUMMARY = (
    'id, name, preset, "group", status, reason, steps, created, updated, pinned, external,'
    " json_extract(config, '$.activation'), json_extract(config, '$.dataset'), json_extract(config, '$.depth')"
)


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
    (
        rid,
        name,
        preset,
        group,
        status,
        reason,
        steps,
        created,
        updated,
        pinned,
        external,
        act,
        data,
        depth,
    ) = row
    for v in (created, updated):
        if not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"stored time {v!r} is not a finite number")
    return {
        "id": rid,
        "name": name,
        "preset": preset,
        "group": group,
        "status": status,
        "reason": reason,
        "steps": steps,
        "created": created,
        "date": datetime.fromtimestamp(created, UTC).isoformat(timespec="seconds"),
        "updated": updated,
        "pinned": bool(pinned),
        "external": bool(external),
        "activation": act,
        "dataset": data,
        "depth": depth,
    }


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
        """Summaries, pinned first then newest first; q matches preset, name, activation, dataset, init, optimizer."""
        sql, args = f"SELECT {_SUMMARY} FROM runs", []
        if q:
            like = f"%{q.strip().lower()}%"
            cols = ["lower(coalesce(preset, ''))", "lower(name)"] + [
                f"lower(coalesce(json_extract(config, '$.{k}'), ''))" for k in SEARCHED[2:]
            ]
            sql += " WHERE " + " OR ".join(f"{c} LIKE ?" for c in cols)
            args = [like] * len(cols)
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
            out = json.loads(row[16])
            out.update(_summary(row[:14]))
            out["config"] = json.loads(row[14])
            out["layer_names"] = json.loads(row[15])
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
