"""The external-run routes on a real server: what they accept, store and refuse (422 naming the field)."""

import json

import pytest

LAYERS = ["conv", "fc"]


def layer(name: str, w: float | None = 0.5, b: float | None = 0.25, **extra) -> dict:
    return {"name": name, "weight_grad_norm": w, "bias_grad_norm": b, **extra}


def record(step: int, loss: float | None = 0.7, **extra) -> dict:
    return {
        "step": step,
        "t": 1764150000.0 + step,
        "loss": loss,
        "layers": [layer("conv"), layer("fc")],
        **extra,
    }


@pytest.fixture
def http(server):
    with server.client() as c:
        yield c


def create(http, **body) -> dict:
    r = http.post("/api/external/runs", json={"name": "mine", "layer_names": LAYERS, **body})
    assert r.status_code == 201, r.text
    return r.json()


def locs(response) -> list[list]:
    assert response.status_code == 422, response.text
    return [d["loc"] for d in response.json()["detail"]]


def test_an_external_run_is_a_run_marked_external(http):
    run = create(http, config={"model": "TinyCNN", "lr": 0.01})
    assert run["external"] is True and run["status"] == "running" and run["step"] == 0
    assert run["layer_names"] == LAYERS and run["config"] == {"model": "TinyCNN", "lr": 0.01}
    listed = {r["id"]: r for r in http.get("/api/runs").json()}
    assert listed[run["id"]]["external"] is True


def test_steps_are_stored_as_sent_and_the_run_finishes(http):
    run = create(http)
    r = http.post(f"/api/external/runs/{run['id']}/steps", json={"records": [record(1), record(2, loss=0.6)]})
    assert r.status_code == 202 and r.json() == {"accepted": 2}
    wn = {"records": [{**record(3), "layers": [layer("conv", weight_norm=3.5), layer("fc", b=None)]}]}
    assert http.post(f"/api/external/runs/{run['id']}/steps", json=wn).status_code == 202
    got = http.get(f"/api/runs/{run['id']}").json()
    assert got["step"] == 3
    steps = got["history"]
    assert [s["step"] for s in steps] == [1, 2, 3]
    assert [s["loss"] for s in steps] == [0.7, 0.6, 0.7]
    assert steps[0]["t"] == 1764150001.0
    assert steps[0]["layers"][1] == {"name": "fc", "weight_grad_norm": 0.5, "bias_grad_norm": 0.25}
    assert steps[2]["layers"][0]["weight_norm"] == 3.5  # a display metric keeps its step whole
    fin = http.post(f"/api/external/runs/{run['id']}/finish", json={"status": "finished"})
    assert fin.status_code == 200 and fin.json()["status"] == "finished"
    late = http.post(f"/api/external/runs/{run['id']}/steps", json={"records": [record(4)]})
    assert late.status_code == 409  # an ended run takes no more steps: the client stops sending
    assert http.post(f"/api/external/runs/{run['id']}/finish").status_code == 409


def test_a_failed_loop_ends_the_run_failed_with_its_reason(http):
    run = create(http)
    r = http.post(
        f"/api/external/runs/{run['id']}/finish", json={"status": "failed", "reason": "ValueError: boom"}
    )
    assert r.json()["status"] == "failed" and r.json()["reason"] == "ValueError: boom"


def test_non_finite_values_travel_as_null_with_the_flag(http):
    run = create(http)
    bad = {
        "step": 1,
        "t": 1764150001.0,
        "loss": None,
        "nonfinite": True,
        "layers": [layer("conv", w=None, nonfinite=True), layer("fc")],
    }
    assert http.post(f"/api/external/runs/{run['id']}/steps", json={"records": [bad]}).status_code == 202
    stored = http.get(f"/api/runs/{run['id']}").json()["history"][0]
    assert stored["loss"] is None and stored["nonfinite"] is True
    assert stored["layers"][0]["weight_grad_norm"] is None and stored["layers"][0]["nonfinite"] is True
    # null without the flag is a sender bug, named precisely
    nulls = {"records": [record(2, loss=None), {**record(3), "layers": [layer("conv", w=None), layer("fc")]}]}
    assert locs(http.post(f"/api/external/runs/{run['id']}/steps", json=nulls)) == [
        ["body", "records", 0, "loss"],
        ["body", "records", 1, "layers", 0, "weight_grad_norm"],
    ]


def test_nan_and_infinity_tokens_are_refused(http):
    run = create(http)
    for token in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps({"records": [record(1)]}).replace('"loss": 0.7', f'"loss": {token}')
        r = http.post(
            f"/api/external/runs/{run['id']}/steps",
            content=text,
            headers={"Content-Type": "application/json"},
        )
        assert locs(r) == [["body", "records", 0, "loss"]], token


def test_records_must_match_the_runs_layers_and_steps_must_increase(http):
    run = create(http)
    url = f"/api/external/runs/{run['id']}/steps"
    renamed = {**record(1), "layers": [layer("conv"), layer("head")]}
    r = http.post(url, json={"records": [renamed]})
    assert locs(r) == [["body", "records", 0, "layers", 1, "name"]]
    assert "'fc'" in r.json()["detail"][0]["msg"] and "'head'" in r.json()["detail"][0]["msg"]
    short = {**record(1), "layers": [layer("conv")]}
    assert locs(http.post(url, json={"records": [short]})) == [["body", "records", 0, "layers"]]
    assert locs(http.post(url, json={"records": [record(2), record(2)]})) == [["body", "records", 1, "step"]]
    assert http.post(url, json={"records": [record(5)]}).status_code == 202
    assert locs(http.post(url, json={"records": [record(5)]})) == [["body", "records", 0, "step"]]
    negative = {**record(6), "layers": [layer("conv", w=-1.0), layer("fc")]}
    assert locs(http.post(url, json={"records": [negative]})) == [
        ["body", "records", 0, "layers", 0, "weight_grad_norm"]
    ]
    typo = {**record(6), "los": 1.0}
    assert ["body", "records", 0, "los"] in locs(http.post(url, json={"records": [typo]}))
    assert locs(http.post(url, json={"records": []})) == [["body", "records"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"layer_names": LAYERS}, ["body", "name"]),
        ({"name": "x", "layer_names": []}, ["body", "layer_names"]),
        ({"name": "x", "layer_names": ["a", "a"]}, ["body", "layer_names"]),
        ({"name": "x", "layer_names": ["a", ""]}, ["body", "layer_names", 1]),
        ({"name": "x", "layer_names": LAYERS, "config": {"blob": "x" * 20_000}}, ["body", "config"]),
        ({"name": "x", "layer_names": LAYERS, "colour": "red"}, ["body", "colour"]),
    ],
)
def test_bad_registrations_name_the_field(http, body, loc):
    assert loc in locs(http.post("/api/external/runs", json=body))


def test_unknown_runs_are_404(http):
    assert http.post("/api/external/runs/nope/steps", json={"records": [record(1)]}).status_code == 404
    assert http.post("/api/external/runs/nope/finish").status_code == 404


def test_an_oversized_body_is_refused_before_it_is_parsed(http):
    run = create(http)
    big = json.dumps({"records": [record(i + 1) for i in range(30_000)]})  # ~4.5 MB
    r = http.post(
        f"/api/external/runs/{run['id']}/steps", content=big, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and "at most 4000000" in r.json()["detail"]
    assert http.get(f"/api/runs/{run['id']}").json()["step"] == 0


def test_a_step_whose_gradients_were_not_read_has_no_layers_and_keeps_its_loss(http):
    run = create(http, config={"grad_norm_every": {"every": 2, "auto": False}})
    assert run["config"]["grad_norm_every"] == {"every": 2, "auto": False}
    url = f"/api/external/runs/{run['id']}/steps"
    unread = {**record(2, loss=0.65), "layers": []}
    sampling = {"every": 4, "auto": True, "step_seconds": 0.0009, "norm_seconds": 4e-5}
    r = http.post(url, json={"records": [record(1), unread, record(3)], "grad_norm_every": sampling})
    assert r.status_code == 202, r.text
    got = http.get(f"/api/runs/{run['id']}").json()
    assert [(s["step"], s["loss"], len(s["layers"])) for s in got["history"]] == [
        (1, 0.7, 2),
        (2, 0.65, 0),
        (3, 0.7, 2),
    ]
    assert "nonfinite" not in got["history"][1]
    assert got["config"]["grad_norm_every"] == sampling  # the run's page shows the k the client uses now


@pytest.mark.parametrize(
    ("sampling", "loc"),
    [
        ({"every": 0, "auto": False}, ["body", "grad_norm_every", "every"]),
        ({"every": 2}, ["body", "grad_norm_every", "auto"]),
        ({"every": 2, "auto": True, "step_seconds": -1.0}, ["body", "grad_norm_every", "step_seconds"]),
        ({"every": 2, "auto": True, "often": 1}, ["body", "grad_norm_every", "often"]),
    ],
)
def test_a_bad_grad_norm_every_names_the_field(http, sampling, loc):
    run = create(http)
    url = f"/api/external/runs/{run['id']}/steps"
    assert loc in locs(http.post(url, json={"records": [record(1)], "grad_norm_every": sampling}))
    assert http.get(f"/api/runs/{run['id']}").json()["step"] == 0  # nothing of the batch was taken
    bad = http.post(
        "/api/external/runs",
        json={"name": "x", "layer_names": LAYERS, "config": {"grad_norm_every": sampling}},
    )
    assert locs(bad) == [["body", "config"]] and "grad_norm_every" in bad.json()["detail"][0]["msg"]
