"""The Hugging Face transformers Trainer: Trainer(..., callbacks=[GradCastCallback()]).

Gradients are read in on_pre_optimizer_step, which the Trainer calls AFTER gradient clipping (max_grad_norm,
1.0 by default): the norms are the clipped ones, the gradients the optimizer uses. For the raw ones, train with
max_grad_norm=0. The loss of a step is the mean of the model's own `loss` output over its micro-batches (the
Trainer hands callbacks no per-step loss); the metrics are the scalars of each on_log (learning_rate, grad_norm
before clipping, eval_*).
"""

from typing import Any

import torch
from transformers import TrainerCallback

from gradcast.integrations import scalars
from gradcast.watch import WatchedRun, watch


class GradCastCallback(TrainerCallback):
    """Watch the model the Trainer trains. Options as gradcast.watch (url, name, token, activations, ...)."""

    def __init__(self, url: str | None = None, name: str | None = None, **watch_options: Any) -> None:
        self.url = url
        self.name = name
        self.options = watch_options
        self.run: WatchedRun | None = None
        self._losses: list[
            torch.Tensor
        ] = []  # the model's loss output of each micro-batch since the last step
        self._hook: Any = None
        self._model_loss = False  # the model returned a `loss` of its own at least once

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        config = {
            "framework": "transformers",
            "max_steps": state.max_steps,
            "gradient_accumulation_steps": args.gradient_accumulation_steps,
            "max_grad_norm": args.max_grad_norm,
            "learning_rate": args.learning_rate,
        } | self.options.pop("config", {})
        name = self.name or type(model).__name__
        self.run = watch(model, self.url, name, config=config, **self.options)
        self.run.track_updates()  # before_update / after_update come from the two optimizer-step events
        self._hook = model.register_forward_hook(self._keep_loss)

    def _keep_loss(self, module: torch.nn.Module, args: tuple, output: Any) -> None:
        loss = output.get("loss") if isinstance(output, dict) else getattr(output, "loss", None)
        if module.training and torch.is_grad_enabled() and isinstance(loss, torch.Tensor):
            self._losses.append(loss.detach())
            self._model_loss = True

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None:
            return
        self.run.capture()
        self.run.before_update()
        if self._losses:
            self.run.log(loss=torch.stack(self._losses).float().mean())  # no .item(): read in the sender
            self._losses = []

    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is not None:
            self.run.after_update()

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if self.run is None or not logs:
            return
        values = scalars(logs, skip=("epoch", "total_flos"))
        loss = values.pop("loss", None)
        # The logged loss (a mean over logging_steps) only stands in when the model returns none of its own.
        self.run.log(loss=None if self._model_loss else loss, **values)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        if self.run is not None:
            self.run.finish()
