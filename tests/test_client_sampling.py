"""Gradient norms on a schedule (watch(..., grad_norm_every=...)): which steps read them, how "auto" picks k from
the measured cost, and that a real dashboard gets every step's loss and the norms of exactly the sampled steps."""

import csv
import io
import time

import pytest
import torch
from torch import nn

from app.store import importer
from gradcast import watch
from gradcast.layers import find_layers
from gradcast.reading import ReadingOptions, StepReader
from gradcast.sampling import MAX_EVERY, WARMUP_STEPS, NormSchedule
from tests.support.live import wait_until
from tests.support.server import live_server


class FakeClock:
    """A perf_counter the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def drive(
    schedule: NormSchedule, clock: FakeClock, first: int, last: int, step_s: float, read_s: float
) -> list[int]:
    """Steps first..last of `step_s` seconds whose norm read takes `read_s`: the numbers of those that read."""
    read = []
    for n in range(first, last + 1):
        clock.now += step_s
        if schedule.due(n, display=False):
            started = schedule.timed()
            clock.now += read_s
            schedule.read_took(started)
            read.append(n)
    return read


def test_auto_reads_every_step_while_warming_up_then_every_kth_when_the_read_is_dear():
    clock = FakeClock()
    schedule = NormSchedule("auto", clock)
    # 1 ms steps, a 50 us read: 5 % of a step read every step; every 5th step keeps it within 1 %.
    assert drive(schedule, clock, 1, WARMUP_STEPS, 1e-3, 50e-6) == list(range(1, WARMUP_STEPS + 1))
    assert schedule.every == 5 and schedule.auto
    assert drive(schedule, clock, WARMUP_STEPS + 1, 90, 1e-3, 50e-6) == list(range(55, 91, 5))
    told = schedule.describe()
    assert told["every"] == 5 and told["auto"] is True
    assert told["step_seconds"] == pytest.approx(1e-3) and told["norm_seconds"] == pytest.approx(50e-6)


def test_auto_keeps_every_step_when_steps_are_long():
    clock = FakeClock()
    schedule = NormSchedule("auto", clock)
    assert drive(schedule, clock, 1, 300, 0.1, 50e-6) == list(range(1, 301))
    assert (
        schedule.every == 1
        and schedule.version == 1
        and schedule.describe()["step_seconds"] == pytest.approx(0.1, rel=1e-3)
    )


def test_auto_spaces_the_reads_of_a_tiny_model_far_apart_and_caps_k():
    clock = FakeClock()
    schedule = NormSchedule("auto", clock)
    drive(schedule, clock, 1, WARMUP_STEPS, 100e-6, 20e-6)  # the read costs 20 % of the step
    assert schedule.every == 20
    slow = NormSchedule("auto", clock)
    drive(slow, clock, 1, WARMUP_STEPS, 1e-6, 1e-3)  # 1000x the step: 100,000 would be needed
    assert slow.every == MAX_EVERY


def test_k_does_not_flap_on_a_noisy_cost_but_follows_a_real_change():
    clock = FakeClock()
    schedule = NormSchedule("auto", clock)
    drive(schedule, clock, 1, WARMUP_STEPS, 1e-3, 10.5e-6)  # 1.05 % every step -> k = 2
    assert schedule.every == 2
    drive(schedule, clock, WARMUP_STEPS + 1, 2000, 1e-3, 9.5e-6)  # just under the boundary: k stays
    assert schedule.every == 2 and schedule.version == 1
    drive(schedule, clock, 2001, 4000, 1e-3, 2.5e-6)  # the read became cheap (0.25 %): every step again
    assert schedule.every == 1 and schedule.version == 2
    drive(schedule, clock, 4001, 4400, 1e-3, 100e-6)  # and dear: 10 % of a step
    assert schedule.every == 10


def test_a_forced_k_reads_step_1_every_kth_and_every_display_step_and_measures_nothing():
    clock = FakeClock()
    schedule = NormSchedule(4, clock)
    read = [n for n in range(1, 30) if schedule.due(n, display=n in (5, 10))]
    assert read == [1, 4, 5, 8, 10, 12, 16, 20, 24, 28]
    assert schedule.describe() == {"every": 4, "auto": False} and schedule.version == 0


@pytest.mark.parametrize("bad", [0, -3, 2.5, "often", True, None])
def test_grad_norm_every_must_be_auto_or_a_positive_int(bad):
    with pytest.raises(ValueError, match="grad_norm_every"):
        watch(nn.Linear(2, 2), url="http://127.0.0.1:9", grad_norm_every=bad)


def measured_every(pause: float, steps: int) -> int:
    """The k auto picks, measured for real, for a one-layer model whose loop works `pause` s more per step (busy,
    as a longer forward and backward would be)."""
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    layers, params, _ = find_layers(model)
    reader = StepReader(model, layers, params, ReadingOptions(display_every=0, weight_norm_every=0))
    x = torch.randn(8, 4)
    for n in range(1, steps + 1):
        model.zero_grad()
        model(x).square().mean().backward()
        busy_until = time.perf_counter() + pause
        while time.perf_counter() < busy_until:
            pass
        reader.read(n)
    return reader.schedule.every


def test_auto_measures_a_real_tiny_step_as_too_short_for_every_step_norms():
    # The step is one 4x2 matmul and its backward: the fused norm read is a sizeable part of it.
    assert measured_every(0.0, WARMUP_STEPS + 5) > 1


def test_auto_measures_a_real_slow_step_as_long_enough_for_every_step_norms():
    assert measured_every(0.05, WARMUP_STEPS + 2) == 1


def train(run, model, steps: int) -> tuple[list[float], dict[int, list[float]]]:
    """SGD steps through run.step(); every step's loss and, per step, each parameter's grad norm (float64 oracle)."""
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses, oracle = [], {}
    for n in range(1, steps + 1):
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        oracle[n] = [torch.linalg.vector_norm(p.grad.double()).item() for p in model.parameters()]
        losses.append(loss.item())
        run.step(loss=losses[-1])
        opt.step()
        opt.zero_grad()
    return losses, oracle


def test_a_dashboard_gets_every_loss_and_the_norms_of_exactly_the_sampled_steps(tmp_path):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))
    with live_server(tmp_path, record=True) as srv:
        with watch(model, url=srv.url, name="every-3rd", grad_norm_every=3, display_every=0) as run:
            losses, oracle = train(run, model, 20)
        assert run.grad_norm_every == 3 and run.sent == 20 and run.dropped == 0
        with srv.client() as http:
            got = http.get(f"/api/runs/{run.id}").json()
            rid = wait_recorded(http, "every-3rd", 20)
            stored = http.get(f"/api/records/{rid}").json()
            exported = http.get(f"/api/records/{rid}/export.json").json()
            table = list(csv.reader(io.StringIO(http.get(f"/api/records/{rid}/export.csv").text)))
            reimported = http.post("/api/records/import", json=exported)
    assert got["config"]["grad_norm_every"] == {"every": 3, "auto": False}
    history = got["history"]
    assert [s["step"] for s in history] == list(range(1, 21))
    assert [s["loss"] for s in history] == losses  # every step's loss, as the loop computed it
    sampled = [1, 3, 6, 9, 12, 15, 18]
    assert [s["step"] for s in history if s["layers"]] == sampled
    for s in history:
        if not s["layers"]:
            assert "nonfinite" not in s  # a step without norms is not a failure
            continue
        want = oracle[s["step"]]  # parameters: 0.weight, 0.bias, 2.weight, 2.bias
        for i, layer in enumerate(s["layers"]):
            assert layer["weight_grad_norm"] == pytest.approx(want[2 * i], rel=1e-5)
            assert layer["bias_grad_norm"] == pytest.approx(want[2 * i + 1], rel=1e-5)
    # The recording, its JSON export (and that export imported again) and its CSV keep the same shape.
    assert [(s["step"], bool(s["layers"])) for s in stored["history"]] == [
        (s["step"], bool(s["layers"])) for s in history
    ]
    assert stored["config"]["grad_norm_every"] == {"every": 3, "auto": False}
    _, steps, _ = importer.parse(exported)
    assert [s.step for s in steps if s.layers] == sampled and len(steps) == 20
    assert [s.loss for s in steps] == pytest.approx(losses, rel=1e-6)
    assert reimported.status_code == 201, reimported.text
    assert all(len(row) == len(table[0]) for row in table)
    assert [row[0] for row in table[1:] if row[table[0].index("weight_grad_norm.0")]] == [
        str(n) for n in sampled
    ]


def wait_recorded(http, name: str, steps: int) -> str:
    def recorded() -> str | None:
        found = [r for r in http.get("/api/records").json() if r["name"] == name]
        return found[0]["id"] if found and found[0]["steps"] >= steps else None

    return str(wait_until(recorded, timeout=10))


def test_auto_on_a_tiny_model_tells_the_dashboard_the_k_it_picked(server):
    torch.manual_seed(2)
    model = nn.Linear(6, 3)  # a step of microseconds: the norm read is a large share of it
    steps = WARMUP_STEPS + 150
    with watch(model, url=server.url, name="tiny", display_every=0) as run:
        losses, oracle = train(run, model, steps)
    k = run.grad_norm_every
    assert k > 1 and run.sent == steps
    with server.client() as http:
        got = http.get(f"/api/runs/{run.id}").json()
    told = got["config"]["grad_norm_every"]
    assert told["every"] == k and told["auto"] is True and told["step_seconds"] > 0 < told["norm_seconds"]
    history = got["history"]
    assert [s["loss"] for s in history] == losses
    with_norms = [s["step"] for s in history if s["layers"]]
    assert with_norms[:WARMUP_STEPS] == list(range(1, WARMUP_STEPS + 1))  # exact while measuring
    assert len(with_norms) < steps  # and sampled after
    for s in history:
        if s["layers"]:
            assert s["layers"][0]["weight_grad_norm"] == pytest.approx(oracle[s["step"]][0], rel=1e-5)
