"""Recorded runs over HTTP against a real server: kept across a restart, replayed through the live path,
exported, imported, renamed, pinned, deleted; a broken database leaves live runs working."""

import csv
import io
import math
import time

from websockets.sync.client import connect

from app.store import columns, importer
from app.store.columns import to_f32
from tests.support.live import SMALL, holds, recv_until, strict_loads, wait_until
from tests.support.live import recorded as recorded_run
from tests.support.replays import pause_replay, play_to_the_end
from tests.support.server import live_server

STEPS = 60


def train(c, **extra) -> dict:
    """A real run trained to the end on the server (as fast as it goes); returns its final run dict."""
    r = c.post("/api/runs", json={**SMALL, "max_steps": STEPS, "steps_per_second": 0, **extra})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    return wait_until(
        lambda: (x := c.get(f"/api/runs/{rid}").json())["status"] == "finished" and x, timeout=30
    )


def recorded(c, rid: str) -> dict:
    """GET /api/records/{rid} once the recorder has written the whole run (it writes in batches)."""
    return recorded_run(c, rid, STEPS)


def test_runs_survive_a_restart_identical(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        live = train(c, activation="tanh", name="tanh before class")
        assert c.get("/api/records/status").json()["ok"] is True
    # A new server process on the same data directory.
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        listed = c.get("/api/records").json()
        assert [(r["id"], r["name"], r["status"], r["steps"]) for r in listed] == [
            (live["id"], "tanh before class", "finished", STEPS)
        ]
        assert listed[0]["activation"] == "tanh" and listed[0]["date"].startswith(
            time.strftime("%Y-", time.gmtime())
        )
        rec = c.get(f"/api/records/{live['id']}").json()
        assert rec["config"] == live["config"] and rec["layer_names"] == live["layer_names"]
        assert rec["hist_edges"] == live["hist_edges"]
        assert rec["history"] == live["history"]  # every step record, every number, as the live run had it
        assert [e["status"] for e in rec["events"]][-1] == "finished"
        cols = c.get(f"/api/records/{live['id']}", params={"history": "columns"}).json()["history"]
        assert cols["step"] == list(range(1, STEPS + 1))


def test_replay_yields_the_recorded_numbers(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = train(c)["id"]
        rec = recorded(c, rid)
        t0 = time.monotonic()
        r = c.post(f"/api/records/{rid}/replay", params={"steps_per_second": 120})
        assert r.status_code == 201, r.text
        live = r.json()
        assert live["kind"] == "replay" and live["external"] is False and live["replay"]["record"] == rid
        assert (
            live["replay"]["last"] == STEPS
            and live["layer_names"] == rec["layer_names"]
            and live["id"] != rid
        )
        with connect(f"{srv.ws_url}/ws/runs/{live['id']}", open_timeout=5) as ws:
            msgs = recv_until(ws, lambda m: m["type"] == "status" and m["status"] == "finished", timeout=20)
        elapsed = time.monotonic() - t0
        assert elapsed >= (STEPS - 1) / 120 * 0.9, f"{STEPS} steps at 120/s took only {elapsed:.2f} s"
        seen = {s["step"]: s for s in msgs[0]["runs"][0]["history"]}  # the snapshot, then the frames
        for m in msgs[1:]:
            if m["type"] == "frame":
                between = m.get("between", {"step": [], "loss": [], "weight_grad_norm": []})
                for i, step in enumerate(between["step"]):
                    seen[step] = {
                        "step": step,
                        "loss": between["loss"][i],
                        "wgn": between["weight_grad_norm"][i],
                    }
                seen[m["step"]] = m
        assert sorted(seen) == list(range(1, STEPS + 1))
        for want in rec["history"]:
            got = seen[want["step"]]
            assert got["loss"] == want["loss"]
            wgn = got.get("wgn") or [layer["weight_grad_norm"] for layer in got["layers"]]
            assert wgn == [layer["weight_grad_norm"] for layer in want["layers"]]
        replayed = c.get(f"/api/runs/{live['id']}").json()
        assert replayed["status"] == "finished" and replayed["history"] == rec["history"]
        assert [x["id"] for x in c.get("/api/records").json()] == [rid]  # a replay is not recorded again


def v1_export(c, rid: str) -> dict:
    """An export as version 1 wrote it (users keep such files): the run and its protocol step records."""
    rec = c.get(f"/api/records/{rid}").json()
    run = {
        k: rec[k] for k in ("name", "preset", "status", "reason", "steps", "created", "config", "layer_names")
    }
    run["info"] = {"hist_edges": rec["hist_edges"]}
    return {
        "format": "gradcast-run",
        "version": 1,
        "run": run,
        "events": rec["events"],
        "history": rec["history"],
    }


def test_export_json_imports_back_identical_and_csv_has_a_row_per_step(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = train(c, activation="sigmoid")["id"]
        rec = recorded(c, rid)
        doc = strict_loads(c.get(f"/api/records/{rid}/export.json").content)
        assert doc["format"] == "gradcast-run" and doc["version"] == 2
        assert doc["steps"]["step"] == list(range(1, STEPS + 1))
        r = c.post("/api/records/import", json=doc)
        assert r.status_code == 201, r.text
        new = r.json()
        assert new["id"] != rid and new["external"] is True and new["steps"] == STEPS
        back = c.get(f"/api/records/{new['id']}").json()
        assert back["history"] == rec["history"] and back["config"] == rec["config"]  # exactly what is stored
        assert [e["status"] for e in back["events"]] == [e["status"] for e in rec["events"]]
        again = strict_loads(c.get(f"/api/records/{new['id']}/export.json").content)
        assert again == doc  # all of it, exactly: every boundary and histogram too
        zipped = c.get(f"/api/records/{rid}/export.json", headers={"Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip" and strict_loads(zipped.content) == doc

        # A version-1 file (every step a protocol record, float64) still imports, exactly.
        old = c.post("/api/records/import", json=v1_export(c, rid))
        assert old.status_code == 201, old.text
        assert c.get(f"/api/records/{old.json()['id']}").json()["history"] == rec["history"]

        r = c.get(f"/api/records/{rid}/export.csv")
        assert (
            r.headers["content-type"].startswith("text/csv")
            and "attachment" in r.headers["content-disposition"]
        )
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert len(rows) == STEPS and [int(x["step"]) for x in rows] == list(range(1, STEPS + 1))
        for name in rec["layer_names"]:
            assert f"weight_grad_norm.{name}" in rows[0] and f"mean_act_deriv.{name}" in rows[0]
        for row, want in zip(rows, rec["history"], strict=True):
            # A trained run's loss and norms are float32s: the CSV's float32 text reads back as the stored number.
            assert to_f32(float(row["loss"])) == want["loss"]
            for layer in want["layers"]:
                assert to_f32(float(row[f"weight_grad_norm.{layer['name']}"])) == layer["weight_grad_norm"]
                if (
                    "grad_hist" in layer
                ):  # "first:count ..": the bins before first and after the last count are 0
                    first, counts = row[f"grad_hist.{layer['name']}"].split(":")
                    hist = [0] * int(first) + [int(x) for x in counts.split()]
                    assert hist + [0] * (len(layer["grad_hist"]) - len(hist)) == layer["grad_hist"]
            # Empty where not measured (between display steps: how many depends on the training speed).
            cell, measured = row["mean_act_deriv.layer1"], want["layers"][0].get("mean_act_deriv")
            assert cell == "" if measured is None else to_f32(float(cell)) == measured
        assert 0 < float(rows[0]["mean_act_deriv.layer1"]) <= 0.25  # the sigmoid's bound


def test_import_names_the_bad_field(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = train(c)["id"]
        recorded(c, rid)
        good = v1_export(c, rid)

        def refused(doc: dict) -> list:
            r = c.post("/api/records/import", json=doc)
            assert r.status_code == 422, r.text
            return r.json()["detail"][0]["loc"]

        assert refused({**good, "format": "csv"}) == ["body", "format"]
        assert refused({**good, "version": 3}) == ["body", "version"]
        assert refused({**good, "run": {**good["run"], "layer_names": "layer1"}}) == [
            "body",
            "run",
            "layer_names",
        ]
        bad = v1_export(c, rid)
        bad["history"][5]["layers"][0]["weight_grad_norm"] = "big"
        assert refused(bad) == ["body", "history", 5, "layers", 0, "weight_grad_norm"]
        bad = v1_export(c, rid)
        bad["history"][7]["step"] = 3
        assert refused(bad) == ["body", "history", 7, "step"]
        bad = v1_export(c, rid)
        bad["history"][2]["layers"] = bad["history"][2]["layers"][:-1]
        assert refused(bad) == ["body", "history", 2, "layers"]
        # Version 2: a column that does not hold what its shape says, a step out of order.
        bad = c.get(f"/api/records/{rid}/export.json").json()
        bad["steps"]["weight_grad_norm"]["bdata"] = bad["steps"]["weight_grad_norm"]["bdata"][:-8]
        assert refused(bad) == ["body", "steps", "weight_grad_norm"]
        bad = c.get(f"/api/records/{rid}/export.json").json()
        bad["steps"]["step"][3] = 1
        assert refused(bad) == ["body", "steps"]
        bad = c.get(f"/api/records/{rid}/export.json").json()
        bad["display"]["grad_hist"][0][0] = [40, 1, 2]
        assert refused(bad) == ["body", "display", "grad_hist", 0, 0]
        # An f8 column (float64, as an own loop's numbers travel) meets the same ranges as any step record.
        bad = c.get(f"/api/records/{rid}/export.json").json()
        shape = bad["steps"]["weight_grad_norm"]["shape"]
        norms = columns.decode(bad["steps"]["weight_grad_norm"], shape)
        norms[4 * shape[1] + 1] = -0.1
        bad["steps"]["weight_grad_norm"] = columns.encode(norms, shape, "f8")
        assert refused(bad) == ["body", "steps", 4, "layers", 1, "weight_grad_norm"]
        assert len(c.get("/api/records").json()) == 1  # nothing half-imported


def test_rename_pin_search_delete(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        a = train(c, activation="relu")["id"]
        b = train(c, activation="sigmoid")["id"]
        recorded(c, a), recorded(c, b)
        assert [r["id"] for r in c.get("/api/records").json()] == [b, a]  # newest first
        r = c.patch(f"/api/records/{a}", json={"name": "lecture 3: relu", "pinned": True})
        assert r.status_code == 200 and r.json()["pinned"] is True and r.json()["name"] == "lecture 3: relu"
        assert [r["id"] for r in c.get("/api/records").json()] == [a, b]  # pinned first
        assert [r["id"] for r in c.get("/api/records", params={"q": "sigm"}).json()] == [b]
        assert c.get("/api/records", params={"q": "lecture 3"}).json()[0]["id"] == a
        assert c.patch(f"/api/records/{a}", json={"name": ""}).json()["detail"][0]["loc"] == ["body", "name"]
        assert c.patch("/api/records/nope", json={"pinned": True}).status_code == 404

        paused = c.post("/api/runs", json={**SMALL, "paused": True}).json()
        wait_until(lambda: c.get(f"/api/records/{paused['id']}").status_code == 200, timeout=5)
        r = c.delete(f"/api/records/{paused['id']}")
        assert r.status_code == 409 and "stop it" in r.json()["detail"]
        assert c.delete(f"/api/runs/{paused['id']}").status_code == 204  # the live run is gone ...
        gone = wait_until(
            lambda: (x := c.get(f"/api/records/{paused['id']}").json())["status"] == "stopped" and x
        )
        assert gone["reason"] == "the live run was deleted"
        assert c.delete(f"/api/records/{paused['id']}").status_code == 204  # ... so its record may go too

        assert c.delete(f"/api/records/{b}").status_code == 204
        slow = c.post(
            f"/api/records/{a}/replay", params={"steps_per_second": 1}
        ).json()  # still playing at exit
        assert slow["status"] == "running"
        assert c.get(f"/api/records/{b}").status_code == 404
        assert c.get(f"/api/records/{b}/export.csv").status_code == 404
        assert b not in [r["id"] for r in c.get("/api/records").json()]


def test_mutations_need_the_presenter_token(tmp_path):
    with live_server(tmp_path, record=True, presenter_token="s3cret") as srv, srv.client() as c:
        auth = {"Authorization": "Bearer s3cret"}
        rid = c.post("/api/runs", json={**SMALL, "max_steps": 5, "steps_per_second": 0}, headers=auth).json()[
            "id"
        ]
        wait_until(lambda: c.get(f"/api/records/{rid}").status_code == 200, timeout=10)
        assert c.patch(f"/api/records/{rid}", json={"pinned": True}).status_code == 401
        assert c.delete(f"/api/records/{rid}").status_code == 401
        assert c.post(f"/api/records/{rid}/replay").status_code == 401
        assert c.patch(f"/api/records/{rid}", json={"pinned": True}, headers=auth).status_code == 200
        assert c.get(f"/api/records/{rid}/export.json").status_code == 200  # reading needs no token


def test_damaged_database_still_serves_live_runs(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "gradcast.sqlite3").write_bytes(b"\x00garbage, not SQLite\x00" * 100)
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        status = c.get("/api/records/status").json()
        assert status["ok"] is False and "damaged or not a database" in status["error"]
        assert c.get("/api/records").json() == []
        r = c.get("/api/records/abc")
        assert r.status_code == 503 and "damaged" in r.json()["detail"]
        assert c.get("/healthz").json()["status"] == "ok"
        live = train(c)  # training and the live views are untouched
        assert live["step"] == STEPS and math.isfinite(live["history"][-1]["loss"])


def test_recording_off_by_setting(tmp_path):
    with live_server(tmp_path, record=False) as srv, srv.client() as c:
        train(c)
        status = c.get("/api/records/status").json()
        assert status["ok"] is False and "GRADCAST_RECORD=false" in status["error"]
        assert c.get("/api/records").json() == []
    assert not (tmp_path / "data" / "gradcast.sqlite3").exists()


def test_replay_pauses_and_changes_speed(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = train(c)["id"]
        recorded(c, rid)
        live = c.post(f"/api/records/{rid}/replay", params={"steps_per_second": 20}).json()
        lid = live["id"]
        answer, held = pause_replay(c, lid, f"/api/runs/{lid}")
        assert answer["record"] == rid
        assert held["status"] == "paused"  # viewers are told, as for a live run
        assert held["step"] < STEPS
        # really paused: 8 steps at 20 steps/s, were it still playing
        holds(lambda: c.get(f"/api/runs/{lid}").json()["step"] == held["step"], 0.4)
        assert [p["run"]["id"] for p in c.get("/api/records/replays").json()] == [lid]
        done = play_to_the_end(c, lid, f"/api/runs/{lid}")
        assert done["step"] == STEPS
        assert c.patch(f"/api/records/replays/{lid}", json={"paused": True}).status_code == 404  # it ended
        assert c.patch("/api/records/replays/nope", json={"steps_per_second": -1}).status_code == 422


def test_database_gone_while_serving(tmp_path):
    """The data directory is moved away under a running server: record routes answer 503 with the reason."""
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = train(c)["id"]
        recorded(c, rid)
        (tmp_path / "data").rename(tmp_path / "moved")
        r = c.get("/api/records")
        assert r.status_code == 503 and "no database file" in r.json()["detail"], r.text
        assert str(tmp_path / "data") in r.json()["detail"]
        assert c.get(f"/api/records/{rid}/export.json").status_code == 503
        assert train(c)["step"] == STEPS  # live runs do not notice


def test_a_long_history_is_thinned_like_a_live_one(tmp_path):
    with live_server(tmp_path, record=True, history_points=100) as srv, srv.client() as c:
        r = c.post("/api/runs", json={**SMALL, "max_steps": 250, "steps_per_second": 0}).json()
        rec = wait_until(
            lambda: (x := c.get(f"/api/records/{r['id']}").json()).get("steps") == 250 and x, timeout=30
        )
        steps = [s["step"] for s in rec["history"]]
        assert rec["thinned"] == 3 and steps == [
            *range(1, 250, 3),
            250,
        ]  # evenly, with the first and the last
        assert [s for s in rec["history"] if "boundary" in s] == [rec["history"][-1]]  # the newest boundary
        _, full, _ = importer.parse(strict_loads(c.get(f"/api/records/{r['id']}/export.json").content))
        assert (
            len(full) == 250
            and rec["history"][-1]["boundary"] == [x.boundary for x in full if x.boundary][-1]
        )
        assert {x.step: x.loss for x in full if x.step in steps} == {
            s["step"]: to_f32(s["loss"]) for s in rec["history"]
        }
