"""PyTorch Lightning: Trainer(callbacks=[GradCastCallback()]) streams every optimizer step to the dashboard.

Gradients are read in on_before_optimizer_step: after backward (and after the AMP scaler's unscale_, so the norms
are the true ones), before gradient clipping (gradient_clip_val) and before the update. The loss is the training
step's; the metrics are the scalars in trainer.callback_metrics (what the module logs with self.log).
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from torch.optim import Optimizer

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the older package name: the same class, which the checker sees as another
    from pytorch_lightning.callbacks import Callback  # type: ignore[assignment]

from gradcast.integrations import Watching, scalars

if TYPE_CHECKING:
    from lightning.pytorch import LightningModule, Trainer
    from lightning.pytorch.utilities.types import STEP_OUTPUT


class GradCastCallback(Watching, Callback):
    """Watch the LightningModule being fitted. Options as gradcast.watch (url, name, token, activations, ...)."""

    def __init__(self, url: str | None = None, name: str | None = None, **watch_options: Any) -> None:
        super().__init__(url, name, **watch_options)
        self._stepped = False  # an optimizer step happened in this batch (not so in accumulation batches)

    def on_fit_start(self, trainer: "Trainer", pl_module: "LightningModule") -> None:
        framework: dict[str, object] = {
            "framework": "lightning",
            "max_steps": trainer.max_steps,
            "accumulate_grad_batches": trainer.accumulate_grad_batches,
            "gradient_clip_val": trainer.gradient_clip_val,
            "precision": str(trainer.precision),
        }
        self.start(pl_module, framework)

    def on_train_start(self, trainer: "Trainer", pl_module: "LightningModule") -> None:
        if self.run is not None:
            for optimizer in trainer.optimizers:  # update ratios after each step (the reading is below)
                self.run.attach_optimizer(optimizer, read=False)

    def on_before_optimizer_step(
        self, trainer: "Trainer", pl_module: "LightningModule", optimizer: Optimizer
    ) -> None:
        if self.run is not None:
            # Lightning runs the closure (forward, backward, this hook) inside optimizer.step(): the optimizer's
            # pre-hook has already fired, so the weights are kept here, before the update.
            self.run.capture()
            self.run.before_update()
            self._stepped = True

    def on_train_batch_end(
        self,
        trainer: "Trainer",
        pl_module: "LightningModule",
        outputs: "STEP_OUTPUT",
        batch: Any,
        batch_idx: int,
    ) -> None:
        if self.run is None or not self._stepped:
            return
        self._stepped = False
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs
        if loss is not None and pl_module.automatic_optimization and trainer.accumulate_grad_batches > 1:
            loss = (
                loss * trainer.accumulate_grad_batches
            )  # Lightning hands on the loss divided for accumulation
        self.run.log(loss=loss, **scalars(trainer.callback_metrics, skip=("loss",)))

    def on_fit_end(self, trainer: "Trainer", pl_module: "LightningModule") -> None:
        if self.run is not None:
            self.run.finish()

    def on_exception(
        self, trainer: "Trainer", pl_module: "LightningModule", exception: BaseException
    ) -> None:
        if self.run is not None:
            self.run.finish(exception)  # KeyboardInterrupt: stopped; anything else: failed, with the reason
