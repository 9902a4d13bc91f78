"""The training loop: one optimizer step per call, one StepRecord out. Thread-safe per instance, no global RNG."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

from app.ml.arch.build import build_network
from app.ml.arch.common import time_profile
from app.ml.arch.specs import macs_per_example
from app.ml.config import RunConfig
from app.ml.datasets import DATASETS
from app.ml.evaluate import Evaluator, eval_rows, suggested_eval_every
from app.ml.instrument import HIST_EDGES, Probe
from app.ml.model import Capture
from app.ml.optim import OPTIMIZERS, bare_step
from app.ml.records import LayerRecord, StepRecord
from app.ml.tasks import TASKS

BATCH_SEED_OFFSET = 0x5EED  # batch order has its own generator: changing the init keeps the same batches


class Trainer:
    """Trains one RunConfig. step() -> StepRecord; display metrics on the first, every k-th and the last step.

    Evaluation (train_acc, test_acc, test_loss, boundary) is a no-grad pass over up to ~2,300 rows, which for a
    big network costs more than ten training steps, so it has its own rate: on a display step at least
    `eval_every` steps after the last evaluation, and always on the first step, the last step,
    step(evaluate=True) and evaluate_full(). On other display steps those four fields are None.
    eval_every=None picks it from a cost model (about 2% of training time); 1 means every display step.
    """

    hist_edges: list[float] = HIST_EDGES

    def __init__(self, config: RunConfig, display_every: int = 10, eval_every: int | None = None):
        self.config = config
        self.display_every = display_every  # k: settable at any time
        self.data = DATASETS[config.dataset].load(config)
        self.model = build_network(config)
        self.model.train()
        self.layer_names: list[str] = self.model.layer_names  # input -> output
        self._params = list(self.model.parameters())
        self.optimizer = OPTIMIZERS[config.optimizer](self._params, config)
        self._optimizer_step = bare_step(self.optimizer)  # optimizer.step() minus torch's per-call wrappers
        self.probe = Probe(self.model, config)
        is_2d = DATASETS[config.dataset].is_2d
        task = TASKS[DATASETS[config.dataset].task]
        self.loss_fn = task.loss  # F.cross_entropy for classification, as before tasks existed
        self.evaluator = Evaluator(self.data, is_2d, task)
        self.eval_every: int = eval_every or suggested_eval_every(  # settable at any time
            len(self.layer_names), macs_per_example(config), config.batch_size, eval_rows(self.data, is_2d)
        )
        self._last_eval_step: int | None = None
        self.eval_seconds = 0.0  # wall time of the last evaluation (for a caller pacing them by the clock)
        self.step_count = 0
        self.done = False
        self.diverged: dict[str, Any] | None = None
        self._batch_gen = torch.Generator().manual_seed(config.seed + BATCH_SEED_OFFSET)
        self._n_train = len(self.data.y_train)
        self._batch_size = min(config.batch_size, self._n_train)
        self._order = torch.empty(0, dtype=torch.long)
        self._pos = 0

    def _next_batch(self) -> tuple[Tensor, Tensor]:
        """Epochs of a seeded permutation; a short tail is dropped so every batch has batch_size rows."""
        if self._pos + self._batch_size > len(self._order):
            self._order = torch.randperm(self._n_train, generator=self._batch_gen)
            self._pos = 0
        idx = self._order[self._pos : self._pos + self._batch_size]
        self._pos += self._batch_size
        return self.data.x_train[idx], self.data.y_train[idx]

    def is_display_step(self, step: int) -> bool:
        """The schedule: first step, every display_every-th, last."""
        k = max(1, int(self.display_every))
        return step == 1 or step % k == 0 or step == self.config.max_steps

    def step(self, full: bool | None = None, evaluate: bool | None = None) -> StepRecord:
        """Take one optimizer step; full=None follows the schedule, full=True forces the display metrics.

        evaluate=None evaluates on display steps when due (eval_every); evaluate=True forces the evaluation
        (and the display metrics), e.g. for a presenter's single step.
        """
        if self.done:
            state = "diverged" if self.diverged else "finished"
            raise RuntimeError(f"the run is {state} at step {self.step_count}: no more steps")
        n = self.step_count + 1
        if evaluate:
            full = True
        full = self.is_display_step(n) if full is None else full
        xb, yb = self._next_batch()
        loss, captures = self._forward_backward(xb, yb, full)
        w_norms, b_norms, loss_value = self.probe.grad_norms(loss)
        self.step_count = n
        diverged = self._check_divergence(n, loss_value, w_norms, b_norms)

        display: dict[str, Tensor] = {}
        before = None
        if captures is not None:
            display.update(self.probe.grad_display(captures))  # before clipping and the update
            before = None if diverged else self.probe.snapshot_weights()
        if not diverged:
            if self.config.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip, foreach=True)
            if n <= self.config.warmup_steps:  # linear warm-up: lr * n / warmup_steps, then lr from there on
                for group in self.optimizer.param_groups:
                    group["lr"] = self.config.lr * n / self.config.warmup_steps
            self._optimizer_step()
        if self.step_count >= self.config.max_steps:
            self.done = True

        record = StepRecord(step=n, loss=loss_value, layers=[], full=full, diverged=diverged)
        if full:
            display.update(self.probe.weight_display(before))
            do_eval = not diverged and (bool(evaluate) or self._eval_due(n))
            if do_eval:
                self._last_eval_step = n  # evaluate_full() does not move the schedule
            self._fill_display(record, self.probe.to_lists(display), w_norms, b_norms, do_eval)
        else:
            record.layers = [
                LayerRecord(name, w, b) for name, w, b in zip(self.layer_names, w_norms, b_norms, strict=True)
            ]
        record.t = time.time()
        return record

    def _forward_backward(self, xb: Tensor, yb: Tensor, full: bool) -> tuple[Tensor, list[Capture] | None]:
        """Loss and gradients of one batch; on display steps also dL/dh_k of every layer's output."""
        captures: list[Capture] | None = [] if full else None
        logits = self.model(xb, captures)
        loss = self.loss_fn(logits, yb)
        if captures is None:
            # What optimizer.zero_grad(set_to_none=True) does, without its per-call wrapper (a fixed cost
            # that a small network's step feels: README#benchmarks).
            for p in self._params:
                p.grad = None
            loss.backward()
            return loss, None
        # Display steps: one backward pass that also returns dL/dh_k (no hooks); same values as backward().
        params = self._params
        grads = torch.autograd.grad(loss, params + [c.h for c in captures])
        for p, g in zip(params, grads, strict=False):
            p.grad = g
        for c, g in zip(captures, grads[len(params) :], strict=True):
            c.h_grad = g
        return loss, captures

    def _eval_due(self, step: int) -> bool:
        last = self._last_eval_step
        return step == 1 or step >= self.config.max_steps or last is None or step - last >= self.eval_every

    def _check_divergence(
        self, step: int, loss: float, w: list[float], b: list[float]
    ) -> dict[str, Any] | None:
        """First non-finite gradient (input -> output) or loss ends the run."""
        if math.isfinite(loss + sum(w) + sum(b)):  # the fast path: norms are >= 0, nothing cancels
            return None
        for name, wn, bn in zip(self.layer_names, w, b, strict=True):
            for what, value in (("weight_grad_norm", wn), ("bias_grad_norm", bn)):
                if not math.isfinite(value):
                    return self._diverge(step, name, f"{what} is {value}")
        if not math.isfinite(loss):
            return self._diverge(step, "loss", f"loss is {loss}")
        return None

    def _diverge(self, step: int, layer: str, what: str) -> dict[str, Any]:
        self.diverged = {"step": step, "layer": layer, "what": what}
        self.done = True
        return self.diverged

    def _fill_display(
        self,
        record: StepRecord,
        d: dict[str, list[Any]],
        w_norms: list[float],
        b_norms: list[float],
        evaluate: bool,
    ) -> None:
        """Layer records with every display metric, then accuracies and the boundary."""
        n_hidden = len(self.layer_names) - 1
        for i, name in enumerate(self.layer_names):
            hidden = i < n_hidden
            ratio = None
            if "update_norm" in d and d["weight_norm"][i] > 0:
                ratio = d["update_norm"][i] / d["weight_norm"][i]
            record.layers.append(
                LayerRecord(
                    name=name,
                    weight_grad_norm=w_norms[i],
                    bias_grad_norm=b_norms[i],
                    act_grad_norm=d["act_grad_norm"][i],
                    mean_act_deriv=d["mean_act_deriv"][i] if hidden and "mean_act_deriv" in d else None,
                    weight_norm=d["weight_norm"][i],
                    update_ratio=ratio,
                    saturated_frac=d["saturated_frac"][i] if hidden and "saturated_frac" in d else None,
                    dead_frac=d["dead_frac"][i] if hidden and "dead_frac" in d else None,
                    grad_hist=d["grad_hist"][i],
                )
            )
        record.time = time_profile(self.model)  # recurrent models: dL/dh_t of this step's backward pass
        if evaluate:
            started = time.perf_counter()
            ev = self.evaluator(self.model)
            self.eval_seconds = time.perf_counter() - started
            record.train_acc, record.test_acc = ev["train_acc"], ev["test_acc"]
            record.test_loss, record.boundary = ev["test_loss"], ev["boundary"]

    def __iter__(self) -> Iterator[StepRecord]:
        """Steps until done (max_steps reached or diverged)."""
        while not self.done:
            yield self.step()

    def evaluate_full(self) -> StepRecord:
        """Display metrics at the current weights without training (step = step_count, 0 before any step).

        Uses the first batch_size training points, leaves weights, BatchNorm statistics and batch order as they
        were, so the run's later records are unchanged. update_ratio is None (no update was made).
        """
        buffers = [b.clone() for b in self.model.buffers()]
        n = self._batch_size
        loss, captures = self._forward_backward(self.data.x_train[:n], self.data.y_train[:n], True)
        w_norms, b_norms, loss_value = self.probe.grad_norms(loss)
        display = self.probe.grad_display(captures or [])
        display.update(self.probe.weight_display(None))
        record = StepRecord(step=self.step_count, loss=loss_value, layers=[], full=True)
        self._fill_display(record, self.probe.to_lists(display), w_norms, b_norms, evaluate=True)
        self.optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            for b, saved in zip(self.model.buffers(), buffers, strict=True):
                b.copy_(saved)
        record.t = time.time()
        return record


def warm_up() -> Trainer:
    """Build and step a tiny trainer once; returns it.

    The first optimizer of a process imports torch._dynamo (seconds of imports); a server can pay that at
    startup, in a thread, instead of on the first run a person creates.
    """
    trainer = Trainer(RunConfig(depth=1, width=2, n_samples=50, max_steps=1))
    trainer.step()
    return trainer
