"""Faults: a damaged or foreign file, a full disk, a read-only data directory. Recording turns off with a clear
message; the calls the run manager makes never raise, and the user's file is left untouched."""

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from app.ml.config import RunConfig
from app.ml.records import LayerRecord, StepRecord
from app.ml.trainer import Trainer
from app.store.recorder import Recorder
from app.store.schema import db_path
from app.store.service import RecordingService

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


def feed(recorder: Recorder, rid: str, records) -> int:
    """What the run manager does; returns how many steps went through (all of them: nothing may raise)."""
    recorder.on_create(
        {"id": rid, "name": rid, "config": {}, "layer_names": ["layer1", "output"], "status": "created"}
    )
    recorder.on_status(rid, "running", 0)
    n = 0
    for rec in records:
        recorder.on_record(rid, rec)
        n += 1
    recorder.on_status(rid, "finished", n)
    return n


def fake_steps(n: int):
    for i in range(1, n + 1):
        yield StepRecord(
            i, 0.5, [LayerRecord("layer1", 1e-3, 1e-4), LayerRecord("output", 0.1, 0.01)], t=time.time()
        )


def assert_off(service: RecordingService, *words: str) -> None:
    status = service.status()
    assert status["ok"] is False, status
    for w in words:
        assert w in status["error"], status["error"]
    assert feed(service.recorder, "r", fake_steps(50)) == 50  # the manager's calls still return
    assert service.recorder.flush(timeout=2) is False  # nothing is written, nothing hangs


def test_damaged_file(tmp_path):
    path = db_path(tmp_path)
    garbage = b"not a database at all \x00\x01\x02" * 400
    path.write_bytes(garbage)
    service = RecordingService(tmp_path)
    assert_off(service, str(path), "damaged or not a database", "Move it away")
    service.close()
    assert path.read_bytes() == garbage  # never overwritten: it may be someone's data


def test_foreign_database(tmp_path):
    path = db_path(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    service = RecordingService(tmp_path)
    assert_off(service, "another program", "not GradCast's")
    service.close()
    assert path.read_bytes() == before


def test_database_path_is_a_directory(tmp_path):
    db_path(tmp_path).mkdir(parents=True)
    service = RecordingService(tmp_path)
    assert_off(service, "cannot open", str(db_path(tmp_path)))
    service.close()


def test_data_dir_below_a_file(tmp_path):
    (tmp_path / "blocker").write_text("a file where a directory should be")
    service = RecordingService(tmp_path / "blocker" / "data")
    assert_off(service, "cannot use the data directory")
    service.close()


def test_database_full_while_training(tmp_path):
    """SQLITE_FULL mid-run (a cap of 60 pages = 240 KiB): training finishes, what was committed stays readable."""
    service = RecordingService(tmp_path, max_pages=60)
    trainer = Trainer(RunConfig(depth=3, width=8, n_samples=200, max_steps=1500))
    service.recorder.on_create(
        {
            "id": "f",
            "name": "f",
            "config": trainer.config.model_dump(mode="json"),
            "layer_names": trainer.layer_names,
            "status": "created",
        }
    )
    trained = 0
    for rec in trainer:
        service.recorder.on_record("f", rec)
        trained += 1
        if rec.step % 20 == 0:  # small batches: some commit before the cap
            service.recorder.flush()
    assert trained == 1500  # training never noticed
    status = service.status()
    assert status["ok"] is False and "the disk is full" in status["error"], status
    assert status["dropped"] > 0 and status["written"] > 0
    kept = service.store.get("f")["steps"]
    assert 0 < kept < 1500 and len(list(service.store.history("f", trainer.layer_names))) == kept
    service.close()


# --- a real read-only file system and a real full one, in a private mount namespace (needs CAP_SYS_ADMIN)

CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from tests.test_store_faults import feed, fake_steps
from app.store.service import RecordingService
service = RecordingService(sys.argv[1])
n = feed(service.recorder, "r", fake_steps(int(sys.argv[3])))
service.recorder.flush(timeout=5)
out = service.status()
out["fed"] = n
out["kept"] = service.store.get("r")["steps"] if service.store is not None and service.store.get("r") else None
service.close()
print(json.dumps(out))
"""


def run_in_mount_ns(setup: str, data_dir: Path, steps: int) -> dict:
    """Run CHILD inside `unshare -m` after the shell `setup`; skip where mounts are not allowed."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -m not permitted here (no CAP_SYS_ADMIN): the in-process fault tests still run")
    script = f'{setup} && exec "$0" -c "$1" "$2" "$3" "$4"'
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, CHILD, str(data_dir), str(ROOT), str(steps)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_read_only_data_directory(tmp_path):
    data = tmp_path / "ro"
    data.mkdir()
    out = run_in_mount_ns(f"mount --bind {data} {data} && mount -o remount,ro,bind {data}", data, 100)
    assert out["ok"] is False and out["fed"] == 100
    assert "read-only" in out["error"] and str(data) in out["error"], out


def test_read_only_data_directory_with_existing_runs(tmp_path):
    data = tmp_path / "ro"
    service = RecordingService(data)
    feed(service.recorder, "old", fake_steps(10))
    service.close()
    out = run_in_mount_ns(f"mount --bind {data} {data} && mount -o remount,ro,bind {data}", data, 100)
    assert out["ok"] is False and out["fed"] == 100 and "read-only" in out["error"], out


def test_full_disk(tmp_path):
    """A 256 KiB tmpfs fills up mid-run: ENOSPC reaches SQLite as SQLITE_FULL."""
    data = tmp_path / "tiny"
    data.mkdir()
    out = run_in_mount_ns(f"mount -t tmpfs -o size=256k tmpfs {data}", data, 20_000)
    assert out["fed"] == 20_000 and out["ok"] is False, out
    assert "the disk is full" in out["error"], out
    assert out["kept"] is None or out["kept"] < 20_000
