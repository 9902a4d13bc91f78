"""Comparison presets become groups whose runs train in lockstep; groups are controlled as one."""

import time

from websockets.sync.client import connect

from tests.support.live import recv_json, wait_until

COMPARISON = "sigmoid-vs-relu-vs-leaky-relu"


def test_comparison_preset_trains_in_lockstep(server):
    with server.client() as c:
        r = c.post(f"/api/presets/{COMPARISON}/runs", json={"steps_per_second": 0})
        assert r.status_code == 201, r.text
        body = r.json()
        gid, runs = body["group"], body["runs"]
        assert gid and [x["name"] for x in runs] == ["sigmoid", "relu", "leaky_relu"]
        assert all(x["group"] == gid and x["preset"] == COMPARISON and x["status"] == "running" for x in runs)

        # Whenever anyone looks, every run of the group is at the same step.
        # Bounded: at least 30 looks, more (up to 200, 20 s) until training has visibly moved on a busy machine.
        seen = set()
        deadline = time.monotonic() + 20
        for look in range(200):
            group = c.get(f"/api/groups/{gid}").json()
            steps = {x["step"] for x in group["runs"]}
            assert len(steps) == 1, steps
            seen |= steps
            if (look >= 29 and len(seen) > 1) or time.monotonic() > deadline:
                break
            time.sleep(0.02)  # pacing the looks: sampling the group while it trains is the test
        assert len(seen) > 1  # ... while they were training

        # The group stream shows the runs' frames at the same steps, one step after another.
        with connect(f"{server.ws_url}/ws/groups/{gid}") as ws:
            snap = recv_json(ws)
            assert snap["type"] == "snapshot" and snap["group"]["id"] == gid and len(snap["runs"]) == 3
            frames = [m for m in (recv_json(ws) for _ in range(60)) if m["type"] == "frame"]
        by_step: dict[int, list[str]] = {}
        for f in frames:
            by_step.setdefault(f["step"], []).append(f["run"])
        complete = [s for s, ids in by_step.items() if sorted(ids) == sorted(x["id"] for x in runs)]
        assert len(complete) >= len(by_step) - 2  # only the cut ends of the window may be partial
        assert [f["step"] for f in frames] == sorted(f["step"] for f in frames)

        paused = c.post(f"/api/groups/{gid}/pause").json()
        assert paused["status"] == "paused" and len({x["step"] for x in paused["runs"]}) == 1
        stepped = c.post(f"/api/groups/{gid}/step").json()
        assert {x["step"] for x in stepped["runs"]} == {paused["step"] + 1}

        r = c.delete(f"/api/runs/{runs[0]['id']}")
        assert r.status_code == 409 and gid in r.json()["detail"]
        reset = c.post(f"/api/groups/{gid}/reset").json()
        assert reset["status"] == "created" and {x["step"] for x in reset["runs"]} == {0}
        assert c.delete(f"/api/groups/{gid}").status_code == 204
        assert c.get(f"/api/runs/{runs[0]['id']}").status_code == 404


def test_single_preset_is_a_run_without_group(server):
    with server.client() as c:
        body = c.post("/api/presets/relu-deep/runs", json={"paused": True}).json()
        assert body["group"] is None and len(body["runs"]) == 1
        run = body["runs"][0]
        assert run["preset"] == "relu-deep" and run["status"] == "created" and run["config"]["depth"] == 10
        assert c.get("/api/groups").json() == []
        r = c.post("/api/presets/tanh-xavier/runs")  # no body: the defaults, training at once
        assert r.status_code == 201 and r.json()["runs"][0]["status"] == "running"
        assert r.json()["runs"][0]["steps_per_second"] == 20


def test_group_speed_and_running_count(server):
    with server.client() as c:
        gid = c.post(f"/api/presets/{COMPARISON}/runs", json={"steps_per_second": 2}).json()["group"]
        assert c.get("/healthz").json()["running"] == 3
        assert c.patch(f"/api/groups/{gid}", json={"steps_per_second": 0}).json()["steps_per_second"] == 0
        wait_until(lambda: c.get(f"/api/groups/{gid}").json()["step"] > 30, timeout=20)
        c.post(f"/api/groups/{gid}/stop")
        assert c.get("/healthz").json()["running"] == 0
