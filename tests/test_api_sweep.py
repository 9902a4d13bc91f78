"""GET /api/sweep: computed in a thread (the server keeps answering meanwhile), then served from the cache."""

import threading
import time

import httpx

from tests.support.live import strict_loads


def test_sweep_answers_per_activation_off_the_loop_and_is_cached(server):
    answered: list[float] = []  # monotonic times of /healthz answers
    done = threading.Event()

    def poll_health() -> None:
        with server.client() as h:
            while not done.is_set() and len(answered) < 1000:
                assert h.get("/healthz").status_code == 200
                answered.append(time.monotonic())
                time.sleep(0.02)  # pacing: a page's health checks, ~50 a second

    poller = threading.Thread(target=poll_health)
    poller.start()
    with server.client() as c:
        try:
            start = time.monotonic()
            r = c.get("/api/sweep")  # defaults: 30 depths x 3 seeds, about a second of CPU
            end = time.monotonic()
        finally:
            done.set()
            poller.join(5)
        assert r.status_code == 200
        body = strict_loads(r.text)
        assert body["depths"] == list(range(1, 31))
        assert {"sigmoid", "relu", "tanh"} <= {s["activation"] for s in body["series"]}
        sigmoid = next(s for s in body["series"] if s["activation"] == "sigmoid")
        assert sigmoid["grad"][-1] < 1e-3 * sigmoid["grad"][0]  # vanishing with depth
        # The event loop kept answering while the sweep computed (a blocked loop answers nothing meanwhile).
        assert sum(start + 0.05 < t < end - 0.05 for t in answered) >= 5, (end - start, len(answered))

        assert c.get("/api/sweep").json() == body
        assert len(server.app.state.sweep_cache.results) == 1  # the second answer came from the cache
        r = c.get("/api/sweep", params={"max_depth": 500})
        assert r.status_code == 422 and "max_depth" in r.json()["detail"][0]["loc"]


def test_the_sweep_says_which_init_and_offers_each_activations_recommended_one(server):
    with httpx.Client(base_url=server.url, timeout=120) as c:  # two sweeps of 30 depths
        rec = c.get("/api/sweep", params={"init": "recommended", "max_depth": 30, "seeds": 2}).json()
        default = c.get("/api/sweep", params={"init": "default", "max_depth": 30, "seeds": 2}).json()
        bad = c.get("/api/sweep", params={"init": "he", "max_depth": 2})
    assert rec["init"] == "recommended" and default["init"] == "default"
    used = {s["activation"]: s["init"] for s in rec["series"]}
    assert used["relu"] == used["leaky_relu"] == "kaiming_normal"
    assert used["tanh"].startswith("xavier") and used["sigmoid"].startswith("xavier")
    assert {s["init"] for s in default["series"]} == {"default"}
    relu = {s["init"]: s for s in rec["series"] + default["series"] if s["activation"] == "relu"}
    # He et al. 2015: with Kaiming init ReLU's first/last ratio stays of order 1 at depth 30; PyTorch's default
    # shrinks it ~0.4x per layer.
    assert 1e-1 <= relu["kaiming_normal"]["ratio"][29] <= 1e1
    assert relu["default"]["ratio"][29] < 1e-6
    assert bad.status_code == 422 and "init" in bad.json()["detail"][0]["loc"]


def test_sequence_length_sweep_answers_per_recurrent_model_and_refuses_bad_lengths(server):
    with server.client() as c:
        r = c.get("/api/sweep/time?max_len=30&seeds=1&width=8")
        assert r.status_code == 200
        body = strict_loads(r.text)
        assert body["lengths"] == [10, 12, 14, 17, 19, 21, 23, 26, 28, 30]
        assert [s["architecture"] for s in body["series"]] == ["rnn", "lstm", "gru"]
        rnn = body["series"][0]["ratio"]
        assert rnn[-1] < 1e-2 * rnn[0]  # exponential in T: 20 more steps, orders of magnitude less
        assert c.get("/api/sweep/time?max_len=30&seeds=1&width=8").json() == body  # cached
        bad = c.get("/api/sweep/time?max_len=5")
        assert bad.status_code == 422 and "max_len" in bad.text
