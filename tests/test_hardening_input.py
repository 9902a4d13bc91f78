"""Issue: no request can break the server or lose records. Every number entering is finite and in a range the
store can hold; a refused request stores nothing; the 422 always encodes. Against a real server."""

import json

import httpx
import pytest

from app.bounds import MAX_COUNT
from tests.support.exports import export_doc, raw
from tests.support.live import SMALL, strict_loads, wait_until
from tests.support.server import live_server

JSON = {"Content-Type": "application/json"}
LAYERS = ["conv", "fc"]


@pytest.fixture
def srv(tmp_path):
    with live_server(tmp_path, record=True) as s:
        yield s


def step(n: int, **extra) -> dict:
    layers = [{"name": name, "weight_grad_norm": 0.5} for name in LAYERS]
    return {"step": n, "t": 1764150000.0 + n % 1000, "loss": 0.7, "layers": layers, **extra}


def refused(r, *loc) -> dict:
    """A 422 in strict JSON (no NaN/Infinity tokens) naming loc among its errors."""
    assert r.status_code == 422, (r.status_code, r.text[:500])
    body = strict_loads(r.content)
    if loc:
        assert list(loc) in [d["loc"][: len(loc)] for d in body["detail"]], body
    return body


def count_records(c) -> int:
    r = c.get("/api/records")
    assert r.status_code == 200, r.text
    return len(r.json())


def external(c) -> str:
    r = c.post("/api/external/runs", json={"name": "ext", "layer_names": LAYERS})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_step_past_the_store_s_range_is_refused_and_recording_stays_on(srv):
    with srv.client() as c:
        victim = external(c)  # another live run, being recorded
        assert c.post(f"/api/external/runs/{victim}/steps", json={"records": [step(1)]}).status_code == 202
        rid = external(c)
        for huge in (2**63, 10**30, MAX_COUNT + 1):
            r = c.post(f"/api/external/runs/{rid}/steps", json={"records": [step(huge)]})
            refused(r, "body", "records", 0, "step")
        assert (
            c.post(f"/api/external/runs/{rid}/steps", json={"records": [step(MAX_COUNT)]}).status_code == 202
        )
        assert c.post(f"/api/external/runs/{victim}/steps", json={"records": [step(2)]}).status_code == 202
        srv.app.state.recordings.recorder.flush()
        status = c.get("/api/records/status").json()
        assert status["ok"] is True and status["recording"] is True, status
        assert c.get(f"/api/records/{victim}").json()["steps"] == 2  # still recorded
        assert c.get(f"/api/records/{rid}").json()["steps"] == MAX_COUNT
        # new viewers of that run are served; the next request answers
        assert c.get(f"/api/runs/{rid}").json()["step"] == MAX_COUNT
        assert c.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("change", "tokens", "loc"),
    [
        ({"created": 1e20}, {}, ("body", "run", "created")),
        ({"created": -5.0}, {}, ("body", "run", "created")),
        ({"config": {"lr": "X"}}, {"X": "NaN"}, ("body",)),  # not strict JSON: refused as a whole
        ({"config": {"lr": "X"}}, {"X": "Infinity"}, ("body",)),
        ({"config": {"lr": "X"}}, {"X": "1e999"}, ("body",)),
        ({"config": {"deep": "X"}}, {"X": "[" * 300 + "]" * 300}, ("body", "run", "config")),
        ({"name": "X"}, {"X": '"a\\ud800b"'}, ("body",)),  # a lone surrogate
        ({"reason": "r" * 50_000}, {}, ("body", "run", "reason")),
    ],
)
def test_an_import_that_fails_stores_nothing_and_the_list_keeps_answering(srv, change, tokens, loc):
    with srv.client() as c:
        before = count_records(c)
        r = c.post("/api/records/import", content=raw(export_doc(**change), **tokens), headers=JSON)
        refused(r, *loc)
        assert count_records(c) == before
        good = c.post("/api/records/import", json=export_doc())
        assert good.status_code == 201, good.text
        assert c.delete(f"/api/records/{good.json()['id']}").status_code == 204


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("history", 2, "t"), "1e999"),
        (("history", 2, "t"), "NaN"),
        (("history", 2, "t"), "1e20"),
        (("events", 0, "t"), "Infinity"),
        (("history", 1, "layers", 0, "weight_grad_norm"), "-0.5"),
        (("history", 1, "train_acc"), "1.5"),
        (("history", 1, "step"), str(2**63)),
    ],
)
def test_import_takes_only_what_the_external_route_takes(srv, where, value):
    doc = export_doc()
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = "X"
    with srv.client() as c:
        before = count_records(c)
        r = c.post("/api/records/import", content=raw(doc, X=value), headers=JSON)
        assert r.status_code == 422, r.text
        strict_loads(r.content)
        assert count_records(c) == before
        # the external route refuses the same numbers
        if where[0] == "history" and where[-1] in ("weight_grad_norm", "train_acc", "t", "step"):
            rid = external(c)
            s = step(1)
            if where[-1] == "weight_grad_norm":
                s["layers"][0]["weight_grad_norm"] = "X"
            else:
                s[where[-1]] = "X"
            body = raw({"records": [s]}, X=value)
            r = c.post(f"/api/external/runs/{rid}/steps", content=body, headers=JSON)
            assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/runs", '{"lr": 1e999}'),
        ("post", "/api/runs", '{"lr": -1e999}'),
        ("post", "/api/runs", '{"noise": NaN}'),
        ("post", "/api/runs", '{"name": "a\\ud800b"}'),
        ("post", "/api/presets/relu-deep/runs", '{"steps_per_second": 1e400}'),
        ("post", "/api/external/runs", '{"name": "a\\udfffb", "layer_names": ["x"]}'),
        ("post", "/api/external/runs", '{"name": "n", "layer_names": ["x"], "config": {"a": 1e400}}'),
        ("patch", "/api/records/replays/x", '{"steps_per_second": Infinity}'),
    ],
)
def test_the_422_encodes_whatever_it_echoes(srv, method, path, body):
    with srv.client() as c:
        r = c.request(method.upper(), path, content=body.encode(), headers=JSON)
        refused(r)


def test_query_strings_are_bounded_too(srv):
    with srv.client() as c:
        for q in ("inf", "nan", "1e400", "-1"):
            r = c.post("/api/records/whatever/replay", params={"steps_per_second": q})
            assert r.status_code == 422, (q, r.text)
            strict_loads(r.content)


def test_a_huge_reason_or_name_is_refused(srv):
    with srv.client() as c:
        rid = external(c)
        r = c.post(f"/api/external/runs/{rid}/finish", json={"status": "failed", "reason": "x" * 50_000})
        refused(r, "body", "reason")
        r = c.post("/api/external/runs", json={"name": "n" * 1000, "layer_names": LAYERS})
        refused(r, "body", "name")


def test_live_rename_reaches_the_record(srv):
    with httpx.Client(
        base_url=srv.url, timeout=30
    ) as c:  # the first run's worker starts slowly on a busy CPU
        r = c.post("/api/runs", json={**SMALL, "max_steps": 5, "steps_per_second": 0})
        rid = r.json()["id"]
        assert c.patch(f"/api/runs/{rid}", json={"name": "renamed live"}).status_code == 200
        wait_until(lambda: c.get(f"/api/runs/{rid}").json()["status"] == "finished")
        srv.app.state.recordings.recorder.flush()
        assert c.get(f"/api/records/{rid}").json()["name"] == "renamed live"
        listed = {x["id"]: x["name"] for x in c.get("/api/records").json()}
        assert listed[rid] == "renamed live"


def test_websocket_since_out_of_range_gets_a_snapshot(srv):
    from websockets.sync.client import connect

    with srv.client() as c:
        rid = external(c)
    for since in (str(10**30), "-5", "1e999"):
        with connect(f"{srv.ws_url}/ws/runs/{rid}?since={since}") as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
