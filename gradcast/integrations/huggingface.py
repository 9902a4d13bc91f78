"""The Hugging Face transformers Trainer: Trainer(..., callbacks=[GradCastCallback()]).

Gradients are read in on_pre_optimizer_step, which the Trainer calls AFTER gradient clipping (max_grad_norm,
1.0 by default): the norms are the clipped ones, the gradients the optimizer uses. For the raw ones, train with
max_grad_norm=0. The loss of a step is the mean of the model's own `loss` output over its micro-batches (the
Trainer hands callbacks no per-step loss); the metrics are the scalars of each on_log (learning_rate, grad_norm
before clipping, eval_*).

The Trainer tells callbacks nothing when training raises (it has no on_exception, unlike Lightning): a run whose
training began and never reached on_train_end is ended as failed with what raised, when Python knows it
(sys.last_value: the exception that ends the interpreter, or the last one a notebook showed), at the interpreter's
exit or at the next train() with the same callback, whichever comes first. KeyboardInterrupt ends it stopped.
"""

import atexit
import sys
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from gradcast.integrations import Watching, scalars

UNFINISHED = "the Trainer stopped before the end of training"  # the reason when what raised is not known


class GradCastCallback(Watching, TrainerCallback):
    """Watch the model the Trainer trains. Options as gradcast.watch (url, name, token, activations, ...)."""

    def __init__(self, url: str | None = None, name: str | None = None, **watch_options: Any) -> None:
        super().__init__(url, name, **watch_options)
        # the model's loss output of each micro-batch since the last step
        self._losses: list[torch.Tensor] = []
        self._hook: RemovableHandle | None = None
        self._model_loss = False  # the model returned a `loss` of its own at least once
        self._training = False  # between on_train_begin and on_train_end
        self._raised_before: object = None  # sys.last_value when training began: not this training's error

    def on_train_begin(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: nn.Module | None = None,
        **kwargs: Any,
    ) -> None:
        self._end_unfinished()  # a train() before this one raised, and its caller went on
        if model is None:
            return
        framework: dict[str, object] = {
            "framework": "transformers",
            "max_steps": state.max_steps,
            "gradient_accumulation_steps": args.gradient_accumulation_steps,
            "max_grad_norm": args.max_grad_norm,
            "learning_rate": args.learning_rate,
        }
        run = self.start(model, framework)
        run.track_updates()  # before_update / after_update come from the two optimizer-step events
        self._hook = model.register_forward_hook(self._keep_loss)
        self._training = True
        self._raised_before = getattr(sys, "last_value", None)
        atexit.register(self._end_unfinished)  # after watch()'s own: runs before it

    def _keep_loss(self, module: nn.Module, args: tuple[object, ...], output: object) -> None:
        loss = output.get("loss") if isinstance(output, dict) else getattr(output, "loss", None)
        if module.training and torch.is_grad_enabled() and isinstance(loss, torch.Tensor):
            self._losses.append(loss.detach())
            self._model_loss = True

    def on_pre_optimizer_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self.run is None:
            return
        self.run.capture()
        self.run.before_update()
        if self._losses:
            self.run.log(loss=torch.stack(self._losses).float().mean())  # no .item(): read in the sender
            self._losses = []

    def on_optimizer_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self.run is not None:
            self.run.after_update()

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if self.run is None or not logs:
            return
        values = scalars(logs, skip=("epoch", "total_flos"))
        loss = values.pop("loss", None)
        # The logged loss (a mean over logging_steps) only stands in when the model returns none of its own.
        self.run.log(loss=None if self._model_loss else loss, **values)

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._end(None)

    def _end_unfinished(self) -> None:
        """End as failed (stopped on KeyboardInterrupt) a training that never reached on_train_end."""
        if not self._training:
            return
        raised = getattr(sys, "last_value", None)
        known = isinstance(raised, BaseException) and raised is not self._raised_before
        self._end(raised if known else RuntimeError(UNFINISHED))

    def _end(self, error: BaseException | None) -> None:
        self._training = False
        atexit.unregister(self._end_unfinished)
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        self._losses = []
        if self.run is not None:
            self.run.finish(error)
