"""Numbers computed on the device now and read on the host later, so the training thread never waits on the device.

On the CPU a tensor is ready when the op returns: it is kept as is. On an accelerator (CUDA, MPS, XPU...) the values
are copied to pinned host memory with non_blocking=True and an event is recorded behind the copy; the sender thread
waits on that event (not the training thread) when it builds the record.
"""

from typing import Any, SupportsFloat, cast

import torch


class Deferred:
    """A tensor of values on its way to the host: .tolist() waits (in the calling thread) until they are there."""

    __slots__ = ("_host", "_event")

    def __init__(self, values: torch.Tensor) -> None:
        if values.requires_grad:
            values = values.detach()
        if values.device.type == "cpu":
            self._host, self._event = values, None
            return
        pinned = torch.cuda.is_available()  # pinned host memory is what makes the copy asynchronous
        host = torch.empty(values.shape, dtype=values.dtype, device="cpu", pin_memory=pinned)
        host.copy_(values, non_blocking=True)
        event = torch.Event(values.device)
        event.record()  # on the current stream, behind the copy
        self._host, self._event = host, event

    def tolist(self) -> list[Any]:
        """The values as Python numbers; the one wait on the device, in the thread that asks."""
        if self._event is not None:
            self._event.synchronize()
            self._event = None
        return self._host.tolist()

    def item(self) -> float:
        """A 0-d or 1-element value as a float."""
        if self._event is not None:
            self._event.synchronize()
            self._event = None
        return float(self._host.reshape(-1)[0])


def scalar(value: object) -> "float | Deferred":
    """A loss or metric as the user passed it: a float, or a tensor read later (no .item() sync in the loop)."""
    if type(value) is float:  # loss.item(): the common case, first
        return value
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"a scalar tensor was expected, got shape {tuple(value.shape)}")
        return Deferred(value.detach().reshape(()).float())
    return float(cast(SupportsFloat, value))  # numbers, numpy scalars (TypeError for anything else)


def host_float(value: "float | Deferred | None") -> float | None:
    """A scalar() value read on the host."""
    return value.item() if isinstance(value, Deferred) else value
