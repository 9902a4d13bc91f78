"""A single-file HTML report of one run or a comparison: Plotly inlined, opens offline, no server needed."""

import json
import math
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import __version__
from app.store.columns import to_f32
from app.store.runstore import RunStore

# plotly.js's basic bundle (scatter traces are all the report draws): a quarter of the full one (vendor/README.md)
PLOTLY_BASIC_JS = Path(__file__).parent / "vendor" / "plotly-basic.min.js"

MAX_POINTS = 1500  # steps per run drawn in the report: evenly thinned, always with the first and the last
FLOW_SNAPSHOTS = 4  # gradient-flow curves of a single run: steps at 0, 1/3, 2/3 and the end of training
CONFIG_SHOWN = (
    "dataset",
    "depth",
    "width",
    "activation",
    "init",
    "norm",
    "residual",
    "optimizer",
    "lr",
    "batch_size",
)

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html", "j2"])
)


def _num(v: float | None) -> float | None:
    """Strict JSON at float32 precision (what a chart can show, in half the digits); not finite: null (a gap)."""
    return None if v is None or not math.isfinite(v) else _short(to_f32(v))


def _short(f: float) -> float:
    """The float with the fewest digits that is still the same float32 (json writes it that short)."""
    for digits in range(6, 10):
        g = float(f"{f:.{digits}g}")
        if to_f32(g) == f:
            return g
    return f


def run_series(store: RunStore, rid: str, run: dict) -> dict:
    """The run's charts' data: steps, loss and weight_grad_norm per layer, thinned to MAX_POINTS."""
    stride = max(1, math.ceil((run["steps"] or 1) / MAX_POINTS))
    steps, loss, grad_steps, wgn = [], [], [], []
    for rec in store.history(rid, run["layer_names"], stride):  # steps 1, 1+k, .. and the last
        steps.append(rec.step)
        loss.append(_num(rec.loss))
        if rec.layers:  # [] : a step whose gradients were not read (grad_norm_every > 1)
            grad_steps.append(rec.step)
            wgn.append([_num(lr.weight_grad_norm) for lr in rec.layers])
    return {
        "id": rid,
        "name": run["name"],
        "preset": run.get("preset"),
        "status": run["status"],
        "date": run["date"],
        "steps_total": run["steps"],
        "layer_names": run["layer_names"],
        "config": {k: run["config"][k] for k in CONFIG_SHOWN if k in run["config"]},
        "step": steps,
        "loss": loss,
        "grad_step": grad_steps,  # the steps of weight_grad_norm
        "weight_grad_norm": wgn,  # [[per layer] per step whose gradients were read]
    }


def render(store: RunStore, runs: list[tuple[str, dict]]) -> str:
    """The whole HTML page for [(id, run), ...] (one run, or several to compare)."""
    series = [run_series(store, rid, run) for rid, run in runs]
    data = json.dumps({"runs": series, "flow_snapshots": FLOW_SNAPSHOTS}, allow_nan=False)
    title = series[0]["name"] if len(series) == 1 else "Comparison: " + ", ".join(s["name"] for s in series)
    return _env.get_template("report.html.j2").render(
        title=title,
        runs=series,
        version=__version__,
        # Inside <script>, "</" would end the element early: escape it (and "<!--") as JSON allows.
        data_json=data.replace("<", "\\u003c"),
        plotly_js=PLOTLY_BASIC_JS.read_text(encoding="utf-8").replace("</script", "<\\/script"),
    )
