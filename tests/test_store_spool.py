"""The streamed JSON export: spooled parts write exactly what orjson writes for the same dict, and a 100,000-step
record is exported without holding its columns in memory."""

import math
import subprocess
import sys
from array import array
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from app.store import columns
from app.store.schema import connect
from app.store.spool import PIECE_VALUES, Column, JsonList
from tests.support.records import write_long_run

ROOT = Path(__file__).resolve().parents[1]


def joined(col: Column, shape: list[int]) -> bytes:
    return b"".join(col.pieces(shape))


@pytest.mark.parametrize("n", [0, 1, 7, PIECE_VALUES - 1, PIECE_VALUES, 2 * PIECE_VALUES + 5])
def test_a_column_is_what_encode_writes(n):
    """Across flushes (base64 pieces join cleanly), with missing cells, NaN and infinities kept."""
    values = [None if i % 5 == 3 else array("f", [1.5 ** (i % 40) / 7])[0] for i in range(n)]
    if n > 2:
        values[1], values[2] = math.nan, -math.inf
    col = Column()
    col.add(values)
    got = joined(col, [n])
    assert got == orjson.dumps(columns.encode(values, [n], "f4"))
    back = columns.decode(orjson.loads(got), [n])
    assert [repr(v) for v in back] == [repr(v) for v in values]
    col.close()


def test_a_column_with_a_float64_value_is_f8_and_one_with_no_value_is_null():
    col, empty, times = Column(), Column(), Column("f8")
    col.add([0.5, 0.25])
    col.add([0.1])  # float32 cannot hold 0.1 exactly
    empty.add([None, None])
    times.add([0.5])
    assert orjson.loads(joined(col, [3]))["dtype"] == "f8"
    assert columns.decode(orjson.loads(joined(col, [3])), [3]) == [0.5, 0.25, 0.1]
    assert joined(empty, [2]) == b"null"
    assert orjson.loads(joined(times, [1]))["dtype"] == "f8"


def test_a_json_list_is_what_orjson_writes():
    items = [1, None, [0, 3, 4], {"step": 2, "extra": {"a": 1.5}}]
    lst = JsonList()
    for item in items:
        lst.add(item)
    assert b"".join(lst.pieces()) == orjson.dumps(items)
    assert b"".join(JsonList().pieces()) == b"[]"


PEAK = """
import re, sys
from pathlib import Path
from app.store import export_json
from app.store.runstore import RunStore

def peak_kib():  # this process's own high-water mark (ru_maxrss would carry the parent's over from fork)
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))

store = RunStore(Path(sys.argv[1]))
run = store.get("long")
before = peak_kib()
size = sum(len(piece) for piece in export_json.iter_json(store, "long", run))
print(size, peak_kib() - before)
"""


def test_a_100000_step_export_is_streamed_in_little_memory(tmp_path):
    """In a fresh process: the export (about 20 MB of JSON) raises the peak resident memory by far less than its
    size (building it in memory took 68 MB more)."""
    write_long_run(tmp_path / "db.sqlite3", "long", 100_000)
    with closing(connect(tmp_path / "db.sqlite3")) as conn:  # into the file: the child reads no 100 MB WAL
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out = subprocess.run(
        [sys.executable, "-c", PEAK, str(tmp_path / "db.sqlite3")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    size, grew_kib = map(int, out.stdout.split())
    print(f"\n100,000-step export: {size / 1e6:.1f} MB of JSON, peak memory +{grew_kib / 1024:.1f} MB")
    assert size > 15_000_000
    assert grew_kib * 1024 < 24_000_000
