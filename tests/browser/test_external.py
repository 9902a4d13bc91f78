"""An external run (gradcast.watch in this process) in Debian's chromium: no trainer controls, its own layer names."""

import threading
import time

import pytest
import torch
from torch import nn

from gradcast import watch
from tests.browser.support import Watched

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"
STEPS = 60
STEP_SLEEP_S = 0.1  # ~6 s of training: long enough to watch the page move


class SmallCnn(nn.Module):
    """Layers features.0 (conv), features.3 (conv), head.1 (linear): the names a person gave them."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3)
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8 * 2 * 2, 3))

    def forward(self, x):
        return self.head(self.features(x))


LAYERS = ["features.0", "features.3", "head.1"]


def train(url: str, out: dict, stop: threading.Event) -> None:
    """A plain loop on random 8x8 images, streamed with watch(); the run id goes to out['id']."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = SmallCnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(32, 1, 8, 8), torch.randint(0, 3, (32,))
    try:
        with watch(model, url=url, name="my-cnn", flush_interval=0.05) as run:
            for _ in range(STEPS):
                if stop.is_set():
                    break
                logits = model(x)
                loss = nn.functional.cross_entropy(logits, y)
                loss.backward()
                run.step(loss=loss, accuracy=(logits.argmax(1) == y).float().mean())
                out["id"] = out.get("id") or run.id  # None until the sender has registered the run
                opt.step()
                opt.zero_grad()
                time.sleep(STEP_SLEEP_S)
            out["id"] = run.id
    except Exception as e:  # reported by the test, not lost in the thread
        out["error"] = repr(e)


def test_external_run_view(server, browser, tmp_path):
    out: dict = {}
    stop = threading.Event()
    trainer = threading.Thread(target=train, args=(server.url, out, stop), daemon=True)
    trainer.start()
    ctx = browser.new_context()
    try:
        deadline = time.monotonic() + 30  # the process's first optimizer imports torch._dynamo: seconds
        while not out.get("id") and time.monotonic() < deadline and "error" not in out:
            time.sleep(0.05)
        assert out.get("id"), f"the external run never registered: {out}"
        w = Watched(ctx, server.url, viewport=(1400, 1750))  # tall: every chart on screen draws
        w.goto(f"/runs/{out['id']}", ready="live")
        w.page.evaluate(EXPOSE)
        w.wait("window.__live && window.__live.store && window.__live.store.runs.size === 1")
        w.wait("document.getElementById('chart-gradflow').data?.length >= 1")
        page = w.page
        # The badge, and no trainer controls (nor the builder link: its config is not the builder's).
        assert page.locator('[data-role="external-badge"]').is_visible()
        for role in ("play-toggle", "step-once", "reset", "speed", "same-config"):
            assert not page.locator(f'[data-role="{role}"]').is_visible(), role
        for role in ("export-csv", "export-json", "projector-toggle", "lang-toggle"):
            assert page.locator(f'[data-role="{role}"]').is_visible(), role
        assert page.locator("[data-export-png]").first.is_visible()
        # The gradient-flow bars sit at the module names (the plotted categories, not 1..N).
        bars = page.evaluate("document.getElementById('chart-gradflow').data[0].x")
        assert bars == LAYERS
        ticks = page.evaluate(
            "Array.from(document.querySelectorAll('#chart-gradflow .xtick text')).map((t) => t.textContent)"
        )
        assert ticks == LAYERS
        # Live: the step count grows while the page is open.
        step_now = "window.__live.store.runs.values().next().value.lastStep"
        first = page.evaluate(step_now)
        assert 0 < first < STEPS, first
        w.wait(f"{step_now} >= {first + 3}", timeout_ms=5_000)
        # The counter shows the store's newest step (polled: a step may land between two reads, drawn next frame).
        w.wait(
            f"document.querySelector('[data-role=\"step\"]').textContent.replace(/,/g, '').includes(String({step_now}))"
        )
        # A shortcut of the controls does nothing (Space would pause; the server would answer 409).
        page.keyboard.press("Space")
        page.keyboard.press("r")
        # Cards this run cannot fill are hidden; one line says once what is not measured (and how to get it).
        for name in ("health", "update", "chainrule", "boundary"):
            assert not page.locator(f'[data-chart="{name}"]').is_visible(), name
        note = page.locator('[data-role="not-measured"]')
        assert note.count() == 1
        said = note.inner_text()
        assert "update ratio" in said and "a′(z)" in said and "histograms" not in said, said
        # What it does measure is drawn: sampled gradient histograms, and its own accuracy on the loss card.
        assert page.locator('[data-chart="hist"]').is_visible()
        w.wait("document.getElementById('chart-hist').data?.length >= 1")
        w.wait("(document.getElementById('chart-loss').data || []).some((d) => d.name === 'accuracy')")
        acc = page.evaluate("document.getElementById('chart-loss').data.find((d) => d.name === 'accuracy')")
        assert acc["yaxis"] == "y2" and all(0 <= v <= 1 for v in acc["y"]) and len(acc["y"]) >= 1
        page.wait_for_timeout(300)
        nan_paths = page.evaluate(
            "Array.from(document.querySelectorAll('svg path')).map((p) => p.getAttribute('d') || '').filter((d) => d.includes('NaN'))"
        )
        assert not nan_paths
        w.assert_clean()
        w.screenshot("run-external", tmp_path, full_page=True)
        # In Korean (the l key): the badge and the line on what is not measured follow the language.
        page.keyboard.press("l")
        w.wait(
            "document.querySelector('[data-role=\"external-badge\"]').textContent === '외부: 직접 만든 학습 루프'"
        )
        w.wait("document.querySelector('[data-role=\"not-measured\"]')?.textContent.includes('갱신 비율')")
        w.assert_clean()
        # The home page lists it among the runs on this server, marked external.
        home = Watched(ctx, server.url)
        home.goto("/", ready="home")
        item = home.page.locator(f'[data-run="{out["id"]}"]')
        assert item.locator('a[href^="/runs/"]').inner_text() == "my-cnn"
        assert item.locator('[data-role="external-mark"]').inner_text() == "external"
        home.assert_clean()
    finally:
        stop.set()
        trainer.join(timeout=10)
        ctx.close()
    assert "error" not in out, out["error"]
