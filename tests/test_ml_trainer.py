"""The Trainer contract: schedule, step numbering, divergence, determinism (also across threads), clipping."""

import dataclasses
import json
import math
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ml.activations import ACTIVATIONS
from app.ml.arch.specs import ARCHITECTURES
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.inits import INITS
from app.ml.instrument import HIST_EDGES
from app.ml.norms import NORMS
from app.ml.trainer import Trainer

torch.set_num_threads(1)

SMALL = RunConfig(depth=3, width=8, n_samples=200, max_steps=25, seed=7)


def comparable(rec) -> dict:
    """A record as plain data, without the wall-clock time."""
    d = dataclasses.asdict(rec)
    d.pop("t")
    return d


def test_schedule_first_every_kth_and_last_step():
    tr = Trainer(SMALL, display_every=10)
    records = list(tr)
    assert [r.step for r in records] == list(range(1, 26))
    assert [r.step for r in records if r.full] == [1, 10, 20, 25]
    assert tr.done and tr.step_count == 25 and tr.diverged is None
    for r in records:
        assert [layer.name for layer in r.layers] == ["layer1", "layer2", "layer3", "output"]
        assert all(
            math.isfinite(layer.weight_grad_norm) and layer.bias_grad_norm is not None for layer in r.layers
        )
        if not r.full:
            assert all(layer.act_grad_norm is None and layer.grad_hist is None for layer in r.layers)
            assert r.train_acc is None and r.boundary is None
        else:
            assert all(
                layer.act_grad_norm is not None and len(layer.grad_hist) == len(HIST_EDGES) - 1
                for layer in r.layers
            )
    assert records[0].train_acc is not None and records[-1].train_acc is not None  # first and last: always
    assert records[-1].t >= records[0].t > 0


def test_display_every_can_change_mid_run_and_full_can_be_forced():
    tr = Trainer(SMALL, display_every=10)
    assert tr.step().full  # step 1
    tr.display_every = 3
    fulls = [tr.step().full for _ in range(6)]  # steps 2..7
    assert fulls == [False, True, False, False, True, False]
    forced = tr.step(full=True)  # step 8, off schedule: display metrics; evaluation only when due
    assert forced.full and forced.layers[0].mean_act_deriv is not None
    tr.eval_every = 1000
    assert tr.step(full=True).train_acc is None
    evaluated = tr.step(evaluate=True)  # a presenter's single step: everything
    assert evaluated.full and evaluated.train_acc is not None and evaluated.boundary is not None


def test_step_after_done_raises():
    tr = Trainer(SMALL.model_copy(update={"max_steps": 2}))
    list(tr)
    with pytest.raises(RuntimeError, match="finished"):
        tr.step()


def test_eval_every_one_evaluates_on_every_display_step_and_auto_spaces_them():
    every = [r for r in Trainer(SMALL, display_every=2, eval_every=1) if r.full]
    assert all(r.train_acc is not None and r.boundary is not None for r in every)
    tr = Trainer(SMALL, display_every=2, eval_every=8)
    evaluated = [r.step for r in tr if r.train_acc is not None]
    assert evaluated == [
        1,
        10,
        18,
        25,
    ]  # display steps at least 8 after the last evaluation, and the last step


def test_divergence_names_the_step_and_the_first_non_finite_layer():
    cfg = RunConfig(
        depth=4, width=16, activation="relu", init="normal", init_std=1.0, lr=10.0, optimizer="sgd"
    )
    tr = Trainer(cfg, display_every=1)
    records = list(tr)
    last = records[-1]
    assert tr.done and tr.diverged == last.diverged and last.diverged["step"] == last.step == tr.step_count
    assert len(records) < 20
    assert all(r.diverged is None for r in records[:-1])
    layer = last.diverged["layer"]
    names = [x.name for x in last.layers]
    bad = [
        x.name
        for x in last.layers
        if not (math.isfinite(x.weight_grad_norm) and math.isfinite(x.bias_grad_norm))
    ]
    if layer == "loss":
        assert not bad and not math.isfinite(last.loss)
    else:
        assert bad[0] == layer and names.index(layer) == min(names.index(b) for b in bad)
        assert last.diverged["what"].startswith(("weight_grad_norm", "bias_grad_norm"))
    with pytest.raises(RuntimeError, match="diverged"):
        tr.step()
    # the weights were not updated with the non-finite gradient
    assert all(torch.isfinite(p).all() for p in tr.model.parameters())


def test_the_same_config_and_seed_give_identical_records():
    cfg = SMALL.model_copy(update={"norm": "batchnorm", "activation": "tanh"})
    a = [comparable(r) for r in Trainer(cfg, display_every=4)]
    b = [comparable(r) for r in Trainer(cfg, display_every=4)]
    assert a == b
    c = [comparable(r) for r in Trainer(cfg.model_copy(update={"seed": 8}), display_every=4)]
    assert c != a  # the seed matters: the comparison can fail


def test_two_trainers_in_two_threads_match_the_sequential_records():
    cfgs = [SMALL.model_copy(update={"activation": a, "init": "kaiming_normal"}) for a in ("relu", "sigmoid")]
    sequential = [[comparable(r) for r in Trainer(c, display_every=3)] for c in cfgs]
    results: list = [None, None]
    barrier = threading.Barrier(2)

    def work(i: int) -> None:
        tr = Trainer(cfgs[i], display_every=3)
        barrier.wait(timeout=10)  # both build, then both train, at the same time
        results[i] = [comparable(r) for r in tr]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == sequential


def test_training_never_touches_the_global_rngs():
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    for _ in Trainer(SMALL.model_copy(update={"init": "orthogonal"}), display_every=2):
        pass
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])


def test_evaluate_full_leaves_the_run_unchanged():
    cfg = SMALL.model_copy(update={"norm": "batchnorm"})
    plain = [comparable(r) for r in Trainer(cfg)]
    tr = Trainer(cfg)
    at_init = tr.evaluate_full()
    assert at_init.step == 0 and at_init.full and at_init.train_acc is not None
    assert all(layer.update_ratio is None and layer.act_grad_norm is not None for layer in at_init.layers)
    probed = []
    for r in tr:
        probed.append(comparable(r))
        if r.step == 5:
            assert tr.evaluate_full().step == 5
    assert probed == plain


def test_grad_clip_bounds_the_update_but_not_the_reported_gradient():
    cfg = SMALL.model_copy(
        update={"optimizer": "sgd", "lr": 1.0, "grad_clip": 1e-3, "init": "normal", "init_std": 1.0}
    )
    tr = Trainer(cfg)
    before = [p.detach().clone() for p in tr.model.parameters()]
    rec = tr.step()
    moved = math.sqrt(
        sum((p.detach() - b).pow(2).sum().item() for p, b in zip(tr.model.parameters(), before, strict=True))
    )
    raw = math.sqrt(sum(x.weight_grad_norm**2 + x.bias_grad_norm**2 for x in rec.layers))
    assert raw > 10 * 1e-3  # the clip was active
    assert moved == pytest.approx(1e-3, rel=1e-3)  # lr * max_norm


def test_digits_has_ten_classes_and_no_boundary():
    cfg = RunConfig(dataset="digits", depth=2, width=16, max_steps=3)
    tr = Trainer(cfg)
    assert tr.data.x_train.shape[1] == 64 and tr.model.layers["output"].out_features == 10
    records = list(tr)
    assert records[0].boundary is None and records[0].test_acc is not None


def test_the_display_rate_does_not_change_the_training():
    cfg = SMALL.model_copy(update={"norm": "batchnorm", "optimizer": "adam", "lr": 0.01})
    dense = [
        (r.loss, [x.weight_grad_norm for x in r.layers]) for r in Trainer(cfg, display_every=1, eval_every=1)
    ]
    sparse = [(r.loss, [x.weight_grad_norm for x in r.layers]) for r in Trainer(cfg, display_every=1000)]
    assert dense == sparse  # bit for bit: instrumenting a step never perturbs it


WARM_UP_PROBE = """
import json, sys
from app.ml.trainer import warm_up
before = "torch._dynamo" in sys.modules
trainer = warm_up()
print(json.dumps({"before": before, "after": "torch._dynamo" in sys.modules, "steps": trainer.step_count,
                  "done": trainer.done, "params": sum(p.numel() for p in trainer.model.parameters())}))
"""


def test_warm_up_takes_one_step_of_a_tiny_network():
    # In a fresh process: what warm_up is for is the import a first run would otherwise pay there.
    out = subprocess.run(
        [sys.executable, "-c", WARM_UP_PROBE],
        cwd=Path(__file__).resolve().parent.parent,  # the repository: `app` is this tree's
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["steps"] == 1 and got["done"]  # one step: its max_steps
    assert got["params"] < 100  # tiny: 2-D input, one hidden layer of 2
    assert not got["before"] and got["after"]  # the optimizer's lazy torch._dynamo import, paid here


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # every architecture with every dataset it can read
    arch_data=st.sampled_from(
        [
            (a, d)
            for a, spec in ARCHITECTURES.items()
            for d, ds in DATASETS.items()
            if ds.kind in spec.data_kinds
        ]
    ),
    norm_position=st.sampled_from(["post", "pre"]),
    depth=st.integers(1, 5),
    width=st.integers(1, 12),
    activation=st.sampled_from(list(ACTIVATIONS)),
    init=st.sampled_from(list(INITS)),
    norm=st.sampled_from(list(NORMS)),
    residual=st.booleans(),
    optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
    lr=st.floats(1e-4, 10.0),
    batch_size=st.integers(2, 300),
    grad_clip=st.one_of(st.none(), st.floats(0.0, 10.0)),
    weight_decay=st.floats(0.0, 0.1),
)
def test_any_valid_config_trains_or_diverges_cleanly(arch_data, **fields):
    architecture, dataset = arch_data
    cfg = RunConfig(
        architecture=architecture, dataset=dataset, n_samples=60, max_steps=3, seq_len=10, heads=1, **fields
    )
    tr = Trainer(cfg, display_every=1, eval_every=1)
    records = list(tr)
    assert tr.done and [r.step for r in records] == list(range(1, len(records) + 1))
    assert tr.diverged is not None or len(records) == 3
    assert records[-1].diverged == tr.diverged and all(r.diverged is None for r in records[:-1])
    for r in records:
        assert [x.name for x in r.layers] == tr.layer_names
        assert all(len(x.grad_hist) == len(HIST_EDGES) - 1 for x in r.layers)
