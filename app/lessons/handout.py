"""A handout: a lesson as given, in one language, as a single HTML file that opens offline (Plotly inlined).

Each step's title, text and formula (MathML, drawn natively by the browser), and the charts of the runs it used
as recorded: the gradient flow per layer at the last recorded step and the loss over the steps. A sweep step
carries its sweep, a function step its curves with the z_k measured when the handout was made.
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import __version__
from app.i18n import translate
from app.lessons.mathml import to_mathml
from app.lessons.model import FunctionView, RecordView, SweepView
from app.lessons.probe import curves, preactivations
from app.lessons.session import LessonSession, source_key
from app.paths import PLOTLY_JS
from app.store.report import run_series
from app.store.runstore import RunStore

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html", "j2"])
)


def _sweep(view: SweepView, cached: dict | None) -> dict:
    if cached is not None:
        return cached
    from app.ml.activations import ACTIVATIONS
    from app.ml.sweep import depth_sweep

    return depth_sweep(list(ACTIVATIONS), max_depth=view.max_depth, seeds=view.seeds)


def _measured(session: LessonSession, n: int, view: FunctionView) -> dict | None:
    """The z_k of the step's run now (None when the run is gone or was never made)."""
    source = session.source_of(n)
    run = session.runner.manager.runs.get(source.runs[0]) if source else None
    if run is None or run.lockstep is None or view.measure is None:
        return None
    member = run.lockstep.members[0]
    if member.trainer is None:  # between a reset's old trainer and its new one
        return None
    return {
        "step": run.step,
        **preactivations(member.trainer.model, member.config, view.measure.layers, view.z_range),
    }


def render_handout(
    session: LessonSession, store: RunStore | None, lang: str, sweeps: dict | None = None
) -> str:
    """The whole HTML page. `sweeps`: computed sweeps by (max_depth, seeds, width, init), to reuse the page's."""
    lesson = session.lesson
    runs: dict[
        str, dict
    ] = {}  # recorded run id -> its series (drawn once, referenced by every step using it)
    steps = []
    for n, step in enumerate(lesson.steps, start=1):
        view = step.view
        item = {
            "n": n,
            "title": getattr(step.title, lang),
            "text": getattr(step.text, lang),
            "formula": to_mathml(step.formula) if step.formula else None,
            "kind": view.kind,
            "runs": [],
            "sweep": None,
            "curves": None,
            "measured": None,
        }
        key = source_key(step)
        source = session.sources.get(key) if key else None
        if source is not None and store is not None and not isinstance(view, FunctionView):
            ids = view.records if isinstance(view, RecordView) else source.runs
            for rid in ids:
                if rid not in runs:
                    run = store.get(rid)
                    if run is not None:
                        runs[rid] = run_series(store, rid, run)
                if rid in runs:
                    item["runs"].append(rid)
        if isinstance(view, SweepView):
            item["sweep"] = _sweep(view, (sweeps or {}).get((view.max_depth, view.seeds, 32, "default")))
        if isinstance(view, FunctionView):
            item["curves"] = curves(list(view.activations), view.z_range)
            if view.measure is not None:
                item["measured"] = _measured(session, n, view)
        steps.append(item)
    t = {
        key: translate(lang, f"handout.{key}") for key in ("flow", "loss", "layer", "step", "no_runs", "made")
    }
    data = json.dumps({"steps": steps, "runs": runs, "t": t}, allow_nan=False, ensure_ascii=False)
    return _env.get_template("handout.html.j2").render(
        lang=lang,
        title=getattr(lesson.title, lang),
        summary=getattr(lesson.summary, lang) if lesson.summary else None,
        steps=steps,
        t=t,
        version=__version__,
        data_json=data.replace("<", "\\u003c"),  # inside <script>: no "</script>" or "<!--"
        plotly_js=PLOTLY_JS.read_text(encoding="utf-8").replace("</script", "<\\/script"),
    )
