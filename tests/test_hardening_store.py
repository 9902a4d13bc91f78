"""Issue: a damaged record never takes the others down. It is named (409 with its id), listed as damaged,
deletable; exports of it fail before the first byte; /api/records/status says so. Against a real server, with
records damaged the way older versions or a bad disk left them."""

import math
import sqlite3
import time

import pytest

from app.ml.records import LayerRecord, StepRecord
from app.store.recorder import Recorder
from app.store.runstore import RunStore
from app.store.schema import db_path
from tests.support.exports import export_doc
from tests.support.live import strict_loads, wait_until
from tests.support.server import live_server


def imported(c, **run) -> str:
    r = c.post("/api/records/import", json=export_doc(steps=20, **run))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def damage(path, sql: str, *args) -> None:
    """Write into the file behind the server's back, as an older version without today's checks did."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, args)
    conn.close()


@pytest.mark.parametrize(
    ("sql", "args"),
    [
        ("UPDATE runs SET created = ? WHERE id = ?", (1e20,)),  # no date has it
        ("UPDATE runs SET created = ? WHERE id = ?", (float("inf"),)),
        ("UPDATE runs SET config = ? WHERE id = ?", ('{"lr": NaN}',)),  # no strict JSON answer can carry it
        ("UPDATE runs SET config = ? WHERE id = ?", ("[" * 5000 + "]" * 5000,)),  # nested past the parser
    ],
)
def test_a_damaged_record_is_named_listed_and_deletable(tmp_path, sql, args):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        good, bad = imported(c, name="good"), imported(c, name="bad")
        damage(db_path(tmp_path / "data"), sql, *args, bad)

        listed = c.get("/api/records")
        assert listed.status_code == 200, listed.text
        by_id = {r["id"]: r for r in strict_loads(listed.content)}
        assert by_id[good]["name"] == "good" and "damaged" not in by_id[good]
        if "created" in sql:  # the list shows the summary columns only: a bad config is found on reading it
            assert "damaged" in by_id[bad]
        r = c.get(f"/api/records/{bad}")
        assert r.status_code == 409 and r.json()["damaged"] == bad and bad in r.json()["detail"], r.text
        for export in ("export.json", "export.csv", "report.html"):
            r = c.get(f"/api/records/{bad}/{export}")
            assert r.status_code == 409 and r.json()["damaged"] == bad, (export, r.status_code)
        status = c.get("/api/records/status").json()
        assert status["ok"] is False and status["recording"] is True
        assert bad in [d["id"] for d in status["damaged"]] and bad in status["error"]
        assert c.get(f"/api/records/{good}").status_code == 200  # the others are served

        assert c.delete(f"/api/records/{bad}").status_code == 204
        assert c.get(f"/api/records/{bad}").status_code == 404
        assert [r["id"] for r in c.get("/api/records").json()] == [good]
        status = c.get("/api/records/status").json()
        assert status["ok"] is True and status["damaged"] == [], status


def test_a_step_that_cannot_be_exported_fails_the_export_before_its_first_byte(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = imported(c)
        damage(
            db_path(tmp_path / "data"),
            "UPDATE steps SET t = ? WHERE run_id = ? AND step = 15",
            float("inf"),
            rid,
        )
        for export in ("export.json", "export.csv"):
            r = c.get(f"/api/records/{rid}/{export}")
            assert r.status_code == 409 and "step 15" in r.json()["detail"], (export, r.text[:300])
        damage(
            db_path(tmp_path / "data"),
            "UPDATE steps SET weight_grad_norm = ? WHERE run_id = ? AND step = 18",
            b"\x01\x02\x03",  # a blob of 3 bytes: not float64s
            rid,
        )
        assert c.get(f"/api/records/{rid}/export.csv").status_code == 409
        assert c.delete(f"/api/records/{rid}").status_code == 204


def test_junk_in_the_middle_of_the_file_is_reported_not_called_recording_off(tmp_path):
    steps = 200
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        ids = []
        for i in range(6):
            r = c.post("/api/records/import", json=export_doc(steps=steps, name=f"run {i}"))
            ids.append(r.json()["id"])
        path = db_path(tmp_path / "data")
        conn = sqlite3.connect(path)

        def checkpointed() -> bool:  # everything into the main file (a reader may hold the WAL for a moment)
            busy, log, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return busy == 0 and log == done

        wait_until(checkpointed, timeout=5, interval=0.1)
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        leaves = [
            p
            for (p,) in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'steps' AND pagetype = 'leaf' ORDER BY pageno"
            )
        ]
        conn.close()
        assert len(leaves) >= 3, leaves
        with open(path, "r+b") as f:  # junk over one page of step records in the middle of the file
            f.seek((leaves[len(leaves) // 2] - 1) * page_size)
            f.write(b"\xde\xad\xbe\xef" * (page_size // 4))

        status = c.get("/api/records/status").json()
        assert status["ok"] is False and status["recording"] is True and status["damaged"], status
        assert "recording is off" not in status["error"]
        listed = c.get("/api/records")
        assert listed.status_code == 200 and {r["id"] for r in listed.json()} == set(ids), listed.text
        named, whole = set(), set()
        for rid in ids:
            for export in ("export.json", "export.csv"):
                r = c.get(f"/api/records/{rid}/{export}")
                # never a download cut short with a traceback: either whole, or refused before the first byte
                assert r.status_code in (200, 409), (rid, export, r.status_code, r.text[:300])
                if r.status_code == 409:
                    assert r.json()["damaged"] == rid and "damaged" in r.json()["detail"], r.text
                    named.add(rid)
                elif export == "export.json":
                    assert len(strict_loads(r.content)["steps"]["step"]) == steps
                    whole.add(rid)
                else:
                    assert len(r.text.splitlines()) == steps + 1
        assert named and whole, (named, whole)  # the damaged ones named, the others served whole
        assert {d["id"] for d in c.get("/api/records/status").json()["damaged"]} >= named
        assert c.get("/healthz").status_code == 200


def test_the_recorder_leaves_out_a_value_the_file_cannot_hold_and_keeps_recording(tmp_path):
    """The API refuses these (422); a direct caller may not: one client's data never turns recording off."""
    recorder = Recorder(db_path(tmp_path))
    layers = lambda: [LayerRecord("layer1", 1e-3, None), LayerRecord("output", 0.1, None)]  # noqa: E731
    for rid in ("a", "b"):
        recorder.on_create(
            {"id": rid, "name": rid, "config": {}, "layer_names": ["layer1", "output"], "status": "running"}
        )
    recorder.on_create(
        {"id": "c", "name": "bad \ud800 name", "config": {}, "layer_names": ["x"], "status": "running"}
    )
    recorder.on_record("a", StepRecord(1, 0.5, layers(), t=time.time()))
    recorder.on_record("a", StepRecord(2**70, 0.5, layers(), t=time.time()))  # past SQLite's 64 bits
    recorder.on_record("a", StepRecord(3, 0.5, layers(), t=math.nan))  # steps.t is NOT NULL
    recorder.on_record("b", StepRecord(1, 0.4, layers(), t=time.time()))
    recorder.on_rename("b", "renamed")
    assert recorder.flush(timeout=10) is True
    assert recorder.error is None and recorder.dropped == 3, (recorder.error, recorder.dropped)
    assert recorder.written == 2  # a left-out step is dropped, not written too
    recorder.close()
    store = RunStore(db_path(tmp_path))
    assert [r.step for r in store.history("a", ["layer1", "output"])] == [1]
    assert store.get("b")["name"] == "renamed" and store.get("c") is None
