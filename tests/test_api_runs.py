"""REST control of single runs against a real uvicorn server: lifecycle, history, validation, limits."""

import pytest

from tests.support.live import SMALL, wait_until
from tests.support.routes import assert_documented
from tests.support.server import live_server

DISPLAY_ONLY = ("act_grad_norm", "mean_act_deriv", "weight_norm", "grad_hist")


def _run(client, rid: str, **params) -> dict:
    r = client.get(f"/api/runs/{rid}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_created_run_trains_to_max_steps_and_keeps_its_history(server):
    with server.client() as c:
        r = c.post("/api/runs", json={**SMALL, "max_steps": 40, "steps_per_second": 0})
        assert r.status_code == 201, r.text
        run = r.json()
        assert run["status"] == "running" and run["external"] is False and run["group"] is None
        assert run["layer_names"] == ["layer1", "layer2", "layer3", "output"]
        assert len(run["hist_edges"]) == 29 and run["config"]["depth"] == 3 and run["max_steps"] == 40
        done = wait_until(lambda: (x := _run(c, run["id"]))["status"] == "finished" and x, timeout=30)
        assert done["step"] == 40
        steps = [rec["step"] for rec in done["history"]]
        assert steps == list(range(1, 41))  # every step, none lost, in order
        for rec in done["history"]:
            assert [layer["name"] for layer in rec["layers"]] == run["layer_names"]
            assert all(layer["weight_grad_norm"] > 0 for layer in rec["layers"])
        first, last = done["history"][0], done["history"][-1]
        for rec in (first, last):  # the first and the last step always carry the display metrics
            assert all(k in rec["layers"][0] for k in DISPLAY_ONLY), rec["layers"][0].keys()
            assert "train_acc" in rec
        assert "boundary" in last  # 2-D data: the newest decision boundary travels with the newest record
        cols = _run(c, run["id"], history="columns")["history"]
        assert cols["step"] == steps and len(cols["weight_grad_norm"][0]) == 4
        assert cols["loss"] == [rec["loss"] for rec in done["history"]]


def test_pause_step_resume_stop_reset_delete(server):
    with server.client() as c:
        run = c.post("/api/runs", json={**SMALL, "paused": True}).json()
        rid = run["id"]
        assert run["status"] == "created" and run["step"] == 0
        one = c.post(f"/api/runs/{rid}/step").json()
        assert (one["status"], one["step"]) == ("paused", 1)  # the answer comes after the step
        first_loss = _run(c, rid)["history"][0]["loss"]
        assert c.post(f"/api/runs/{rid}/step").json()["step"] == 2
        assert c.post(f"/api/runs/{rid}/resume").json()["status"] == "running"
        wait_until(lambda: _run(c, rid, history="none")["step"] >= 5)
        paused = c.post(f"/api/runs/{rid}/pause").json()
        assert paused["status"] == "paused"
        again = _run(c, rid, history="none")
        wait_until(lambda: True, timeout=0.3)
        assert _run(c, rid, history="none")["step"] == again["step"] == paused["step"]  # really paused

        r = c.post(f"/api/runs/{rid}/pause")
        assert r.status_code == 409 and "paused" in r.json()["detail"]
        assert (
            c.patch(f"/api/runs/{rid}", json={"steps_per_second": 0, "name": "fast"}).json()[
                "steps_per_second"
            ]
            == 0
        )
        assert c.post(f"/api/runs/{rid}/stop").json()["status"] == "stopped"
        r = c.post(f"/api/runs/{rid}/resume")
        assert r.status_code == 409 and "stopped" in r.json()["detail"]

        reset = c.post(f"/api/runs/{rid}/reset").json()
        assert (reset["status"], reset["step"]) == ("created", 0)
        assert _run(c, rid)["history"] == []
        c.post(f"/api/runs/{rid}/step")
        assert _run(c, rid)["history"][0]["loss"] == first_loss  # same seed, same first step

        assert c.delete(f"/api/runs/{rid}").status_code == 204
        r = c.get(f"/api/runs/{rid}")
        assert r.status_code == 404 and rid in r.json()["detail"]


def test_speed_is_changed_while_running(server):
    with server.client() as c:
        rid = c.post("/api/runs", json={**SMALL, "steps_per_second": 5}).json()["id"]
        assert c.patch(f"/api/runs/{rid}", json={"steps_per_second": 0}).json()["steps_per_second"] == 0
        wait_until(lambda: _run(c, rid, history="none")["step"] > 50, timeout=20)  # 5 steps/s would take 10 s
        c.delete(f"/api/runs/{rid}")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"depth": 0}, "depth"),
        ({"activation": "swishy"}, "activation"),
        ({"steps_per_second": -1}, "steps_per_second"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_config_is_422_naming_the_field(server, body, field):
    with server.client() as c:
        r = c.post("/api/runs", json={**SMALL, **body})
        assert r.status_code == 422
        assert any(field in err["loc"] for err in r.json()["detail"]), r.json()


def test_limits_answer_409_or_429_naming_the_limit(tmp_path):
    limits = {"max_running_runs": 1, "max_runs": 3, "max_params": 2_000, "max_steps": 100}
    with live_server(tmp_path, **limits) as srv, srv.client() as c:
        assert c.post("/api/runs", json={**SMALL, "max_steps": 100}).status_code == 201
        r = c.post("/api/runs", json={**SMALL, "max_steps": 100})
        assert r.status_code == 429 and "max_running_runs=1" in r.json()["detail"]
        waiting = c.post("/api/runs", json={**SMALL, "max_steps": 100, "paused": True})
        assert waiting.status_code == 201
        r = c.post(f"/api/runs/{waiting.json()['id']}/resume")
        assert r.status_code == 429 and "max_running_runs" in r.json()["detail"]
        r = c.post("/api/runs", json={**SMALL, "width": 64, "paused": True})
        assert r.status_code == 409 and "max_params=2000" in r.json()["detail"]
        r = c.post("/api/runs", json={**SMALL, "max_steps": 500, "paused": True})
        assert r.status_code == 409 and "max_steps=100" in r.json()["detail"]
        assert c.post("/api/runs", json={**SMALL, "max_steps": 100, "paused": True}).status_code == 201
        r = c.post("/api/runs", json={**SMALL, "max_steps": 100, "paused": True})
        assert r.status_code == 429 and "max_runs=3" in r.json()["detail"]


def test_unknown_ids_are_404(server):
    with server.client() as c:
        for method, path in [
            ("get", "/api/runs/nope"),
            ("post", "/api/runs/nope/pause"),
            ("delete", "/api/runs/nope"),
            ("get", "/api/groups/nope"),
            ("post", "/api/presets/nope/runs"),
        ]:
            r = getattr(c, method)(path)
            assert r.status_code == 404, (path, r.text)
            assert "nope" in r.json()["detail"]


def test_schema_presets_and_session(server):
    with server.client() as c:
        schema = c.get("/api/schema").json()
        assert {"depth", "activation", "lr", "max_steps"} <= set(schema["properties"])
        presets = c.get("/api/presets").json()
        assert {p["kind"] for p in presets} == {"single", "comparison"}
        assert all(set(p["title"]) == {"en", "ko"} and p["runs"] for p in presets)
        assert c.get("/api/session").json() == {"presenter": True, "lecture": False, "viewer_url": None}
        assert_documented(
            c,
            "/api/runs",
            "/api/runs/{run_id}/step",
            "/api/groups/{group_id}/reset",
            "/api/presets",
            "/api/presets/{name}/runs",
            "/api/schema",
            "/api/session",
        )


@pytest.mark.parametrize(
    ("config", "en", "ko"),
    [
        ({"activation": "sigmoid", "depth": 10, "width": 32}, "sigmoid-10x32", "sigmoid-10x32"),
        (
            {"architecture": "rnn", "width": 16, "seq_len": 20},
            "RNN · tanh · 16 units · T = 20",
            "RNN · tanh · 유닛 16개 · T = 20",
        ),
        (
            {"architecture": "lstm", "width": 32, "seq_len": 50},
            "LSTM · 32 units · T = 50",
            "LSTM · 유닛 32개 · T = 50",
        ),
        (
            {"architecture": "gru", "width": 8, "seq_len": 10},
            "GRU · 8 units · T = 10",
            "GRU · 유닛 8개 · T = 10",
        ),
        (
            {"architecture": "cnn", "activation": "relu", "depth": 4, "width": 8},
            "CNN · relu · 4 conv layers × 8 channels",
            "CNN · relu · 합성곱 4층 × 채널 8개",
        ),
        (
            {"architecture": "transformer", "depth": 2, "width": 16, "heads": 2, "norm_position": "pre"},
            "Transformer · pre-LN · 2 blocks · d = 16",
            "트랜스포머 · pre-LN · 블록 2개 · d = 16",
        ),
    ],
)
def test_a_run_without_a_name_is_named_after_what_it_is_in_the_callers_language(server, config, en, ko):
    with server.client() as c:
        for lang, want in (("en-GB,en;q=0.9", en), ("ko-KR,ko;q=0.9,en;q=0.8", ko), (None, en)):
            headers = {"Accept-Language": lang} if lang else {}
            r = c.post("/api/runs", json={**config, "paused": True}, headers=headers)
            assert r.status_code == 201, r.text
            assert r.json()["name"] == want, lang
            assert c.delete(f"/api/runs/{r.json()['id']}").status_code in (200, 204)
        named = c.post("/api/runs", json={**config, "paused": True, "name": "mine"}).json()
        assert named["name"] == "mine"  # a name given is kept
