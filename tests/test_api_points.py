"""The dataset points reach clients once per run: the snapshot and GET /api/runs/{id} of a 2-D run carry them, a
digits or external run's do not, a recorded run's are drawn again from its config (real server, real training)."""

from websockets.sync.client import connect

from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from tests.support.live import SMALL, recv_json, recv_until, wait_until
from tests.support.server import live_server

SPIRAL = {**SMALL, "n_samples": 1000}  # 800 training rows: capped at 300 points


def _snapshot(ws_url: str, path: str) -> dict:
    with connect(f"{ws_url}{path}", open_timeout=5) as ws:
        snap = recv_json(ws)
    assert snap["type"] == "snapshot"
    return snap


def test_spiral_snapshot_and_run_carry_the_points_digits_and_external_do_not(server):
    with server.client() as c:
        run = c.post("/api/runs", json={**SPIRAL, "max_steps": 30, "steps_per_second": 0}).json()
        digits = c.post(
            "/api/runs", json={"dataset": "digits", "depth": 2, "width": 8, "paused": True}
        ).json()
        ext = c.post("/api/external/runs", json={"name": "elsewhere", "layer_names": ["a", "out"]}).json()
        assert "points" not in run  # not in the run object: it is listed, recorded and answered often

        snap = _snapshot(server.ws_url, f"/ws/runs/{run['id']}")
        pts = snap["runs"][0]["points"]
        assert len(pts["x"]) == len(pts["y"]) == len(pts["label"]) == len(pts["index"]) == 300
        data = DATASETS["spiral"].load(RunConfig.model_validate(run["config"]))  # what the trainer trained on
        assert pts["label"] == [int(data.y_train[i]) for i in pts["index"]]
        done = wait_until(
            lambda: (x := c.get(f"/api/runs/{run['id']}").json())["status"] == "finished" and x, 30
        )
        assert done["points"] == pts  # the same once more over REST
        b = done["history"][-1]["boundary"]  # the points lie on the grid the boundary is drawn on
        assert all(b["x"][0] < x < b["x"][-1] for x in pts["x"]) and all(
            b["y"][0] < y < b["y"][-1] for y in pts["y"]
        )
        assert all("points" not in rec and "points" not in rec.get("boundary", {}) for rec in done["history"])

        assert _snapshot(server.ws_url, f"/ws/runs/{digits['id']}")["runs"][0]["points"] is None
        assert c.get(f"/api/runs/{digits['id']}").json()["points"] is None
        assert _snapshot(server.ws_url, f"/ws/runs/{ext['id']}")["runs"][0]["points"] is None
        assert c.get(f"/api/runs/{ext['id']}", params={"history": "none"}).json()["points"] is None


def test_a_recorded_run_and_its_replays_carry_the_points_again(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        run = c.post("/api/runs", json={**SPIRAL, "max_steps": 20, "steps_per_second": 0}).json()
        rid = run["id"]
        live_points = c.get(f"/api/runs/{rid}", params={"history": "none"}).json()["points"]
        rec = wait_until(lambda: (x := c.get(f"/api/records/{rid}").json()).get("steps") == 20 and x, 30)
        assert rec["points"] == live_points and len(live_points["x"]) == 300

        replay = c.post(f"/api/records/{rid}/replay", params={"steps_per_second": 0}).json()
        assert replay["kind"] == "replay"
        with connect(f"{srv.ws_url}/ws/runs/{replay['id']}", open_timeout=5) as ws:
            msgs = recv_until(ws, lambda m: m["type"] == "snapshot")
        assert msgs[0]["runs"][0]["points"] == live_points

        other = c.post("/api/runs", json={**SPIRAL, "seed": 3, "max_steps": 20, "steps_per_second": 0}).json()
        wait_until(lambda: c.get(f"/api/records/{other['id']}").json().get("steps") == 20, 30)
        group = c.post(
            "/api/records/replay", params={"ids": f"{rid},{other['id']}", "steps_per_second": 1}
        ).json()
        snap = _snapshot(srv.ws_url, f"/ws/groups/{group['group']}")
        by_id = {r["run"]["id"]: r["points"] for r in snap["runs"]}
        assert by_id[group["runs"][0]["id"]] == live_points
        assert by_id[group["runs"][1]["id"]] != live_points and len(by_id[group["runs"][1]["id"]]["x"]) == 300

        doc = c.get(f"/api/records/{rid}/export.json").json()
        imported = c.post("/api/records/import", json=doc).json()
        assert c.get(f"/api/records/{imported['id']}").json()["points"] is None  # an import is external
