"""Routes: external runs, fed step records by a training loop elsewhere (app.client.watch or any HTTP client).

POST /api/external/runs                 {"name", "layer_names", "config"?}   -> 201 run (external: true)
POST /api/external/runs/{id}/steps      {"records": [step record, ...], "grad_norm_every"?} -> 202 {"accepted": n}
POST /api/external/runs/{id}/finish     {"status"?, "reason"?}               -> 200 run
"""

import json
import math
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, field_validator

from app.bounds import (
    MAX_LAYERS,
    Finite,
    Fraction,
    JsonObject,
    MetricName,
    Name,
    Norm,
    Step,
    Text,
    Time,
)
from app.live.errors import Conflict
from app.live.state import Status
from app.ml.records import LayerRecord, StepRecord
from app.stepfields import LayerNumbers
from app.web.deps import ManagerDep
from gradcast import protocol


def _token_as_text(token: str) -> str:
    """NaN / Infinity / -Infinity are not JSON: keep them as text so the 422 can name the field (and render)."""
    return token


class StrictJsonRequest(Request):
    """A request whose JSON body keeps non-standard number tokens as strings (refused by the models below)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            _check_size(len(body))
            self._json = json.loads(body, parse_constant=_token_as_text)
        return self._json


def _check_size(n_bytes: int) -> None:
    if n_bytes > MAX_BODY_BYTES:
        raise HTTPException(
            413, f"body is {n_bytes} bytes; at most {MAX_BODY_BYTES} per request: send fewer records"
        )


class StrictJsonRoute(APIRoute):
    """Python's json accepts NaN; echoing it back in a 422 would break the error's own JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            _check_size(int(declared) if declared.isdigit() else 0)  # refuse before reading it
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict


router = APIRouter(prefix="/api/external/runs", tags=["external runs"], route_class=StrictJsonRoute)

MAX_RECORDS = 4096  # per POST: the client sends at most 256
# Validating a body runs on the event loop, so its size is capped (docs/protocol.md#limits); the client stays far
# below.
MAX_BODY_BYTES = 4_000_000
# Norms are >= 0 and finite; a non-finite one travels as null with "nonfinite": true (strict JSON).


class NormSamplingIn(BaseModel):
    """Which steps carry gradient norms (gradcast.protocol.NormSampling): step 1, every `every`-th, display steps."""

    model_config = ConfigDict(extra="forbid")

    every: int = Field(ge=1, le=protocol.MAX_GRAD_NORM_EVERY, description="1: every step")
    auto: bool = Field(description="k picked from the measured cost of reading the norms")
    step_seconds: Norm | None = None
    norm_seconds: Norm | None = None


class ExternalConfig(RootModel[JsonObject]):
    """Free-form description of the model (type, parameter count, optimizer...): shown, never interpreted, except
    "measured" (the cards it fills) and "grad_norm_every" (NormSamplingIn: checked)."""

    @field_validator("root")
    @classmethod
    def _sampling(cls, v: dict[str, Any]) -> dict[str, Any]:
        if protocol.GRAD_NORM_EVERY in v:
            try:
                sampling = NormSamplingIn.model_validate(v[protocol.GRAD_NORM_EVERY])
            except ValidationError as exc:
                where = ".".join(map(str, exc.errors()[0]["loc"]))
                msg = exc.errors()[0]["msg"]
                raise ValueError(f"{protocol.GRAD_NORM_EVERY}.{where}: {msg}".rstrip(".: ")) from None
            v[protocol.GRAD_NORM_EVERY] = sampling.model_dump(exclude_none=True)
        return v


class ExternalRunIn(BaseModel):
    """Body of POST /api/external/runs."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    layer_names: list[Name] = Field(min_length=1, max_length=MAX_LAYERS, description="input -> output")
    config: ExternalConfig = Field(default_factory=lambda: ExternalConfig({}))

    @field_validator("layer_names")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for name in v:
            if name in seen:
                raise ValueError(f"layer names must be unique; {name!r} appears twice")
            seen.add(name)
        return v


class LayerIn(LayerNumbers):
    """One layer of a step record; weight_grad_norm and bias_grad_norm every step, the rest when measured."""

    model_config = ConfigDict(extra="forbid")

    grad_hist: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, min_length=protocol.HIST_BINS, max_length=protocol.HIST_BINS
    )
    nonfinite: bool = False


class StepIn(BaseModel):
    """One step record (docs/protocol.md), as an external trainer measured it."""

    model_config = ConfigDict(extra="forbid")

    step: Step = Field(description="1-based count of optimizer steps; increasing")
    t: Time | None = Field(None, description="unix seconds when measured; the server's clock when absent")
    loss: Finite | None  # null only when not finite (then "nonfinite": true)
    # Every layer of the run, or none: [] is a step whose gradients were not read (grad_norm_every > 1).
    layers: list[LayerIn] = Field(max_length=MAX_LAYERS)
    train_acc: Fraction | None = None
    test_acc: Fraction | None = None
    test_loss: Finite | None = None
    # The step's own named scalars (accuracy, learning rate...); null only when not finite.
    metrics: dict[MetricName, Finite | None] | None = Field(None, max_length=protocol.MAX_USER_METRICS)
    nonfinite: bool = False


class StepsIn(BaseModel):
    """Body of POST /api/external/runs/{id}/steps."""

    model_config = ConfigDict(extra="forbid")

    records: list[StepIn] = Field(min_length=1, max_length=MAX_RECORDS)
    # The client's gradient-norm schedule, sent when it changes (auto picked or changed k); shown on the run's page.
    grad_norm_every: NormSamplingIn | None = None


class FinishIn(BaseModel):
    """Body of POST /api/external/runs/{id}/finish (optional)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["finished", "stopped", "diverged", "failed"] = "finished"
    reason: Text | None = None


def _refuse(errors: list[dict]) -> None:
    if errors:
        raise RequestValidationError(errors)


def _error(loc: tuple, msg: str, value: object) -> dict:
    return {"type": "value_error", "loc": ("body", *loc), "msg": msg, "input": value}


def check_against_run(records: list[StepIn], layer_names: list[str], last_step: int) -> None:
    """What the schema alone cannot say: the run's layers, increasing steps, null only with the flag (422)."""
    errors: list[dict] = []
    previous = last_step
    for i, rec in enumerate(records):
        where = ("records", i)
        if rec.step <= previous:
            errors.append(
                _error((*where, "step"), f"steps must increase: {rec.step} after {previous}", rec.step)
            )
        previous = max(previous, rec.step)
        if rec.loss is None and not rec.nonfinite:
            errors.append(
                _error((*where, "loss"), 'null only for a non-finite loss, with "nonfinite": true', None)
            )
        if rec.layers and len(rec.layers) != len(layer_names):
            msg = f"expected {len(layer_names)} layers (the run's layer_names) or none, got {len(rec.layers)}"
            errors.append(_error((*where, "layers"), msg, len(rec.layers)))
        if len(rec.layers) != len(layer_names):  # (none: a step whose gradients were not read)
            continue
        for j, (layer, expected) in enumerate(zip(rec.layers, layer_names, strict=True)):
            if layer.name != expected:
                msg = f"expected {expected!r} (layer {j} of the run's layer_names), got {layer.name!r}"
                errors.append(_error((*where, "layers", j, "name"), msg, layer.name))
            if layer.weight_grad_norm is None and not (layer.nonfinite or rec.nonfinite):
                msg = 'null only for a non-finite norm, with "nonfinite": true'
                errors.append(_error((*where, "layers", j, "weight_grad_norm"), msg, None))
        if len(errors) >= 20:  # enough to fix the sender; do not build a huge answer
            break
    _refuse(errors)


def _nan(value: float | None) -> float:
    """null on the wire (non-finite) is NaN in a StepRecord; the wire layer turns it back into null + flag."""
    return math.nan if value is None else value


def to_record(rec: StepIn, display: bool) -> StepRecord:
    """A validated step as the ML core's StepRecord, so it travels the same path as a built-in run's."""
    layers = [
        LayerRecord(
            name=layer.name,
            weight_grad_norm=_nan(layer.weight_grad_norm),
            bias_grad_norm=layer.bias_grad_norm,
            act_grad_norm=layer.act_grad_norm,
            mean_act_deriv=layer.mean_act_deriv,
            weight_norm=layer.weight_norm,
            update_ratio=layer.update_ratio,
            saturated_frac=layer.saturated_frac,
            dead_frac=layer.dead_frac,
            grad_hist=layer.grad_hist,
        )
        for layer in rec.layers
    ]
    return StepRecord(
        step=rec.step,
        loss=_nan(rec.loss),
        layers=layers,
        full=display,
        train_acc=rec.train_acc,
        test_acc=rec.test_acc,
        test_loss=rec.test_loss,
        t=rec.t if rec.t is not None else time.time(),
        extra={protocol.STEP_USER_METRICS: {k: _nan(v) for k, v in rec.metrics.items()}}
        if rec.metrics
        else {},
    )


@router.post("", status_code=201)
async def create_external_run(body: ExternalRunIn, manager: ManagerDep) -> dict:
    """Register a run trained elsewhere; it shows on the dashboard like a built-in one, marked external."""
    return manager.create_external(body.name, body.layer_names, body.config).to_dict()


@router.post("/{run_id}/steps", status_code=202)
async def post_external_steps(run_id: str, body: StepsIn, manager: ManagerDep) -> dict:
    """Take a batch of step records into the run's history, frames and recording."""
    run = manager.get_posted_run(run_id)  # 404 unknown, 410 deleted (LiveError -> app/web/errors.py)
    check_against_run(body.records, run.layer_names, run.step)
    last = len(body.records) - 1
    # The newest step of each batch is a frame (viewers see the latest), as is any step with display metrics.
    records = [
        to_record(rec, display=i == last or protocol.is_display_step(rec))
        for i, rec in enumerate(body.records)
    ]
    manager.ingest(run_id, records)  # 409 once the run has ended
    if body.grad_norm_every is not None:
        manager.set_norm_sampling(run_id, body.grad_norm_every.model_dump(exclude_none=True))
    return {"accepted": len(records)}


@router.post("/{run_id}/finish")
async def finish_external_run(run_id: str, manager: ManagerDep, body: FinishIn | None = None) -> dict:
    """The external loop ended: mark the run finished (or failed, with the reason)."""
    body = body or FinishIn()
    run = manager.get_posted_run(run_id)
    if run.external and run.status is not Status.RUNNING:
        raise Conflict(f"run {run_id} is already {run.status.value}")
    manager.finish_external(run_id, Status(body.status), body.reason)
    return run.to_dict()
