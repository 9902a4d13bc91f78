"""A recorded run as JSON, version 2 (docs/recording.md#the-json-export), streamed in pieces.

Columnar: one typed column per metric (float32 where every value is one, else float64; base64,
app/store/columns.py), no key repeated per step, spooled to temporary files (app/store/spool.py) so a long run
never sits in memory; importing it (app/store/importer.py) gives back exactly what was stored.
"""

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, TypeVar

import orjson

from app.ml.records import DISPLAY_LAYER_METRICS
from app.store.columns import trim_hist
from app.store.runstore import RunStore
from app.store.spool import Column, JsonList
from gradcast.protocol import strict_tree as _strict

FORMAT = "gradcast-run"
VERSION = 2
EVALS = ("train_acc", "test_acc", "test_loss")
RUN_KEYS = ("name", "preset", "status", "reason", "steps", "created", "config", "layer_names")
_INFO_KEYS = {"hist_edges", "max_steps", "steps_per_second", "lesson"}  # run-dict fields an export carries


def _runs(values: list[int]) -> list[int]:
    """Run-length code [value, count, value, count, ..] of a row-major class grid (its regions are contiguous)."""
    out: list[int] = []
    for v in values:
        if out and out[-2] == v:
            out[-1] += 1
        else:
            out += [v, 1]
    return out


def _grid(boundary: dict, axes: tuple | None) -> tuple[dict, tuple | None]:
    """A boundary as an export entry: {"z": {"cols", "runs"}} plus "x", "y" when they differ from the previous
    entry's (they are the dataset's fixed grid); anything else whole, as {"raw": ..}."""
    x, y = boundary.get("x"), boundary.get("y")
    z: Any = boundary.get("z")  # list[list[int]] when grid_ok
    grid_ok = (
        isinstance(z, list)
        and z
        and all(isinstance(row, list) and len(row) == len(z[0]) for row in z)
        and all(isinstance(c, int) and not isinstance(c, bool) for row in z for c in row)
        and set(boundary) == {"x", "y", "z"}
    )
    if not grid_ok:
        return {"raw": _strict(boundary)}, axes
    entry: dict = {"z": {"cols": len(z[0]), "runs": _runs([c for row in z for c in row])}}
    if (x, y) != axes:
        entry.update(x=_strict(x), y=_strict(y))
    return entry, (x, y)


_Part = TypeVar("_Part", Column, JsonList)


def _kept(parts: ExitStack, made: _Part) -> _Part:
    """A part closed (its temporary file removed) when the export ends or is abandoned."""
    parts.callback(made.close)
    return made


def iter_json(store: RunStore, rid: str, run: dict) -> Iterator[bytes]:
    """The version-2 export (docs/recording.md#the-json-export) as JSON bytes, in pieces: the history is read once
    into temporary files (app/store/spool.py), then sent part by part, so a long run never sits in memory. Every
    step is read before the first piece is made (a damaged record fails before any byte is sent)."""
    names = run["layer_names"]
    n_layers = len(names)
    with ExitStack() as parts:
        step, shown, hists, notes = (_kept(parts, JsonList()) for _ in range(4))
        t, loss, wgn, bgn = (_kept(parts, Column(dtype)) for dtype in ("f8", "auto", "auto", "auto"))
        metrics = {k: _kept(parts, Column()) for k in DISPLAY_LAYER_METRICS}
        ev_step, evals = _kept(parts, JsonList()), {k: _kept(parts, Column()) for k in EVALS}
        grid_step, grids = _kept(parts, JsonList()), _kept(parts, JsonList())
        prev, axes = None, None
        for rec in store.history(rid, names):
            step.add(rec.step)
            t.add([rec.t])
            loss.add([rec.loss])
            # A step whose gradients were not read: every layer's cell is missing (docs/recording.md).
            wgn.add([lr.weight_grad_norm for lr in rec.layers] if rec.layers else [None] * n_layers)
            bgn.add([lr.bias_grad_norm for lr in rec.layers] if rec.layers else [None] * n_layers)
            if rec.full and rec.layers:
                shown.add(rec.step)
                for k, col in metrics.items():
                    col.add([getattr(lr, k) for lr in rec.layers])
                hists.add([trim_hist(lr.grad_hist) for lr in rec.layers])
            if any(getattr(rec, k) is not None for k in EVALS):
                ev_step.add(rec.step)
                for k in EVALS:
                    evals[k].add([getattr(rec, k)])
            if rec.boundary is not None:
                grid_step.add(rec.step)
                if rec.boundary == prev:
                    grids.add(None)  # the same as the previous one: not again
                else:
                    entry, axes = _grid(rec.boundary, axes)
                    grids.add(entry)
                prev = rec.boundary
            if rec.diverged is not None or rec.extra or rec.time is not None:
                note: dict = {"step": rec.step}
                if rec.diverged is not None:
                    note["diverged"] = _strict(rec.diverged)
                if rec.extra:
                    note["extra"] = _strict(rec.extra)
                if rec.time is not None:  # a recurrent model's gradient through time (display steps)
                    note["time"] = _strict(rec.time)
                notes.add(note)
        n, m, e = step.count, shown.count, ev_step.count
        out_run = {k: run.get(k) for k in RUN_KEYS}
        out_run["info"] = {k: v for k, v in run.items() if k not in RUN_KEYS and k in _INFO_KEYS}
        head = {
            "format": FORMAT,
            "version": VERSION,
            "run": _strict(out_run),
            "events": _strict(store.events(rid)),
        }
        yield orjson.dumps(head)[:-1] + b',"steps":{"step":'
        yield from step.pieces()
        for key, col in (("t", t), ("loss", loss)):
            yield b',"%s":' % key.encode()
            yield from col.pieces([n])
        for key, col in (("weight_grad_norm", wgn), ("bias_grad_norm", bgn)):
            yield b',"%s":' % key.encode()
            yield from col.pieces([n, n_layers])
        yield b'},"display":{"step":'
        yield from shown.pieces()
        for key, col in metrics.items():
            yield b',"%s":' % key.encode()
            yield from col.pieces([m, n_layers])
        yield b',"grad_hist":'
        yield from hists.pieces()
        yield b'},"evals":{"step":'
        yield from ev_step.pieces()
        for key, col in evals.items():
            yield b',"%s":' % key.encode()
            yield from col.pieces([e])
        yield b'},"boundaries":{"step":'
        yield from grid_step.pieces()
        yield b',"grid":'
        yield from grids.pieces()
        yield b'},"notes":'
        yield from notes.pieces()
        yield b"}\n"
