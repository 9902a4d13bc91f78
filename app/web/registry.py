"""GET /api/registry: the activations' and inits' vocabulary (labels, formulas, a′ bounds), as the page reads it.

One vocabulary from the Python registries to the browser: the page embeds the same JSON (base.html), so the
front end holds no label or physics constant of its own.
"""

from functools import cache

from fastapi import APIRouter
from pydantic import BaseModel

from app.ml.activations import ACTIVATIONS
from app.ml.inits import INITS

router = APIRouter(prefix="/api", tags=["registry"])


class ActivationInfo(BaseModel):
    """One activation as the dashboard explains it."""

    key: str  # registry key = form value = JSON value = legend key
    label: dict[str, str]  # {"en", "ko"}
    formula: str  # a(z) and a′(z) in plain text
    deriv_bound: float  # sup_z |a′(z)|: the chain rule's per-layer ceiling (0.25 for the sigmoid)
    recommended_init: str  # an inits key
    kind: str  # saturating (saturated_frac measured), rectifying (dead_frac measured), smooth, linear


class InitInfo(BaseModel):
    """One initialisation scheme as the dashboard explains it."""

    key: str
    label: dict[str, str]  # {"en", "ko"}
    variance: str  # the variance it aims for
    explain: dict[str, str]  # {"en", "ko"}: one line for the builder


class Registry(BaseModel):
    """Every activation and init, in registry order."""

    activations: dict[str, ActivationInfo]
    inits: dict[str, InitInfo]


@cache  # the registries are constant while the process runs
def registry() -> Registry:
    """The registries as JSON-ready data (what /api/registry answers and every page embeds)."""
    return Registry(
        activations={
            a.key: ActivationInfo(
                key=a.key,
                label={"en": a.label, "ko": a.label_ko or a.label},
                formula=a.formula,
                deriv_bound=a.deriv_bound,
                recommended_init=a.recommended_init,
                kind=a.kind,
            )
            for a in ACTIVATIONS.values()
        },
        inits={
            i.key: InitInfo(
                key=i.key,
                label={"en": i.label, "ko": i.label_ko or i.label},
                variance=i.description,
                explain={"en": i.explain[0], "ko": i.explain[1]},
            )
            for i in INITS.values()
        },
    )


@router.get("/registry", response_model=Registry)
def get_registry() -> Registry:
    """Labels (English and Korean), formulas, derivative bounds and recommended inits of every registry entry."""
    return registry()
