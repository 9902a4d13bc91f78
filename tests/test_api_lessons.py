"""/api/lessons: list, import (JSON and TOML, 422 naming the step and field), export, sessions that prepare each
step's runs ahead and train only the open step's, and a viewer without the token who can read but create nothing."""

import json

import pytest
from fastapi.testclient import TestClient

from app.lessons.builtin import VANISHING_GRADIENT
from app.lessons.files import dump
from app.main import create_app
from app.settings import Settings
from tests.support.live import wait_until
from tests.support.routes import assert_documented

TOKEN = "lesson-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(tmp_path):
    with TestClient(
        create_app(Settings(data_dir=tmp_path, record=False)), base_url="http://127.0.0.1:8000"
    ) as c:
        yield c


def _mine(preset: str = "relu-deep") -> dict:
    data = json.loads(dump(VANISHING_GRADIENT, "json"))
    data["id"] = "mine"
    data["steps"] = data["steps"][:2] + [dict(data["steps"][0], view={"kind": "preset", "preset": preset})]
    return data


def test_list_read_and_export(client):
    listed = client.get("/api/lessons").json()
    assert listed["errors"] == []
    (builtin,) = listed["lessons"]
    assert builtin["id"] == "vanishing-gradient" and builtin["steps"] == len(VANISHING_GRADIENT.steps)
    lesson = client.get("/api/lessons/vanishing-gradient").json()
    assert all(s["formula_mathml"].startswith("<math") for s in lesson["steps"])
    assert lesson["steps"][3]["curves"][0]["activation"] == "sigmoid"
    assert lesson["steps"][8]["panels"] == ["gradflow", "deriv", "ratio", "loss"]
    toml = client.get("/api/lessons/vanishing-gradient/export.toml")
    assert toml.status_code == 200 and toml.headers["content-type"].startswith("application/toml")
    assert 'ko = "기울기 사라짐"' in toml.text
    assert client.get("/api/lessons/nope").status_code == 404
    assert_documented(
        client,
        "/api/lessons",
        "/api/lessons/{lesson_id}/export.{fmt}",
        "/api/lessons/{lesson_id}/sessions",
        "/api/lessons/sessions/{session_id}/steps/{step}/open",
        "/api/lessons/sessions/{session_id}/handout.html",
    )


def test_the_page_carries_the_lesson_and_no_controls_for_a_viewer(client):
    from tests.test_pages import Page

    presenter = Page(client.get("/lessons/vanishing-gradient?step=4").text)
    (data,) = [text for attrs, text in presenter.scripts if attrs.get("id") == "lesson-data"]
    lesson = json.loads(data)
    assert lesson["id"] == "vanishing-gradient" and len(lesson["steps"]) == len(VANISHING_GRADIENT.steps)
    assert presenter.find(data_role="controls") and presenter.find(data_role="lesson-play")
    viewer = Page(client.get("/lessons/vanishing-gradient?step=4&view=1").text)
    assert viewer.find(data_role="controls") == [] and viewer.find(data_role="lesson-play") == []
    assert viewer.find(data_role="deck-next")  # a viewer may still page through the text
    assert client.get("/lessons/nope").status_code == 404


def test_import_json_and_toml_then_export_the_same(client, tmp_path):
    resp = client.post("/api/lessons", json=_mine())
    assert resp.status_code == 201, resp.text
    assert resp.json()["file"] == "mine.json" and (tmp_path / "lessons" / "mine.json").exists()
    exported = client.get("/api/lessons/mine/export.json").json()
    assert exported["steps"][2]["view"]["preset"] == "relu-deep"
    toml = client.get("/api/lessons/mine/export.toml").text.replace("relu-deep", "leaky-relu-deep")
    resp = client.post("/api/lessons", content=toml.encode(), headers={"Content-Type": "application/toml"})
    assert resp.status_code == 201 and resp.json()["format"] == "toml"
    assert not (tmp_path / "lessons" / "mine.json").exists()  # one file per lesson
    assert [x["id"] for x in client.get("/api/lessons").json()["lessons"]] == ["vanishing-gradient", "mine"]
    assert client.get("/lessons/mine").status_code == 200
    assert client.delete("/api/lessons/mine").status_code == 204
    assert client.delete("/api/lessons/vanishing-gradient").status_code == 409


def test_import_errors_name_the_step_and_field(client):
    resp = client.post("/api/lessons", json=_mine(preset="relu-deeep"))
    assert resp.status_code == 422
    (detail,) = resp.json()["detail"]
    assert detail["step"] == 3 and detail["field"] == "view.preset"
    assert detail["loc"] == ["body", "steps", 2, "view", "preset"]
    assert detail["msg"].startswith("step 3, view.preset: unknown preset 'relu-deeep'")
    bad = client.post("/api/lessons", content=b"id = ", headers={"Content-Type": "application/toml"})
    assert bad.status_code == 422 and "not valid TOML" in bad.json()["detail"][0]["msg"]
    assert (
        client.post("/api/lessons", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
    )
    builtin = json.loads(dump(VANISHING_GRADIENT, "json"))
    assert client.post("/api/lessons", json=builtin).status_code == 409


def _statuses(client) -> dict[str, str]:
    return {r["id"]: r["status"] for r in client.get("/api/runs").json()}


def test_a_session_prepares_ahead_and_trains_only_the_open_step(client):
    sid = client.post("/api/lessons/vanishing-gradient/sessions").json()["id"]
    assert client.get("/api/runs").json() == []  # a session alone makes no run
    session = client.post(f"/api/lessons/sessions/{sid}/steps/2/open").json()
    source = session["steps"][1]["source"]
    assert source["kind"] == "run" and session["current"] == 2
    assert session["steps"][0]["source"] == source  # steps 1-3 share the sigmoid-deep run
    wait_until(lambda: _statuses(client)[source["id"]] == "running")
    # Step 8 opened: its Leaky ReLU run trains, sigmoid's is paused, step 9's comparison is made ahead (paused).
    client.post(f"/api/lessons/sessions/{sid}/steps/8/open")
    wait_until(lambda: client.get(f"/api/lessons/sessions/{sid}").json()["steps"][8]["source"], timeout=60)
    session = client.get(f"/api/lessons/sessions/{sid}").json()
    leaky, group = session["steps"][7]["source"], session["steps"][8]["source"]
    # (bounded waits: a pause is acknowledged by the workers, which a loaded machine may delay past the answer)
    wait_until(
        lambda: _statuses(client)[source["id"]] == "paused" and _statuses(client)[leaky["id"]] == "running"
    )
    statuses = _statuses(client)
    assert group["kind"] == "group" and all(statuses[r] == "created" for r in group["runs"])
    # The sweep step: nothing trains.
    client.post(f"/api/lessons/sessions/{sid}/steps/5/open")
    wait_until(lambda: "running" not in _statuses(client).values())
    z = client.get(f"/api/lessons/sessions/{sid}/steps/8/preactivations").json()
    assert z["run"] == leaky["id"] and [layer["layer"] for layer in z["layers"]] == [1]
    assert client.get(f"/api/lessons/sessions/{sid}/steps/2/preactivations").status_code == 404
    assert client.post(f"/api/lessons/sessions/{sid}/steps/10/open").status_code == 404
    assert [s["id"] for s in client.get("/api/lessons/vanishing-gradient/sessions").json()] == [sid]


def test_a_step_whose_runs_ended_starts_them_over_when_opened(client):
    """The comparison stopped (or finished, or one run diverged) while the lecture was elsewhere: opening its
    step again resets the runs, so the room sees them live from step 0, side by side."""
    sid = client.post("/api/lessons/vanishing-gradient/sessions").json()["id"]
    group = client.post(f"/api/lessons/sessions/{sid}/steps/9/open").json()["steps"][8]["source"]
    step = lambda: min(client.get(f"/api/runs/{r}").json()["step"] for r in group["runs"])  # noqa: E731
    wait_until(lambda: step() >= 60, timeout=60)  # 3 s at the step's 20 steps/s
    assert client.post(f"/api/groups/{group['id']}/stop").status_code == 200
    wait_until(lambda: all(_statuses(client)[r] == "stopped" for r in group["runs"]))
    stopped_at = step()
    client.post(f"/api/lessons/sessions/{sid}/steps/5/open")  # elsewhere: the sweep
    again = client.post(f"/api/lessons/sessions/{sid}/steps/9/open").json()["steps"][8]["source"]
    assert again == group  # the same runs, started over from step 0
    assert step() < stopped_at
    wait_until(lambda: all(_statuses(client)[r] == "running" for r in group["runs"]))


def test_a_viewer_without_the_token_reads_the_session_but_creates_nothing(tmp_path):
    settings = Settings(data_dir=tmp_path, record=False, lecture=True, presenter_token=TOKEN)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        sid = c.post("/api/lessons/vanishing-gradient/sessions", headers=BEARER).json()["id"]
        assert c.post(f"/api/lessons/sessions/{sid}/steps/1/open", headers=BEARER).status_code == 200
        runs = {r["id"] for r in c.get("/api/runs").json()}
        for path in (f"/api/lessons/sessions/{sid}/steps/9/open", "/api/lessons/vanishing-gradient/sessions"):
            assert c.post(path).status_code == 401  # no token
            assert c.post(path, headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert c.post("/api/lessons", json=_mine()).status_code == 401
        assert c.get(f"/lessons/vanishing-gradient?session={sid}&step=9").status_code == 200
        session = c.get(f"/api/lessons/sessions/{sid}").json()
        assert session["current"] == 1 and session["steps"][8]["source"] is None
        assert {r["id"] for r in c.get("/api/runs").json()} == runs  # reading made no run


def test_a_record_step_replays_the_recording_paused_until_shown(tmp_path):
    from tests.support.live import SMALL, recorded

    with TestClient(create_app(Settings(data_dir=tmp_path)), base_url="http://127.0.0.1:8000") as c:
        ids = []
        for act in ("sigmoid", "relu"):
            rid = c.post(
                "/api/runs", json={**SMALL, "activation": act, "max_steps": 40, "steps_per_second": 0}
            )
            ids.append(rid.json()["id"])
        for rid in ids:
            recorded(c, rid, 40, timeout=30)
        lesson = _mine()
        lesson["steps"][1]["view"] = {"kind": "record", "records": ids, "steps_per_second": 5}
        lesson["steps"][1]["highlight"] = "deriv"
        lesson["steps"][2]["view"] = {"kind": "record", "records": ids[:1], "steps_per_second": 5}
        assert c.post("/api/lessons", json=lesson).status_code == 201
        sid = c.post("/api/lessons/mine/sessions").json()["id"]
        session = c.post(f"/api/lessons/sessions/{sid}/steps/1/open").json()
        group = wait_until(
            lambda: c.get(f"/api/lessons/sessions/{sid}").json()["steps"][1]["source"], timeout=30
        )
        assert group["kind"] == "group" and group["records"] == ids and group["replay"] == group["id"]
        replays = {
            p.get("group", {}).get("id") or p["run"]["id"]: p for p in c.get("/api/records/replays").json()
        }
        assert (
            replays[group["id"]]["paused"] is True and replays[group["id"]]["step"] == 0
        )  # prepared, not played
        c.post(f"/api/lessons/sessions/{sid}/steps/2/open")
        wait_until(lambda: c.get("/api/records/replays").json()[0]["step"] > 0)  # shown: it plays
        session = c.post(f"/api/lessons/sessions/{sid}/steps/3/open").json()
        single = session["steps"][2]["source"]
        assert single["kind"] == "run" and single["records"] == ids[:1]
        replays = {
            p.get("group", {}).get("id") or p["run"]["id"]: p for p in c.get("/api/records/replays").json()
        }
        assert replays[group["id"]]["paused"] is True  # left: paused again
        assert replays[single["id"]]["paused"] is False
        missing = json.loads(json.dumps(lesson).replace(ids[0], "nope0000"))
        missing["id"] = "gone"
        assert c.post("/api/lessons", json=missing).status_code == 201
        gone = c.post("/api/lessons/gone/sessions").json()["id"]
        resp = c.post(f"/api/lessons/sessions/{gone}/steps/3/open")
        assert resp.status_code == 404 and "nope0000" in resp.json()["detail"]
