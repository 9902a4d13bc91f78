"""A recorded comparison replayed as a live group against a real server: the runs advance in lockstep on
/ws/groups/{id}, carry the recorded numbers and end with their recorded statuses."""

from websockets.sync.client import connect

from tests.support.live import SMALL, holds, recorded, recv_until, wait_until
from tests.support.replays import pause_replay, play_to_the_end
from tests.support.server import live_server

PRESET = "sigmoid-vs-relu-vs-leaky-relu"
PRESET_STEPS = 40  # the comparison is stopped once its runs passed this step
SHORT_STEPS = 25  # a fourth, shorter run: it ends mid-replay while the others go on
ENDED = {"finished", "stopped", "diverged", "failed"}


def record_comparison(c) -> list[dict]:
    """A preset comparison trained live and stopped past PRESET_STEPS; its records, found in the list by group."""
    r = c.post(f"/api/presets/{PRESET}/runs", json={"steps_per_second": 0})
    assert r.status_code == 201, r.text
    gid = r.json()["group"]
    wait_until(lambda: c.get(f"/api/groups/{gid}").json()["step"] >= PRESET_STEPS, timeout=30)
    assert c.post(f"/api/groups/{gid}/stop").status_code == 200
    steps = {r["id"]: r["step"] for r in c.get(f"/api/groups/{gid}").json()["runs"]}
    assert len(set(steps.values())) == 1  # stopped in lockstep: all at one step

    def written() -> list[dict]:
        mine = [x for x in c.get("/api/records").json() if x["group"] == gid]
        done = [x for x in mine if x["status"] == "stopped" and x["steps"] == steps[x["id"]]]
        return mine if len(done) == 3 else []

    return written() or wait_until(written, timeout=10)


def record_short_run(c) -> dict:
    """A small run trained to SHORT_STEPS (not in any group); its record once fully written."""
    r = c.post("/api/runs", json={**SMALL, "max_steps": SHORT_STEPS, "steps_per_second": 0})
    assert r.status_code == 201, r.text
    return recorded(c, r.json()["id"], SHORT_STEPS, timeout=30)


def numbers(step: dict) -> tuple:
    """(loss, [weight_grad_norm per layer]) of a history step or a frame."""
    return step["loss"], [layer["weight_grad_norm"] for layer in step["layers"]]


def test_a_recorded_comparison_replays_as_a_live_group_in_lockstep(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        comparison = record_comparison(c)
        short = record_short_run(c)
        ids = [x["id"] for x in comparison] + [short["id"]]
        recs = {rid: c.get(f"/api/records/{rid}").json() for rid in ids}
        # Created paused (waiting at step 0), so the viewer below sees it from its first step on.
        r = c.post(
            "/api/records/replay", params={"ids": ",".join(ids), "steps_per_second": 60, "paused": True}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        gid, live = body["group"], body["runs"]
        assert {x["status"] for x in live} == {"created"}
        assert [x["name"] for x in live] == [f"{recs[i]['name']} (replay)" for i in ids]
        assert all(x["group"] == gid and x["kind"] == "replay" and not x["external"] for x in live)
        assert [x["replay"]["record"] for x in live] == ids
        assert [x["layer_names"] for x in live] == [recs[i]["layer_names"] for i in ids]
        record_of = {x["id"]: rid for x, rid in zip(live, ids, strict=True)}

        with connect(f"{srv.ws_url}/ws/groups/{gid}", open_timeout=5) as ws:
            first = recv_until(ws, lambda m: m["type"] == "snapshot")
            assert c.post(f"/api/groups/{gid}/resume").status_code == 200
            ended: dict[str, dict] = {}

            def all_ended(m: dict) -> bool:
                if m["type"] == "status" and m["status"] in ENDED:
                    ended[m["run"]] = m
                return len(ended) == len(ids)

            msgs = first + recv_until(ws, all_ended, timeout=15)

        snapshot, rest = msgs[0], msgs[1:]
        assert snapshot["type"] == "snapshot" and snapshot["group"]["id"] == gid
        assert [x["run"]["id"] for x in snapshot["runs"]] == [x["id"] for x in live]
        # Lockstep in the snapshot: every run's history ends at the same step.
        ends = {x["run"]["id"]: (x["history"][-1]["step"] if x["history"] else 0) for x in snapshot["runs"]}
        assert len(set(ends.values())) == 1, ends

        # Lockstep on the wire: each tick is a block of one frame per run still going, all at one step, rising;
        # only a run whose recorded steps run out within the tick shows its own last step instead.
        going = [x["id"] for x in live]
        final = {x["id"]: recs[record_of[x["id"]]]["steps"] for x in live}
        blocks: list[list[dict]] = []
        for m in rest:
            if m["type"] == "frame":
                in_block = blocks and blocks[-1][-1]["type"] == "frame"
                if in_block and all(f["run"] != m["run"] for f in blocks[-1]):
                    blocks[-1].append(m)
                else:
                    blocks.append([m])  # a run seen again: the next tick
            elif m["type"] == "status" and m["status"] in ENDED:
                blocks.append([m])
        last_step = max(ends.values())
        for block in blocks:
            if block[0]["type"] == "status":
                going.remove(block[0]["run"])
                continue
            assert sorted(f["run"] for f in block) == sorted(going), (block[0]["step"], going)
            step = max(f["step"] for f in block)
            assert all(f["step"] == step or f["step"] == final[f["run"]] for f in block), block
            assert step > last_step
            last_step = step
        assert len([b for b in blocks if b[0]["type"] == "frame"]) >= 5  # paced: many ticks, not one burst

        # Every recorded step of every run, with the recorded loss and weight_grad_norm.
        for x in snapshot["runs"]:
            run_id = x["run"]["id"]
            seen = {s["step"]: numbers(s) for s in x["history"]}
            for m in rest:
                if m["type"] == "frame" and m["run"] == run_id:
                    between = m.get("between", {"step": []})
                    for i, step in enumerate(between["step"]):
                        seen[step] = (between["loss"][i], between["weight_grad_norm"][i])
                    seen[m["step"]] = numbers(m)
            rec = recs[record_of[run_id]]
            assert sorted(seen) == [s["step"] for s in rec["history"]]
            assert {s["step"]: numbers(s) for s in rec["history"]} == seen

        # Each run ends with its recorded status and at its recorded step; the short one ended first.
        for run_id, m in ended.items():
            rec = recs[record_of[run_id]]
            assert (m["status"], m["step"], m["reason"]) == (rec["status"], rec["steps"], rec["reason"])
        order = [m["run"] for m in rest if m["type"] == "status" and m["status"] in ENDED]
        assert record_of[order[0]] == short["id"]
        assert c.get(f"/api/groups/{gid}").json()["status"] == "stopped"  # as the recorded group was
        assert len(c.get("/api/records").json()) == len(ids)  # a replay is not recorded again


def test_replaying_a_comparison_names_what_is_wrong(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        rid = record_short_run(c)["id"]
        r = c.post("/api/records/replay", params={"ids": f"{rid},nosuchrun"})
        assert r.status_code == 404 and "nosuchrun" in r.json()["detail"]
        r = c.post("/api/records/replay", params={"ids": ",".join([rid] + [f"x{i}" for i in range(4)])})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["query", "ids"] and "got 5" in r.json()["detail"][0]["msg"]
        r = c.post("/api/records/replay", params={"ids": f"{rid},{rid}"})
        assert r.status_code == 422 and "repeat" in r.json()["detail"][0]["msg"]
        assert c.get("/api/groups").json() == []  # nothing half-made


def test_a_replayed_comparison_pauses_together_and_changes_speed(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        ids = [record_short_run(c)["id"] for _ in range(2)]
        gid = c.post("/api/records/replay", params={"ids": ",".join(ids), "steps_per_second": 10}).json()[
            "group"
        ]
        answer, held = pause_replay(c, gid, f"/api/groups/{gid}")
        assert answer["records"] == ids
        assert held["status"] == "paused" and [x["status"] for x in held["runs"]] == ["paused", "paused"]
        assert len({x["step"] for x in held["runs"]}) == 1  # paused at one step
        assert c.post(f"/api/groups/{gid}/pause").status_code == 409  # already paused, as for a trained group
        assert held["step"] < SHORT_STEPS
        # really paused: 5 steps at 10 steps/s, were it still playing
        holds(lambda: c.get(f"/api/groups/{gid}").json()["step"] == held["step"], 0.5)
        assert [p["group"]["id"] for p in c.get("/api/records/replays").json()] == [gid]
        done = play_to_the_end(c, gid, f"/api/groups/{gid}")
        assert [(x["status"], x["step"]) for x in done["runs"]] == [("finished", SHORT_STEPS)] * 2
        assert c.patch(f"/api/records/replays/{gid}", json={"paused": True}).status_code == 404  # it ended


def test_a_replayed_comparison_seeks_in_lockstep_for_every_viewer(tmp_path):
    with live_server(tmp_path, record=True) as srv, srv.client() as c:
        short = record_short_run(c)  # SHORT_STEPS steps
        r = c.post("/api/runs", json={**SMALL, "max_steps": 40, "steps_per_second": 0})
        longer = recorded(c, r.json()["id"], 40, timeout=30)
        body = c.post(
            "/api/records/replay", params={"ids": f"{short['id']},{longer['id']}", "steps_per_second": 10}
        ).json()
        gid, (a, b) = body["group"], [x["id"] for x in body["runs"]]
        assert [x["replay"]["last"] for x in body["runs"]] == [SHORT_STEPS, 40]
        assert c.post(f"/api/groups/{gid}/pause").status_code == 200
        with (
            connect(f"{srv.ws_url}/ws/groups/{gid}", open_timeout=5) as one,
            connect(f"{srv.ws_url}/ws/groups/{gid}", open_timeout=5) as two,
        ):
            for ws in (one, two):
                recv_until(ws, lambda m: m["type"] == "snapshot")
            r = c.post(f"/api/groups/{gid}/seek", json={"step": 7})
            assert r.status_code == 200, r.text
            assert [(x["step"], x["status"]) for x in r.json()["runs"]] == [(7, "paused")] * 2
            for ws in (one, two):  # every viewer starts over from step 7, both runs at it
                snap = recv_until(ws, lambda m: m["type"] == "snapshot")[-1]
                assert [x["history"][-1]["step"] for x in snap["runs"]] == [7, 7]
                assert [x["run"]["status"] for x in snap["runs"]] == ["paused", "paused"]
            assert c.post(f"/api/groups/{gid}/step").status_code == 200  # one recorded step, both runs
            frames = recv_until(one, lambda m: m["type"] == "frame" and m["run"] == b)
            assert {(m["run"], m["step"]) for m in frames if m["type"] == "frame"} == {(a, 8), (b, 8)}
            # Past the shorter record's end: it shows its recorded ending, the other waits at the step.
            r = c.post(f"/api/groups/{gid}/seek", json={"step": 30}).json()
            assert [(x["step"], x["status"]) for x in r["runs"]] == [
                (SHORT_STEPS, "finished"),
                (30, "paused"),
            ]
            # And back: both resumable again, in lockstep.
            r = c.post(f"/api/groups/{gid}/seek", json={"step": 3}).json()
            assert [(x["step"], x["status"]) for x in r["runs"]] == [(3, "paused"), (3, "paused")]
        for bad in ({"step": 41}, {"step": -1}, {"step": "x"}, {}):
            r = c.post(f"/api/groups/{gid}/seek", json=bad)
            assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "step"], (
                bad,
                r.text,
            )
        assert c.post(f"/api/runs/{a}/seek", json={"step": 5}).json()["step"] == 5  # a run seeks its group
        assert c.get(f"/api/runs/{b}").json()["step"] == 5
        trained = c.post("/api/runs", json={**SMALL, "max_steps": 5, "paused": True}).json()
        r = c.post(f"/api/runs/{trained['id']}/seek", json={"step": 1})
        assert r.status_code == 409 and "not a replay" in r.json()["detail"]
