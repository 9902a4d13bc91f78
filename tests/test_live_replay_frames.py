"""A replayed comparison's batches are framed together, however long a batch takes to take in."""

import json

from app.live.manager import RunManager
from app.ml.config import RunConfig
from app.ml.trainer import Trainer
from app.settings import Settings


def test_each_batch_of_a_replayed_group_gives_one_frame_per_run_at_one_step():
    cfg = RunConfig(depth=3, width=8, max_steps=400)
    records = list(Trainer(cfg, display_every=1))  # every step full: each could be a frame on its own
    manager = RunManager(Settings(display_fps=120))  # a frame cap of ~4 ms: a 400-step batch outlasts it
    layers = [x.name for x in records[0].layers]
    group, runs = manager.create_external_group([("a", layers, cfg), ("b", layers, cfg)], None, clock=None)
    for start in (0, 200):
        manager.ingest_lockstep([(r.id, records[start : start + 200]) for r in runs])
    ring = manager.hub.get(f"group:{group.id}").ring
    frames = [json.loads(text) for _, text in ring]
    frames = [m for m in frames if m["type"] == "frame"]
    assert [(m["run"], m["step"]) for m in frames] == [
        (runs[0].id, 200),
        (runs[1].id, 200),
        (runs[0].id, 400),
        (runs[1].id, 400),
    ]
    assert all(len(m["between"]["step"]) == 199 for m in frames)  # the other steps ride along, none lost
