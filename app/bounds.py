"""The ranges every number and string entering the server must fall in, declared once.

REST bodies, query strings, external step records and imports all build their models from these types, so a
value the store cannot hold (a step past SQLite's 64-bit integers, a time of 1e20 s, NaN in a config, a lone
UTF-16 surrogate that SQLite cannot encode) is refused at the boundary with a 422 naming the field, before
anything is stored. docs/protocol.md lists the same figures for people who write their own clients.
"""

import json
import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from gradcast import protocol

# Steps and counts: JavaScript's Number.MAX_SAFE_INTEGER, so a browser reads them exactly; far inside SQLite's
# 64-bit INTEGER.
MAX_COUNT = 2**53 - 1
# Times (unix seconds): 2000-01-01 to 2100-01-01. Python's datetime and every chart axis can show them.
MIN_TIME = 946_684_800.0
MAX_TIME = 4_102_444_800.0
MAX_NAME = 200  # characters of a run or layer name: a legend label, not a paragraph
MAX_TEXT = 2000  # characters of a reason or other free text: one error message with its context
MAX_LAYERS = 1000  # layers of a run: a transformer with 48 blocks has ~600 parameter-owning modules
MAX_JSON_DEPTH = (
    16  # nesting of a free-form object (a run's config, an import's info): a description, no tree
)
MAX_JSON_BYTES = 16_384  # its size as JSON: shown to people, never interpreted
MAX_BLOB_BYTES = 262_144  # a step's decision-boundary grid as JSON (~6 KB at the usual 40 x 40 cells)


def _encodable(text: str) -> str:
    """Refuse a lone UTF-16 surrogate (JSON's "\\ud800" escape): SQLite and every response need UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"text holds a lone surrogate at position {exc.start}: not encodable as UTF-8"
        ) from None
    return text


def _json_within(limit: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A check for a free-form object: strict JSON (finite numbers, encodable text), at most MAX_JSON_DEPTH deep
    and `limit` bytes long, integers within MAX_COUNT."""

    def check(value: dict[str, Any]) -> dict[str, Any]:
        _walk(value, 1)
        size = len(json.dumps(value, allow_nan=False))
        if size > limit:
            raise ValueError(f"{size} bytes of JSON; at most {limit}")
        return value

    return check


def _walk(value: Any, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, dict):
        for k, v in value.items():
            _encodable(k)
            _walk(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _walk(v, depth + 1)
    elif isinstance(value, str):
        _encodable(value)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if abs(value) > MAX_COUNT:
            raise ValueError(f"integer {value} is beyond ±{MAX_COUNT}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
    else:
        raise ValueError(f"{type(value).__name__} is not JSON")


# --- the types the models use

Step = Annotated[int, Field(ge=1, le=MAX_COUNT)]  # 1-based optimizer step
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]  # steps, items, sequence numbers
Time = Annotated[float, Field(ge=MIN_TIME, le=MAX_TIME, allow_inf_nan=False)]  # unix seconds
Finite = Annotated[float, Field(allow_inf_nan=False)]  # a loss, a mean derivative: any finite number
Norm = Annotated[float, Field(ge=0, allow_inf_nan=False)]  # a norm or a ratio of norms: finite, >= 0
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]  # an accuracy, a share of units
# steps_per_second, 0: as fast as possible. A run trained here never gets near 10,000 steps/s on a CPU; a replay
# only reads recorded steps, so it may go ten times faster (a long recording played through in seconds).
MAX_TRAIN_SPEED = 10_000.0
MAX_REPLAY_SPEED = 100_000.0
TrainSpeed = Annotated[float, Field(ge=0.0, le=MAX_TRAIN_SPEED, allow_inf_nan=False)]  # a run trained here
ReplaySpeed = Annotated[
    float, Field(ge=0.0, le=MAX_REPLAY_SPEED, allow_inf_nan=False)
]  # a replay of a record
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME),
    AfterValidator(_encodable),
]
# A layer's name inside a step record: checked against the run's own layer_names (each a Name), so a length
# bound suffices here (no per-layer Python call: an import holds millions of them).
LayerRef = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_encodable)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_encodable)]  # a key
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_within(MAX_JSON_BYTES))]  # a config, an info
JsonBlob = Annotated[dict[str, Any], AfterValidator(_json_within(MAX_BLOB_BYTES))]  # a boundary grid


def safe_echo(value: Any, depth: int = 0) -> Any:
    """What a 422 may echo of a refused input: strict, encodable JSON, short. Non-finite numbers and text with
    lone surrogates become text; long strings and containers are cut (the field's location says the rest)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        cut = value[:200] + ("…" if len(value) > 200 else "")
        return cut.encode("utf-8", "backslashreplace").decode("utf-8")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_COUNT else f"a {value.bit_length()}-bit integer"
    if depth >= 3:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:20]
        return {safe_echo(str(k), 3): safe_echo(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        return [safe_echo(v, depth + 1) for v in value[:20]]
    return safe_echo(str(value), depth)


# A user's named scalar on a step (accuracy, lr, ...): the name rules of gradcast.protocol, the client's side.
MetricName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=protocol.USER_METRIC_NAME_MAX, pattern=protocol.USER_METRIC_NAME
    ),
]
