"""watch(model): stream a training loop's per-layer gradient norms to a GradCast dashboard, in the background."""

import atexit
import json
import logging
import os
import platform
import time
from types import TracebackType

import torch
from torch import nn

from app import __version__
from app.client.layers import Layer, NormReader, find_layers, may_be_sparse, unwrap
from app.client.sender import Sender
from app.client.transport import JsonTransport

log = logging.getLogger("gradcast.client")

DEFAULT_URL = "http://127.0.0.1:8000"


def _rank() -> int:
    """This process's rank: torch.distributed's when initialised, else torchrun's RANK, else 0."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0"))


def _world_size() -> int:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def describe(model: nn.Module, layers: list[Layer], params: list[nn.Parameter]) -> dict:
    """The free-form `config` the dashboard shows for an external run: what the model is, not how it trains."""
    return {
        "model": type(model).__name__,
        "parameters": sum(p.numel() for p in params),  # trainable ones
        "layer_types": [layer.kind for layer in layers],
        "world_size": _world_size(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "client": __version__,
    }


def json_safe(value: dict) -> dict:
    """The config as strict JSON data: unknown objects (devices, dtypes, paths) as text, NaN as null."""
    return json.loads(json.dumps(value, default=str), parse_constant=lambda _: None)


class WatchedRun:
    """Handle returned by watch(): call step() once per optimizer step, after backward() and before zero_grad()."""

    def __init__(
        self,
        model: nn.Module,
        url: str,
        name: str | None,
        *,
        token: str | None,
        config: dict | None,
        weight_norm_every: int,
        flush_interval: float,
        batch_max: int,
        queue_max: int,
        timeout: float,
        close_timeout: float,
    ) -> None:
        if weight_norm_every < 0:
            raise ValueError(f"weight_norm_every must be >= 0 (0: never), got {weight_norm_every}")
        inner = unwrap(model)
        trainable = any(p.requires_grad for p in inner.parameters())
        if (
            not trainable
        ):  # a frozen or parameter-free module: nothing to show, and no reason to break the loop
            log.warning("GradCast: %s has no trainable parameters: nothing to watch", type(inner).__name__)
        self.layers, params = find_layers(inner) if trainable else ([], [])
        self.layer_names = [layer.name for layer in self.layers]
        self.rank = _rank()
        # other ranks hold the same all-reduced gradients: one voice is enough
        self.active = self.rank == 0 and trainable
        self.steps = 0  # step() calls so far (on this rank)
        self.weight_norm_every = weight_norm_every  # steps between weight_norm samples: one more fused norm
        self.close_timeout = close_timeout  # seconds exit may wait for the last steps to reach the dashboard
        self._reader = NormReader(params, sparse=may_be_sparse(inner))
        self._closed = False
        self._warned_no_grad = False
        self._unread = 0  # steps whose gradients could not be read (counted in dropped)
        self._sender: Sender | None = None
        if self.active:
            registration = {
                "name": (name or type(inner).__name__)[:100],  # the dashboard's limit
                "layer_names": self.layer_names,
                "config": json_safe(describe(inner, self.layers, params) | (config or {})),
            }
            token = token if token is not None else os.environ.get("GRADCAST_PRESENTER_TOKEN") or None
            transport = JsonTransport(url, token, timeout)
            self._sender = Sender(
                transport,
                registration,
                self.layers,
                flush_interval=flush_interval,
                batch_max=batch_max,
                queue_max=queue_max,
            )
            self._sender.start()
            atexit.register(self.finish)  # without `with` or finish(): still flush and finish at exit

    # -- the one call in the training loop ------------------------------------------------------------

    def step(self, loss: float, *, step: int | None = None) -> None:
        """Record this step: the loss (a float: pass loss.item()) and every layer's gradient norms, read now."""
        if self._closed:
            raise RuntimeError("run.step() after the watch ended (outside its `with` block)")
        self.steps = step if step is not None else self.steps + 1
        if self._sender is None:
            return  # rank > 0, or nothing trainable to watch
        loss = float(loss)
        every = self.weight_norm_every
        with_weights = every > 0 and (self.steps % every == 0 or self.steps == 1)
        try:
            grad_norms, weight_norms, any_grad = self._reader.read(with_weights)
        except Exception as exc:  # a tensor the fused norm cannot take: never break the user's loop for it
            self._unread += 1
            if self._unread == 1:
                log.warning(
                    "GradCast: could not read the gradients (%s: %s); steps are dropped",
                    type(exc).__name__,
                    exc,
                )
            return
        if not any_grad and not self._warned_no_grad:
            self._warned_no_grad = True
            log.warning(
                "GradCast: run.step() found no gradients: call it after backward(), before zero_grad()"
            )
        self._sender.submit((self.steps, time.time(), loss, grad_norms, weight_norms))

    # -- counters -------------------------------------------------------------------------------------

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
        """Send what is queued and mark the run finished (or failed); waits at most close_timeout seconds."""
        if self._closed:
            return
        self._closed = True
        if self._sender is None:
            return
        body: dict = {"status": "finished"}
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
    token: str | None = None,
    config: dict | None = None,
    weight_norm_every: int = 10,
    flush_interval: float = 0.1,
    batch_max: int = 256,
    queue_max: int = 10_000,
    timeout: float = 2.0,
    close_timeout: float = 5.0,
) -> WatchedRun:
    """Watch `model`'s training live on the GradCast dashboard at `url` (default $GRADCAST_URL or 127.0.0.1:8000).

    Layers are the modules that own trainable parameters directly, in named_modules order. Per step() the
    client sends loss, weight_grad_norm and bias_grad_norm per layer (weight_norm every `weight_norm_every`
    steps), batched every `flush_interval` s or `batch_max` steps from a daemon thread. A slow, down or
    restarted dashboard never blocks training: steps beyond `queue_max` queued are dropped and counted.
    Under torch.distributed only rank 0 sends. `token` (or $GRADCAST_PRESENTER_TOKEN) is the presenter token.
    """
    return WatchedRun(
        model,
        url or os.environ.get("GRADCAST_URL") or DEFAULT_URL,
        name,
        token=token,
        config=config,
        weight_norm_every=weight_norm_every,
        flush_interval=flush_interval,
        batch_max=batch_max,
        queue_max=queue_max,
        timeout=timeout,
        close_timeout=close_timeout,
    )
