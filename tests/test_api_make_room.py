"""Starting a preset at the running-run limit: API clients get 429; the presenter's page makes room instead."""

import httpx
import pytest

from tests.support.server import live_server

PRESET = "sigmoid-vs-relu-vs-leaky-relu"  # three runs in lockstep


@pytest.fixture
def srv(tmp_path):
    with live_server(tmp_path, max_running_runs=4) as server:
        yield server


def test_make_room_pauses_the_oldest_runs_and_they_stay_resumable(srv):
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        first = c.post(f"/api/presets/{PRESET}/runs", json={"steps_per_second": 5})
        assert first.status_code == 201, first.text
        assert first.json()["paused_runs"] == []
        first_ids = [r["id"] for r in first.json()["runs"]]

        refused = c.post(f"/api/presets/{PRESET}/runs", json={"steps_per_second": 5})
        assert refused.status_code == 429
        assert "max_running_runs=4" in refused.json()["detail"]

        second = c.post(f"/api/presets/{PRESET}/runs", json={"steps_per_second": 5, "make_room": True})
        assert second.status_code == 201, second.text
        assert sorted(second.json()["paused_runs"]) == sorted(first_ids)
        assert all(r["status"] == "running" for r in second.json()["runs"])
        listed = {r["id"]: r["status"] for r in c.get("/api/runs").json()}
        assert all(listed[i] == "paused" for i in first_ids)

        # Resumable from the runs list once the newer ones are paused.
        assert c.post(f"/api/groups/{second.json()['group']}/pause").status_code == 200
        resumed = c.post(f"/api/groups/{first.json()['group']}/resume")
        assert resumed.status_code == 200, resumed.text
        assert {r["id"]: r["status"] for r in c.get("/api/runs").json()}[first_ids[0]] == "running"


def test_make_room_leaves_runs_alone_when_there_is_room(srv):
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        one = c.post("/api/presets/sigmoid-deep/runs", json={"make_room": True})
        two = c.post("/api/presets/relu-deep/runs", json={"make_room": True})
        assert one.status_code == two.status_code == 201
        assert two.json()["paused_runs"] == []
        assert {r["status"] for r in c.get("/api/runs").json()} == {"running"}
