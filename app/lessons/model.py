"""The lesson file format as pydantic models: a lesson is ordered steps; a step is text, a formula and one view.

The same models validate a file from the data directory, a body POSTed to /api/lessons and the built-in lesson,
and serialise a lesson back (export). Views name presets and activations by their registry keys.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.bounds import ReplaySpeed, TrainSpeed
from app.lessons.mathml import to_mathml
from app.ml.config import ActivationName
from app.ml.presets import PRESETS

LESSON_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"  # a URL segment and a file name: /lessons/{id}, {id}.toml
MAX_STEPS = 60  # a 90-minute lecture at a step every 90 s
MAX_TEXT = 2000  # characters of a step's text per language: what a projector shows at a readable size
MAX_FORMULA = 1000  # characters of LaTeX


class Text(BaseModel):
    """The same words in English and Korean (both required: the room switches language with one key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    en: str = Field(min_length=1, max_length=MAX_TEXT)
    ko: str = Field(min_length=1, max_length=MAX_TEXT)


def _known_preset(name: str) -> str:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return name


class PresetView(BaseModel):
    """A preset trained live: a single run (run panels) or a comparison group (side by side)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["preset"]
    preset: str = Field(description="A preset name (GET /api/presets).")
    # 20: the dashboard's default pace, slow enough to watch the first layers fade
    steps_per_second: TrainSpeed = Field(20.0, description="0 = as fast as possible.")

    _check = field_validator("preset")(_known_preset)

    @property
    def comparison(self) -> bool:
        return PRESETS[self.preset].kind == "comparison"


class RecordView(BaseModel):
    """Recorded runs replayed through the live views: one run, or 2-4 as a comparison in lockstep."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["record"]
    records: list[str] = Field(min_length=1, max_length=4, description="Recorded run ids (GET /api/records).")
    steps_per_second: ReplaySpeed = Field(20.0, description="Replay pace; 0 = as fast as possible.")

    @field_validator("records")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) < len(ids):
            raise ValueError(f"record ids repeat: {ids}")
        return ids

    @property
    def comparison(self) -> bool:
        return len(self.records) > 1


class SweepView(BaseModel):
    """The depth sweep: the first layer's gradient at initialisation against depth, per activation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["sweep"]
    # 20 x 2 seeds: the sigmoid is at 1e-12 by then, and the sweep answers in a few seconds on a laptop
    max_depth: int = Field(20, ge=1, le=60)
    seeds: int = Field(2, ge=1, le=10)


class Measure(BaseModel):
    """Where the measured z_k come from: a single preset trained live, and which hidden layers to draw."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    preset: str = Field(description="A single-run preset; its run trains while the step is shown.")
    layers: list[int] = Field([1], min_length=1, max_length=4, description="Hidden layers k (1 = first).")
    steps_per_second: TrainSpeed = 20.0

    _check = field_validator("preset")(_known_preset)

    @model_validator(mode="after")
    def _single_and_deep_enough(self) -> Measure:
        preset = PRESETS[self.preset]
        if preset.kind != "single":
            raise ValueError(f"preset {self.preset!r} is a comparison; measure z_k on a single-run preset")
        depth = preset.runs[0].config.depth
        bad = [k for k in self.layers if not 1 <= k <= depth]
        if bad:
            raise ValueError(f"layers {bad} do not exist: {self.preset!r} has hidden layers 1..{depth}")
        return self


class FunctionView(BaseModel):
    """Activations and their derivatives a(z), a'(z) from the registry, with the measured z_k drawn on them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["function"]
    activations: list[ActivationName] = Field(min_length=1, max_length=4)
    measure: Measure | None = None
    z_range: tuple[float, float] = Field((-6.0, 6.0), description="The z axis: [low, high].")

    @field_validator("z_range")
    @classmethod
    def _ordered(cls, r: tuple[float, float]) -> tuple[float, float]:
        if not (-100 <= r[0] < r[1] <= 100):
            raise ValueError(f"z_range must be [low, high] with -100 <= low < high <= 100, got {list(r)}")
        return r


View = Annotated[PresetView | RecordView | SweepView | FunctionView, Field(discriminator="kind")]

# The panels a step may point the room at, per view (the run view's and the comparison view's cards).
PANELS_SINGLE = ("gradflow", "chainrule", "update", "loss")
PANELS_COMPARISON = ("gradflow", "deriv", "ratio", "loss")
Panel = Literal["gradflow", "chainrule", "update", "loss", "deriv", "ratio", "sweep", "function"]

# The live numbers a formula may be shown with (read from the run on screen, first layer and product).
Number = Literal["deriv", "weight", "product", "grad_first", "update_first"]


def panels_of(view: PresetView | RecordView | SweepView | FunctionView) -> tuple[str, ...]:
    """The cards a view shows, in order."""
    if isinstance(view, SweepView):
        return ("sweep",)
    if isinstance(view, FunctionView):
        return ("function",)
    return PANELS_COMPARISON if view.comparison else PANELS_SINGLE


class Step(BaseModel):
    """One step of a lesson: a title and a short text (en, ko), an optional LaTeX formula, one view."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Text
    text: Text
    formula: str | None = Field(None, max_length=MAX_FORMULA, description="LaTeX, rendered to MathML.")
    view: View
    highlight: Panel | None = Field(None, description="The panel the room is pointed at.")
    numbers: list[Number] = Field([], description="Live values shown beside the formula.")

    @field_validator("formula")
    @classmethod
    def _renders(cls, latex: str | None) -> str | None:
        if latex is not None:
            to_mathml(latex)  # FormulaError is a ValueError: reported on this step's formula field
        return latex

    @model_validator(mode="after")
    def _panel_and_numbers_fit_the_view(self) -> Step:
        shown = panels_of(self.view)
        if self.highlight is not None and self.highlight not in shown:
            raise ValueError(
                f"highlight {self.highlight!r} is not shown by a {self.view.kind} view: {list(shown)}"
            )
        if self.numbers and not isinstance(self.view, PresetView | RecordView):
            raise ValueError("numbers need a live run on screen: a preset or record view")
        return self


class Lesson(BaseModel):
    """A lesson: an id (its URL and file name), a title, and 1-60 ordered steps."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal[1] = Field(1, description="Version of this file format.")
    id: str = Field(pattern=LESSON_ID, description="Lower-case letters, digits and '-'.")
    title: Text
    summary: Text | None = None
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
