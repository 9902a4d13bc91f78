"""The parts of a streamed JSON export, each written to a temporary file while the history is read once, then sent
as JSON in pieces: a 100,000-step export holds a few buffers in memory, not its columns.

A column keeps what the store holds: it is written at float64 and sent as f4 when every value in it is a float32
(a trained run's norms and loss: the trainer measures them in float32), else as f8. So an import gives back
exactly what was stored, in half the bytes where that costs nothing.
"""

import base64
import math
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

SPOOL_BYTES = 256 * 1024  # a part stays in memory up to this size, then moves to a temporary file
PIECE_VALUES = 3 * 8192  # float64 values read back at a time (a multiple of 3: base64 pieces join cleanly)
_SWAP = sys.byteorder != "little"


def _spool() -> tempfile.SpooledTemporaryFile:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


class Column:
    """A typed column (app/store/columns.py's format) written value by value: {"dtype", "shape", "bdata",
    "missing"?}, or null when no cell holds a value. `dtype` "auto": f4 if every value is a float32, else f8."""

    def __init__(self, dtype: str = "auto") -> None:
        self.dtype = dtype
        self.f32 = dtype != "f8"  # every value so far is a float32 (NaN, inf and missing cells count)
        self.count = 0
        self.n_missing = 0
        self._values, self._missing = _spool(), _spool()
        self._buf, self._gaps = array("d"), array("q")

    def add(self, values: Iterable[float | None]) -> None:
        buf = self._buf
        for v in values:
            if v is None:
                self._gaps.append(self.count)
                buf.append(math.nan)
            else:
                buf.append(v)
            self.count += 1
        if len(buf) >= PIECE_VALUES:
            self._flush()

    def _flush(self) -> None:
        buf = self._buf
        if self.f32 and array("d", array("f", buf)).tobytes() != buf.tobytes():
            # Some value is not a float32 (or a NaN whose payload float32 cannot hold, which still counts as one).
            self.f32 = all(v != v or array("f", [v])[0] == v for v in buf)
        buf.tofile(self._values)
        self._gaps.tofile(self._missing)
        self.n_missing += len(self._gaps)
        self._buf, self._gaps = array("d"), array("q")

    def pieces(self, shape: list[int]) -> Iterator[bytes]:
        """The column as JSON bytes, exactly as orjson writes the same dict."""
        self._flush()
        if self.count and self.n_missing == self.count:
            yield b"null"
            return
        dtype = "f4" if self.f32 else "f8"
        yield b'{"dtype":"%s","shape":%s,"bdata":"' % (dtype.encode(), orjson.dumps(shape))
        self._values.seek(0)
        while chunk := self._values.read(PIECE_VALUES * 8):
            arr = array("d")
            arr.frombytes(chunk)
            out = array("f", arr) if dtype == "f4" else arr
            if _SWAP:
                out.byteswap()
            yield base64.b64encode(out.tobytes())
        yield b'"'
        if self.n_missing:
            yield b',"missing":['
            self._missing.seek(0)
            first = True
            while chunk := self._missing.read(8 * 8192):
                gaps = array("q")
                gaps.frombytes(chunk)
                yield (b"" if first else b",") + b",".join(b"%d" % i for i in gaps)
                first = False
            yield b"]"
        yield b"}"

    def close(self) -> None:
        self._values.close()
        self._missing.close()


class JsonList:
    """A JSON list written item by item (orjson's bytes, comma-joined): step numbers, histograms, notes."""

    def __init__(self) -> None:
        self._file = _spool()
        self.count = 0

    def add(self, item: Any) -> None:
        self._file.write((b"," if self.count else b"") + orjson.dumps(item))
        self.count += 1

    def pieces(self) -> Iterator[bytes]:
        yield b"["
        self._file.seek(0)
        while chunk := self._file.read(SPOOL_BYTES):
            yield chunk
        yield b"]"

    def close(self) -> None:
        self._file.close()
