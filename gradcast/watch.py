"""watch(model): stream a training loop's per-layer gradients to a GradCast dashboard, in the background.

Two ways to say when a step happens: call run.step(loss=...) after backward(), or pass optimizer=opt and the
gradients are read in the optimizer's step pre-hook (run.log(loss=...) gives the loss). The training thread only
launches fused norms on the device and queues them; a daemon thread copies them out and sends.
"""

import atexit
import logging
import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import torch
from torch import nn

from gradcast.deferred import Deferred, scalar
from gradcast.layers import find_layers, unwrap
from gradcast.notebook import NotebookView
from gradcast.protocol import MAX_USER_METRICS, metric_name
from gradcast.reading import ReadingOptions, StepReader
from gradcast.registration import describe, rank
from gradcast.sampling import AUTO, GradNormEvery
from gradcast.sender import Sender, SendingOptions
from gradcast.transport import JsonTransport
from gradcast.wire import Captured

log = logging.getLogger("gradcast.client")

DEFAULT_URL = "http://127.0.0.1:8000"


class WatchedRun(NotebookView):
    """Handle returned by watch(). Per optimizer step: step() after backward(), or log() with optimizer=..."""

    def __init__(
        self,
        model: nn.Module,
        url: str,
        name: str | None,
        *,
        optimizer: torch.optim.Optimizer | None,
        token: str | None,
        config: dict[str, Any] | None,
        reading: ReadingOptions,
        sending: SendingOptions,
        close_timeout: float,
    ) -> None:
        inner = unwrap(model)
        trainable = any(p.requires_grad for p in inner.parameters())
        if (
            not trainable
        ):  # a frozen or parameter-free module: nothing to show, and no reason to break the loop
            log.warning("GradCast: %s has no trainable parameters: nothing to watch", type(inner).__name__)
        self.layers, params, _ = find_layers(inner) if trainable else ([], [], [])
        self.layer_names = [layer.name for layer in self.layers]
        self.url = url.rstrip("/")
        self.rank = rank()
        # other ranks hold the same all-reduced gradients: one voice is enough; nothing trainable: nothing to say
        self.active = self.rank == 0 and trainable
        self.steps = 0  # optimizer steps recorded so far (on this rank)
        self.close_timeout = close_timeout  # seconds exit may wait for the last steps to reach the dashboard
        self._reader = StepReader(inner, self.layers, params, reading)
        self._told = 0  # the norm schedule's version the dashboard was last told of
        self._closed = False
        self._unread = 0  # steps whose gradients could not be read (counted in dropped)
        self._said: set[str] = set()  # kinds of unread steps already reported
        self._pending: Captured | None = None  # the newest step: sent at the next read (or the end)
        self._next: dict[str, float | Deferred] = {}  # values logged for a step not read yet
        self._last_loss: float | Deferred | None = None
        self._hooks: list[Any] = []  # optimizer hook handles (removed at finish)
        self._tracks_updates = False
        self._sender: Sender | None = None
        if not self.active:
            if optimizer is not None:
                self.attach_optimizer(optimizer, read=True)  # counts the steps; reads nothing on this rank
            return
        registration = describe(inner, self.layers, params, name, config, self._reader.measured(False))
        token = token if token is not None else os.environ.get("GRADCAST_PRESENTER_TOKEN") or None
        self._sender = Sender(JsonTransport(url, token, sending.timeout), registration, self.layers, sending)
        self._sender.tell_sampling(self._reader.schedule.describe())
        self._sender.start()
        if optimizer is not None:
            self.attach_optimizer(optimizer, read=True)
        atexit.register(self.finish)  # without `with` or finish(): still flush and finish at exit

    # -- the calls in the training loop ---------------------------------------------------------------

    def step(self, loss: object = None, *, step: int | None = None, **metrics: object) -> None:
        """Record this step: its loss (a float or a tensor: no .item() needed) and any named scalar metrics
        (accuracy=..., lr=...), and every layer's gradient norms when grad_norm_every reads them at this step.
        After backward(), before zero_grad()."""
        if self._closed:
            raise RuntimeError("run.step() after the watch ended (outside its `with` block)")
        if self._hooks:
            raise RuntimeError("this run reads the gradients in the optimizer's step: call run.log(loss=...)")
        sender = self._sender
        if (
            sender is not None
            and loss is not None
            and not metrics
            and self._pending is None
            and not self._next
        ):
            # The common call. A step off the norm schedule (most steps of a fast loop) goes straight to the
            # queue with its loss: this path is what such a loop pays per step.
            number = step if step is not None else self.steps + 1
            if self._reader.off_schedule(number):
                self.steps = number
                self._last_loss = value = scalar(loss)
                sender.submit(Captured(number, time.time(), None, loss=value))
                return
            self._capture(number, off=False)
        else:
            self.capture(step)
        cap = self._pending
        if cap is not None and not metrics and loss is not None and cap.loss is None:
            cap.loss = self._last_loss = scalar(loss)  # the common call, without log()'s general case
        else:
            self.log(loss, **metrics)
        self._send_pending()  # complete: nothing more will be known about this step

    def log(self, loss: object = None, **metrics: object) -> None:
        """Give the loss and named scalars of the current step (floats or scalar tensors).

        A value goes to the step read last if that step has none of it yet, else to the next step: call it once
        per optimizer step, before or after optimizer.step()."""
        if self._closed or self._sender is None:
            return
        values: dict[str, float | Deferred] = {}
        if loss is not None:
            values["loss"] = scalar(loss)
        for key, value in metrics.items():
            if value is None:
                continue
            values[metric_name(key)] = scalar(value)
        pending = self._pending
        for key, value in values.items():
            if pending is not None and not self._has(pending, key):
                self._put(pending, key, value)
            else:
                self._next[key] = value

    @staticmethod
    def _has(cap: Captured, key: str) -> bool:
        return cap.loss is not None if key == "loss" else key in (cap.metrics or ())

    def _put(self, cap: Captured, key: str, value: float | Deferred) -> None:
        if key == "loss":
            cap.loss = value
            self._last_loss = value
            return
        if cap.metrics is None:
            cap.metrics = {}
        if key in cap.metrics or len(cap.metrics) < MAX_USER_METRICS:
            cap.metrics[key] = value

    # -- what the optimizer hooks and the integrations call -------------------------------------------

    def attach_optimizer(self, optimizer: torch.optim.Optimizer, *, read: bool) -> None:
        """Hook `optimizer`. read=True: its step pre-hook reads the gradients (capture) and keeps the weights of a
        display step (before_update). Either way its post-hook measures that step's update ratio (after_update).
        read=False is for callers that capture() and before_update() themselves. Removed at finish()."""
        if read:
            self._hooks.append(optimizer.register_step_pre_hook(_ignoring_args(self._pre_step)))
        if self._reader.ratio is not None:
            self._hooks.append(optimizer.register_step_post_hook(_ignoring_args(self.after_update)))
        self.track_updates()

    def _pre_step(self) -> None:
        self.capture()
        self.before_update()

    def track_updates(self) -> None:
        """Say that before_update() and after_update() will be called (by hooks or by an integration)."""
        self._tracks_updates = self._reader.ratio is not None
        if self._sender is not None:  # registered ~flush_interval after start: normally before this lands
            self._sender.registration["config"]["measured"] = self._reader.measured(self._tracks_updates)

    def capture(self, step: int | None = None) -> None:
        """Read this optimizer step's gradients now (the fused norms are launched, not waited for); the step read
        before is queued for sending."""
        if self._closed:
            return
        number = step if step is not None else self.steps + 1
        if self._sender is None:
            self.steps = number
            return  # rank > 0
        self._capture(number, self._reader.off_schedule(number))

    def _capture(self, number: int, off: bool) -> None:
        """capture() once the norm schedule has said whether step `number` reads (off: it does not)."""
        self.steps = number
        self._send_pending()
        try:
            cap = Captured(number, time.time(), None) if off else self._reader.read_norms(number)
        except Exception as exc:  # a tensor the fused norm cannot take: never break the user's loop for it
            self._drop_unread(
                "read", f"could not read the gradients ({type(exc).__name__}: {exc}); steps are dropped"
            )
            return
        if cap is None:
            self._drop_unread(
                "none", f"no gradients at step {number}: read them after backward(), before zero_grad()"
            )
            return
        if self._next:
            for key, value in self._next.items():
                self._put(cap, key, value)
            self._next = {}
        self._pending = cap
        schedule = self._reader.schedule
        if schedule.version != self._told and self._sender is not None:  # auto picked (or changed) k: say it
            self._told = schedule.version
            self._sender.tell_sampling(schedule.describe())

    def _drop_unread(self, kind: str, message: str) -> None:
        """A step whose gradients could not be read: counted in dropped; each kind is said once."""
        self._unread += 1
        if kind not in self._said:
            self._said.add(kind)
            log.warning("GradCast: %s", message)

    def before_update(self) -> None:
        """Just before the optimizer updates the weights: keep a copy of them on a display step."""
        self._reader.before_update(self._pending)

    def after_update(self) -> None:
        """Just after the update: ||dW|| / ||W|| per layer for the step read last."""
        self._reader.after_update(self._pending)

    def _send_pending(self) -> None:
        cap, self._pending = self._pending, None
        if cap is None or self._sender is None:
            return
        if cap.loss is None:  # no loss logged for this step: the last one known stands (NaN before any)
            cap.loss = self._last_loss
        self._sender.submit(cap)

    # -- counters -------------------------------------------------------------------------------------

    @property
    def grad_norm_every(self) -> int:
        """Steps between gradient-norm reads now (1: every step); with "auto", what the measured cost chose."""
        return self._reader.schedule.every

    @property
    def id(self) -> str | None:
        """The dashboard's id for this run (None until registered, or on ranks > 0)."""
        return self._sender.run_id if self._sender else None

    @property
    def dropped(self) -> int:
        """Steps the dashboard never received (it was down, slow or refused them)."""
        return self._sender.dropped + self._unread if self._sender else 0

    @property
    def sent(self) -> int:
        """Steps the dashboard accepted."""
        return self._sender.sent if self._sender else 0

    @property
    def registrations(self) -> int:
        """How many times the run was registered: more than 1 after the dashboard restarted mid-run."""
        return self._sender.registrations if self._sender else 0

    # -- ending ---------------------------------------------------------------------------------------

    def finish(self, error: BaseException | None = None) -> None:
        """Send what is queued and mark the run finished (stopped on KeyboardInterrupt, failed on another error);
        waits at most close_timeout seconds. Hooks are removed: the model and optimizer are as before."""
        if self._closed:
            return
        self._closed = True
        for handle in self._hooks:
            handle.remove()
        self._reader.remove()
        if self._sender is None:
            return
        self._send_pending()
        body: dict[str, str] = {"status": "finished"}
        if isinstance(error, KeyboardInterrupt):
            body = {"status": "stopped", "reason": "interrupted (KeyboardInterrupt)"}
        elif error is not None:
            body = {"status": "failed", "reason": f"{type(error).__name__}: {error}"[:500]}
        atexit.unregister(self.finish)
        self._sender.close(body, self.close_timeout)

    def __enter__(self) -> "WatchedRun":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.finish(exc)


def watch(
    model: nn.Module,
    url: str | None = None,
    name: str | None = None,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    token: str | None = None,
    config: dict[str, Any] | None = None,
    grad_norm_every: GradNormEvery = AUTO,
    weight_norm_every: int = 10,
    display_every: int = 10,
    display_interval: float = 0.1,
    histograms: bool = True,
    update_ratio: bool = True,
    activations: bool = False,
    flush_interval: float = 0.1,
    batch_max: int = 256,
    queue_max: int = 10_000,
    timeout: float = 2.0,
    close_timeout: float = 5.0,
) -> WatchedRun:
    """Watch `model`'s training live on the GradCast dashboard at `url` (default $GRADCAST_URL or 127.0.0.1:8000).

    Layers are the modules that own trainable parameters directly, in named_modules order. Every step: its loss
    (and named metrics); weight_grad_norm and bias_grad_norm per layer every `grad_norm_every` steps ("auto", the
    default: every step unless reading them would cost more than 1 % of a step, then every k-th with k measured;
    1: every step, exactly) and on every display step; weight_norm every `weight_norm_every` steps; update ratio and a
    sampled gradient histogram every `display_every` steps (and at most every `display_interval` s); with activations=True, mean a'(z) and saturated or
    dead units of recognised activation modules (ReLU family, sigmoid, tanh, GELU, SiLU, ELU) on those steps too.
    With `optimizer`, the gradients are read in its step pre-hook (no run.step(); run.log(loss=...) instead).
    A slow, down or restarted dashboard never blocks training: steps beyond `queue_max` queued are dropped and
    counted. Under torch.distributed only rank 0 sends. `token` (or $GRADCAST_PRESENTER_TOKEN): presenter token.
    """
    reading = ReadingOptions(
        grad_norm_every,
        weight_norm_every,
        display_every,
        display_interval,
        histograms,
        update_ratio,
        activations,
    )
    return WatchedRun(
        model,
        url or os.environ.get("GRADCAST_URL") or DEFAULT_URL,
        name,
        optimizer=optimizer,
        token=token,
        config=config,
        reading=reading,
        sending=SendingOptions(flush_interval, batch_max, queue_max, timeout),
        close_timeout=close_timeout,
    )


def _ignoring_args(call: Callable[[], None]) -> Callable[..., None]:
    """An optimizer hook (it is passed the optimizer, args and kwargs) that calls `call()`."""

    def hook(*_: object) -> None:
        call()

    return hook
