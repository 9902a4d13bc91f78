"""watch(model, optimizer=opt) without run.step(): norms from the optimizer's pre-hook, update ratios around its step,
opt-in a'(z) and saturated / dead units, named metrics: each against an independent computation."""

import pytest
import torch
from torch import nn

from gradcast import watch
from tests.support.runs import finished_run

torch.set_num_threads(1)
STEPS, EVERY = 6, 2


def test_optimizer_hooks_give_norms_update_ratios_and_activation_factors(server):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 12), nn.Sigmoid(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 3))
    with torch.no_grad():
        model[2].bias.fill_(-0.6)  # some ReLU units dead on the whole batch
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    x, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    seen: dict[str, torch.Tensor] = {}
    model[1].register_forward_hook(lambda m, a, out: seen.__setitem__("sigmoid_z", a[0].detach()))
    model[3].register_forward_hook(lambda m, a, out: seen.__setitem__("relu_z", a[0].detach()))
    want: list[dict] = []
    backwards = []
    with watch(
        model,
        url=server.url,
        name="opt-hooked",
        optimizer=opt,
        display_every=EVERY,
        display_interval=0,
        activations=True,
    ) as run:
        for _ in range(STEPS):
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
            loss.register_hook(lambda g: backwards.append(1))
            loss.backward()
            grads = [model[i].weight.grad.double().norm().item() for i in (0, 2, 4)]
            before = [model[i].weight.detach().double().clone() for i in (0, 2, 4)]
            opt.step()
            ratios = [
                (model[i].weight.detach().double() - b).norm().item() / b.norm().item()
                for i, b in zip((0, 2, 4), before, strict=True)
            ]
            s = torch.sigmoid(seen["sigmoid_z"].double())
            want.append(
                {
                    "grads": grads,
                    "ratios": ratios,
                    "sigmoid_deriv": (s * (1 - s)).mean().item(),
                    "relu_deriv": (seen["relu_z"] > 0).double().mean().item(),
                    "dead": (seen["relu_z"] <= 0).all(dim=0).double().mean().item(),
                    "loss": loss.item(),
                }
            )
            run.log(loss=loss, accuracy=(logits.argmax(1) == y).float().mean())  # after the step: same step
            opt.zero_grad()
    assert len(backwards) == STEPS
    history = finished_run(server, "opt-hooked")["history"]
    assert [s["step"] for s in history] == list(range(1, STEPS + 1))
    for rec, w in zip(history, want, strict=True):
        assert rec["loss"] == pytest.approx(w["loss"], rel=1e-6)
        assert 0 <= rec["metrics"]["accuracy"] <= 1
        assert [x["weight_grad_norm"] for x in rec["layers"]] == pytest.approx(w["grads"], rel=1e-6)
        display = rec["step"] == 1 or rec["step"] % EVERY == 0
        assert ("update_ratio" in rec["layers"][0]) is display
        if not display:
            continue
        assert [x["update_ratio"] for x in rec["layers"]] == pytest.approx(w["ratios"], rel=1e-5)
        first, second, last = rec["layers"]
        assert first["mean_act_deriv"] == pytest.approx(w["sigmoid_deriv"], rel=1e-5)  # Linear 0 -> Sigmoid
        assert first["saturated_frac"] == 0.0 and "dead_frac" not in first
        assert second["mean_act_deriv"] == pytest.approx(w["relu_deriv"], rel=1e-6)  # Linear 2 -> ReLU
        assert second["dead_frac"] == pytest.approx(w["dead"]) and w["dead"] > 0
        assert "mean_act_deriv" not in last  # no activation after the output layer
        assert sum(first["grad_hist"]) == 5 * 12  # every element of a small layer, one bin each


def test_a_notebook_shows_the_run_as_a_link_and_an_inline_read_only_view(server):
    model = nn.Linear(3, 2)
    with watch(model, url=server.url, name="in-a-notebook") as run:
        html = run._repr_html_()
        page = f"{server.url}/runs/{run.id}"
        assert f'<a href="{page}"' in html and f'<iframe src="{page}?view=1"' in html
        with server.client() as http:
            framed = http.get(f"/runs/{run.id}", params={"view": "1"})
            own = http.get(f"/runs/{run.id}")
    assert framed.status_code == 200 and "x-frame-options" not in framed.headers
    assert "frame-ancestors *" in framed.headers["content-security-policy"]
    assert own.headers["x-frame-options"] == "DENY"  # the page with controls is never framed


def test_interrupting_the_cell_stops_the_run_cleanly(server):
    model = nn.Linear(3, 2)
    with (
        pytest.raises(KeyboardInterrupt),
        watch(model, url=server.url, name="interrupted", close_timeout=5) as run,
    ):
        for _ in range(3):
            model(torch.randn(4, 3)).sum().backward()
            run.step(loss=0.5)
            model.zero_grad()
        raise KeyboardInterrupt  # what the kernel raises in the cell when it is stopped
    got = finished_run(server, "interrupted")
    assert got["status"] == "stopped" and got["reason"] == "interrupted (KeyboardInterrupt)"
    assert [s["step"] for s in got["history"]] == [1, 2, 3] and run.dropped == 0
    assert not run._sender._thread.is_alive()  # nothing left running


def test_the_training_thread_never_reads_device_values(server, monkeypatch):
    """tolist()/item() are where a GPU would make the loop wait: only the sender thread may call them."""
    import threading

    callers: list[str] = []
    for method in ("tolist", "item"):
        original = getattr(torch.Tensor, method)

        def spy(self, *a, _original=original, **kw):
            callers.append(threading.current_thread().name)
            return _original(self, *a, **kw)

        monkeypatch.setattr(torch.Tensor, method, spy)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    with watch(
        model, url=server.url, name="no-sync", optimizer=opt, display_interval=0, activations=True
    ) as run:
        for _ in range(12):
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            run.log(loss=loss, accuracy=(logits.argmax(1) == y).float().mean())  # tensors, read later
            opt.zero_grad()
        in_loop = [name for name in callers if name == threading.current_thread().name]
    assert in_loop == []  # nothing read on the training thread while it trained
    assert "gradcast-sender" in callers  # the sender read them
    assert run.sent == 12 and run.dropped == 0
