"""An external run whose norms "auto" reads every k-th step, in Debian's chromium: the page says which steps carry
them (and follows when k is picked), the loss chart has every step, the norm charts the sampled ones, and a step
without norms looks like nothing went wrong."""

import threading

import pytest
import torch
from torch import nn

from gradcast import watch
from gradcast.sampling import WARMUP_STEPS
from tests.browser.support import Watched
from tests.support.live import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"
STEPS = 300
STATE = "window.__live.store.runs.values().next().value"
LINE = "document.querySelector('[data-role=\"grad-norm-every\"]')?.textContent ?? ''"


def train(url: str, out: dict, go: threading.Event) -> None:
    """Step 1, then (once the page is open) STEPS - 1 steps of a one-layer model: microseconds each."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Linear(6, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    try:
        with watch(model, url=url, name="sampled", display_every=0, flush_interval=0.05) as run:
            for n in range(1, STEPS + 1):
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                run.step(loss=loss.item())
                opt.step()
                opt.zero_grad()
                if n == 1:
                    wait_until(lambda: run.id is not None, timeout=10)  # registered in the background
                    out["id"] = run.id
                    go.wait(30)
            out["k"] = run.grad_norm_every
        # Finished: the newest steps, held back by the frame cap of an external run, go out with the status.
    except Exception as e:  # reported by the test, not lost in the thread
        out["error"] = repr(e)


def test_a_sampled_run_shows_its_k_every_loss_and_the_sampled_norms(server, browser):
    out: dict = {}
    go = threading.Event()
    trainer = threading.Thread(target=train, args=(server.url, out, go), daemon=True)
    trainer.start()
    ctx = browser.new_context()
    try:
        wait_until(lambda: out.get("id") or "error" in out, timeout=30)
        assert out.get("id"), f"the external run never registered: {out}"
        w = Watched(ctx, server.url, viewport=(1400, 1750))
        w.goto(f"/runs/{out['id']}", ready="live")
        w.page.evaluate(EXPOSE)
        w.wait("window.__live && window.__live.store && window.__live.store.runs.size === 1")
        w.wait(f"{LINE}.includes('measuring')")  # k = 1 while the first steps are timed
        go.set()
        w.wait(f"{STATE}.lastStep === {STEPS}", timeout_ms=20_000)
        wait_until(lambda: "k" in out or "error" in out, timeout=10)
        k = out["k"]
        assert k > 1, "a one-layer model's steps are too short for every-step norms"
        # The viewer is told when k is picked: the line says it, with the measured step time.
        w.wait(f"{LINE}.includes('every {k} steps')")
        line = w.page.evaluate(LINE)
        assert "auto" in line and " ms" in line, line
        page = w.page
        loss_steps = page.evaluate(f"{STATE}.lossSteps")
        norm_steps = page.evaluate(f"{STATE}.steps")
        assert loss_steps == list(range(1, STEPS + 1))  # every step's loss
        assert norm_steps[:WARMUP_STEPS] == list(range(1, WARMUP_STEPS + 1)) and len(norm_steps) < STEPS
        # After the first pick (50 timed reads: by step ~60, as the weight-norm steps are not timed), every k-th step
        # (k may have been reviewed on the way).
        late = [n for n in norm_steps if n > 2 * WARMUP_STEPS]
        assert all(b - a > 1 for a, b in zip(late, late[1:], strict=False))
        assert page.evaluate(f"{STATE}.weightGradNorm.every((g) => g.length === 1 && g[0] > 0)")
        assert page.evaluate(f"{STATE}.divergedStep") is None  # a step without norms is not a failure
        # The loss line ends at the last step; the per-layer lines at the last sampled one, with no gaps.
        w.wait(f"document.getElementById('chart-loss').data?.[0]?.x.at(-1) === {STEPS}")
        w.wait(f"document.getElementById('chart-lines').data?.[0]?.x.at(-1) === {norm_steps[-1]}")
        lines = page.evaluate("document.getElementById('chart-lines').data[0]")
        assert set(lines["x"]) <= set(norm_steps) and None not in lines["y"]
        markers = page.evaluate(
            "['gradflow', 'lines', 'heatmap', 'loss'].flatMap((n) => (document.getElementById('chart-' + n).data || [])"
            ".filter((t) => t.meta?.nonfinite))"
        )
        assert markers == []
        nan_paths = page.evaluate(
            "Array.from(document.querySelectorAll('svg path')).map((p) => p.getAttribute('d') || '').filter((d) => d.includes('NaN'))"
        )
        assert not nan_paths
        # In Korean (the l key), the line follows.
        page.keyboard.press("l")
        w.wait(f"{LINE}.includes('{k} 스텝마다')")
        w.assert_clean()
    finally:
        go.set()
        trainer.join(timeout=10)
        ctx.close()
    assert "error" not in out, out["error"]
