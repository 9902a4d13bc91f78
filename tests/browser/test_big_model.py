"""A 500-module transformer-like model stays readable: layers grouped by module path or type with one control,
the heat map labelled by group, the per-layer lines chosen in the card; group norms checked against the run."""

import math
import os
import re

import pytest
import torch
from torch import nn

from gradcast import watch
from tests.browser.support import Watched
from tests.support.runs import finished_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"


class Block(nn.Module):
    """Pre-norm block: 6 parameterised modules (2 LayerNorm, 4 Linear)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn_in, self.attn_out = nn.Linear(d, d), nn.Linear(d, d)
        self.mlp_in, self.mlp_out = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)

    def forward(self, x):
        x = x + self.attn_out(torch.tanh(self.attn_in(self.norm1(x))))
        return x + self.mlp_out(torch.relu(self.mlp_in(self.norm2(x))))


class Stack(nn.Module):
    """embed, blocks.0 … blocks.{n-1}, norm, head: 6n + 3 parameterised modules."""

    def __init__(self, n: int, d: int = 8) -> None:
        super().__init__()
        self.embed = nn.Embedding(16, d)
        self.blocks = nn.ModuleList(Block(d) for _ in range(n))
        self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, 4)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)).mean(dim=1)


def stream(url: str, blocks: int, name: str, steps: int = 12) -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Stack(blocks)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    tokens, y = torch.randint(0, 16, (8, 6)), torch.randint(0, 4, (8,))
    with watch(model, url=url, name=name, optimizer=opt) as run:
        for _ in range(steps):
            loss = nn.functional.cross_entropy(model(tokens), y)
            loss.backward()
            opt.step()
            run.log(loss=loss)
            opt.zero_grad()


def group_norm(layers: list[dict], names: list[str]) -> float:
    return math.sqrt(sum(x["weight_grad_norm"] ** 2 for x in layers if x["name"] in names))


def open_run(browser, server, run_id, viewport=(1400, 1750)) -> Watched:
    w = Watched(browser.new_context(), server.url, viewport=viewport)
    w.goto(f"/runs/{run_id}", ready="live")
    w.page.evaluate(EXPOSE)
    w.wait("document.getElementById('chart-gradflow').data?.length >= 1", timeout_ms=20_000)
    w.wait("document.getElementById('chart-heatmap').data?.length >= 1", timeout_ms=20_000)
    return w


def test_a_500_module_model_is_grouped_legibly(server, browser):
    stream(server.url, 83, "big-500")  # 6 * 83 + 3 = 501 modules
    run = finished_run(server, "big-500")
    assert len(run["layer_names"]) == 501
    last = run["history"][-1]["layers"]
    w = open_run(browser, server, run["id"])
    page = w.page
    # Automatic: by module path, consecutive blocks merged so that at most 24 groups remain.
    assert page.locator('[data-role="group-by"]').is_visible()
    assert page.locator('[data-role="group-by"]').input_value() == "path"
    bars = page.evaluate(
        "(() => { const d = document.getElementById('chart-gradflow').data[0]; return {x: d.x, y: d.y}; })()"
    )
    assert 10 <= len(bars["x"]) <= 24, bars["x"]
    # A group's bar is the L2 norm over its layers' norms, from the run's own numbers.
    checked = 0
    for label, value in zip(bars["x"], bars["y"], strict=True):
        m = re.fullmatch(r"blocks\.(\d+)–(\d+)\.\*", label)
        if m:
            members = [
                n
                for n in run["layer_names"]
                if n.startswith("blocks.") and int(n.split(".")[1]) in range(int(m[1]), int(m[2]) + 1)
            ]
            assert value == pytest.approx(group_norm(last, members), rel=1e-9)
            checked += 1
    assert checked >= 10
    # Every group is labelled on the axis, and the heat map's rows are the same groups.
    ticks = page.evaluate(
        "Array.from(document.querySelectorAll('#chart-gradflow .xtick text')).map((t) => t.textContent)"
    )
    assert ticks == bars["x"]
    rows = page.evaluate("document.getElementById('chart-heatmap').data[0].y")
    assert list(rows) == bars["x"]
    heat_ticks = page.evaluate(
        "Array.from(document.querySelectorAll('#chart-heatmap .ytick text')).map((t) => t.textContent)"
    )
    assert len(heat_ticks) == len(rows)
    # The update ratio of a group is ||dW|| / ||W|| of its weights together, from the layers' own numbers.
    w.wait(f"document.getElementById('chart-update').data?.[0]?.x.length === {len(bars['x'])}")
    ratios = page.evaluate("document.getElementById('chart-update').data[0].y")
    full = [s for s in run["history"] if "update_ratio" in s["layers"][0]][-1]["layers"]
    members = [
        n for n in run["layer_names"] if n.startswith("blocks.") and int(n.split(".")[1]) in range(3, 7)
    ]
    moved = sum((x["update_ratio"] * x["weight_norm"]) ** 2 for x in full if x["name"] in members)
    size = sum(x["weight_norm"] ** 2 for x in full if x["name"] in members)
    assert ratios[bars["x"].index("blocks.3–6.*")] == pytest.approx(math.sqrt(moved / size), rel=1e-9)
    # One control regroups all three charts by module type.
    page.locator('[data-role="group-by"]').select_option("type")
    w.wait("document.getElementById('chart-gradflow').data[0].x.length === 3")
    assert page.evaluate("document.getElementById('chart-gradflow').data[0].x") == [
        "Embedding ×1",
        "LayerNorm ×167",
        "Linear ×333",
    ]
    w.wait("document.getElementById('chart-heatmap').data[0].y.length === 3")
    linear = [
        n for n, k in zip(run["layer_names"], run["config"]["layer_types"], strict=True) if k == "Linear"
    ]
    got = page.evaluate("document.getElementById('chart-gradflow').data[0].y[2]")
    assert got == pytest.approx(group_norm(last, linear), rel=1e-9)
    # The lines show the groups picked in the card.
    page.locator('[data-role="lines-pick"]').select_option(["0", "2"])
    w.wait("document.getElementById('chart-lines').data.length === 2")
    assert [t["name"] for t in page.evaluate("document.getElementById('chart-lines').data")] == [
        "Embedding ×1",
        "Linear ×333",
    ]
    w.assert_clean()


def test_screenshot_of_a_150_module_model(server, browser, tmp_path):
    stream(server.url, 25, "transformer-150", steps=30)  # 153 modules
    run = finished_run(server, "transformer-150")
    w = open_run(browser, server, run["id"], viewport=(1400, 1000))
    assert w.page.locator('[data-role="group-by"]').input_value() == "path"
    w.assert_clean()
    shot = w.screenshot("big-model", tmp_path, full_page=True)
    assert shot.exists() and shot.stat().st_size > 10_000
    if os.environ.get("GRADCAST_SCREENSHOTS"):
        assert shot.parent.name == "screenshots"
