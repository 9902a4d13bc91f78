"""Typed columns of an export (format version 2): numbers packed as little-endian binary in base64, as Plotly.js
writes its typed arrays ({"dtype", "shape", "bdata"}), plus the cells that hold no number.

A column of per-layer floats over n steps is one {"dtype": "f4", "shape": [n, layers], "bdata": ..} (float32 when
every value is one, else "f8": an export keeps what is stored; NaN and infinities travel as themselves), "missing": [flat index, ..] where a cell
holds no value (a layer without a bias, dead_frac of a sigmoid layer). Read one with numpy:
`np.frombuffer(base64.b64decode(c["bdata"]), "<" + c["dtype"]).reshape(c["shape"])`.
"""

import base64
import math
import sys
from array import array
from collections.abc import Sequence
from typing import overload

_TYPECODE = {"f4": "f", "f8": "d"}  # dtype -> array typecode (both IEEE 754 everywhere Python runs)
_SWAP = sys.byteorder != "little"


class ColumnError(ValueError):
    """A column that cannot be read: the message says what was expected and what arrived."""


def encode(values: Sequence, shape: list[int], dtype: str = "f4") -> dict | None:
    """Flat values (None: no value) -> a typed column; None when no cell holds a value."""
    missing = [i for i, v in enumerate(values) if v is None]
    if values and len(missing) == len(values):
        return None
    arr = array(_TYPECODE[dtype], (math.nan if v is None else v for v in values))
    if _SWAP:
        arr.byteswap()
    out: dict = {"dtype": dtype, "shape": shape, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if missing:
        out["missing"] = missing
    return out


def decode(column: dict | None, shape: list[int]) -> list[float | None]:
    """A typed column back to flat floats (None where missing; every cell None for an absent column); ColumnError
    when its dtype, shape or length is not what `shape` says."""
    size = math.prod(shape)
    if column is None:
        return [None] * size
    dtype = column.get("dtype")
    if dtype not in _TYPECODE:
        raise ColumnError(f"dtype must be one of {sorted(_TYPECODE)}, got {dtype!r}")
    if list(column.get("shape", [])) != list(shape):
        raise ColumnError(f"shape must be {shape}, got {column.get('shape')!r}")
    try:
        raw = base64.b64decode(column.get("bdata", ""), validate=True)
    except ValueError as exc:
        raise ColumnError(f"bdata is not base64: {exc}") from exc
    arr: array[float] = array(_TYPECODE[dtype])
    if len(raw) != size * arr.itemsize:
        raise ColumnError(f"bdata holds {len(raw)} bytes, {size} {dtype} values need {size * arr.itemsize}")
    arr.frombytes(raw)
    if _SWAP:
        arr.byteswap()
    out: list[float | None] = list(arr.tolist())  # list: invariant, so a copy typed to hold None
    for i in column.get("missing", []):
        if not (isinstance(i, int) and 0 <= i < size):
            raise ColumnError(f"missing holds {i!r}, not a cell index below {size}")
        out[i] = None
    return out


@overload
def to_f32(v: float) -> float: ...
@overload
def to_f32(v: None) -> None: ...
def to_f32(v: float | None) -> float | None:
    """The value an f4 column gives back (the float32 nearest v)."""
    return None if v is None else array("f", [v])[0]


def is_f32(v: float | None) -> bool:
    """Whether an f4 cell holds v exactly (None, NaN and the infinities count: they travel as themselves)."""
    return v is None or v != v or array("f", [v])[0] == v


def number_text(f: float, dtype: str = "f4") -> str:
    """The shortest text that reads back as f at the column's precision: for f4 the fewest significant digits
    that give the same float32, positional or with an unpadded exponent, whichever is shorter (1.25e-7, not
    1.25e-07 nor 0.000000125); for f8 Python's repr (the shortest for float64). nan, inf, -inf when not finite:
    spreadsheets, pandas and numpy read all of these."""
    if f != f or f in (math.inf, -math.inf):
        return repr(f)
    if dtype == "f8":
        return _unpadded(repr(f))
    f = array("f", [f])[0]
    for digits in range(1, 10):
        sci = f"{f:.{digits - 1}e}"
        if array("f", [float(sci)])[0] == f:
            break
    mantissa, exp = sci.split("e")
    sci = f"{mantissa}e{int(exp)}" if int(exp) else mantissa
    pos = f"{f:.{digits}g}"
    return pos if "e" not in pos and len(pos) <= len(sci) else sci


def _unpadded(text: str) -> str:
    """1e-07 -> 1e-7, 1e+16 -> 1e16: the same number in fewer characters."""
    if "e" not in text:
        return text
    mantissa, exp = text.split("e")
    return f"{mantissa}e{int(exp)}"


def trim_hist(counts: list[int] | None) -> list[int] | None:
    """Histogram counts -> [first nonzero bin, its count, .. the last nonzero bin's]: most bins of a layer are 0."""
    if counts is None:
        return None
    nz = [i for i, c in enumerate(counts) if c]
    if not nz:
        return [0]
    return [nz[0], *counts[nz[0] : nz[-1] + 1]]


def untrim_hist(trimmed: list[int] | None, bins: int) -> list[int] | None:
    """The inverse of trim_hist for `bins` bins; ColumnError when it does not fit."""
    if trimmed is None:
        return None
    if not trimmed or not all(isinstance(c, int) and c >= 0 for c in trimmed):
        raise ColumnError(f"a histogram is [first bin, counts..] of non-negative integers, got {trimmed!r}")
    first, counts = trimmed[0], trimmed[1:]
    if first + len(counts) > bins:
        raise ColumnError(f"a histogram of {bins} bins cannot hold {len(counts)} counts from bin {first}")
    return [0] * first + counts + [0] * (bins - first - len(counts))
