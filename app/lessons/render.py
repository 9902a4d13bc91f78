"""A lesson as the page and the handout draw it: each step with its formula as MathML, its panels and curves."""

from __future__ import annotations

from app.lessons.mathml import to_mathml
from app.lessons.model import FunctionView, Lesson, panels_of
from app.lessons.probe import curves


def rendered(lesson: Lesson, origin: str) -> dict:
    """GET /api/lessons/{id}: the lesson's fields, plus per step "formula_mathml", "panels" and "curves"."""
    steps = []
    for i, step in enumerate(lesson.steps, start=1):
        view = step.view
        steps.append(
            {
                "step": i,
                **step.model_dump(mode="json"),
                "formula_mathml": to_mathml(step.formula) if step.formula else None,
                "panels": list(panels_of(view)),
                "comparison": bool(getattr(view, "comparison", False)),
                "curves": curves(list(view.activations), view.z_range)
                if isinstance(view, FunctionView)
                else None,
            }
        )
    return {
        "id": lesson.id,
        "origin": origin,
        "title": lesson.title.model_dump(),
        "summary": lesson.summary.model_dump() if lesson.summary else None,
        "steps": steps,
    }
