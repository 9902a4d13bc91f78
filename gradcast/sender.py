"""The background sender: a bounded queue drained in batches by one daemon thread. Training never waits on it."""

import collections
import contextlib
import http.client
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from gradcast.layers import Layer
from gradcast.transport import JsonTransport, TransportError
from gradcast.wire import Captured, step_record

log = logging.getLogger("gradcast.client")

BACKOFF_FIRST = 0.5  # seconds before retrying an unreachable dashboard; doubles up to BACKOFF_MAX
BACKOFF_MAX = 5.0
# What a kept-alive connection the server closed while it was idle raises on its next request.
_STALE = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)
RECORDS_PER_SLICE = 32  # records built between two offers of the GIL to the training thread
LAYER_ENTRIES_PER_POST = 32_768  # ~70 bytes of JSON each: bodies well under the server's 4 MB limit


@dataclass(frozen=True, slots=True)
class SendingOptions:
    """How watch() talks to the dashboard (docs/client.md, "Options")."""

    flush_interval: float = 0.1  # seconds a batch gathers before it is POSTed
    batch_max: int = 256  # steps per POST at most
    queue_max: int = 10_000  # steps queued at most; beyond, the oldest are dropped and counted
    timeout: float = 2.0  # seconds per request: a slow dashboard costs the sender thread, never training


class Sender:
    """Registers the run, then POSTs queued step records every `flush_interval` seconds or `batch_max` records."""

    def __init__(
        self,
        transport: JsonTransport,
        registration: dict[
            str, Any
        ],  # {"name", "layer_names", "config"}: the body of POST /api/external/runs
        layers: list[Layer],
        options: SendingOptions,
    ) -> None:
        self.transport = transport
        self.registration = registration
        self.layers = layers
        self.flush_interval = options.flush_interval
        # Steps per POST: batch_max, fewer for very deep models so one body stays ~2 MB (~32k layer entries).
        self.batch_max = max(1, min(options.batch_max, LAYER_ENTRIES_PER_POST // max(1, len(layers))))
        queue_max = options.queue_max
        self.run_id: str | None = None
        self.registrations = (
            0  # > 1: the dashboard restarted (or lost the run) and the run was registered again
        )
        self.sent = 0  # records the dashboard accepted
        self._queue: collections.deque[Captured] = collections.deque(maxlen=queue_max)
        self._lock = threading.Lock()  # makes "full -> oldest evicted -> counted" exact
        # Evicted from the full queue: submitted - removed - queued (no lock on the training thread's side).
        self._submitted = 0  # steps queued (training thread only)
        self._removed = 0  # steps taken off the queue by this side (under _lock)
        self._failed = 0  # in batches the dashboard never accepted (sender side)
        self._said: set[str] = set()
        self._retry_at = 0.0  # monotonic time before which the dashboard is not tried again
        self._backoff = BACKOFF_FIRST
        self._refused = False  # the run takes no more steps (409: ended, 410: deleted): stop trying
        self._closing = threading.Event()
        self._abandoned = False  # close() gave up waiting; the thread must not touch the counters any more
        self._finish_body: dict[str, str] | None = None
        self._sampling: dict[str, object] | None = None  # the norm schedule (gradcast.sampling) as last told
        self._sampling_sent: dict[str, object] | None = None  # ... and as the dashboard last accepted it
        self._thread = threading.Thread(target=self._run, name="gradcast-sender", daemon=True)

    # -- training-thread side -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, captured: Captured) -> None:
        """Queue one step; when full, the oldest step is evicted (and counted: see dropped). Never blocks: the
        deque's append is atomic, and it is the only writer of _submitted."""
        self._submitted += 1
        self._queue.append(captured)

    def tell_sampling(self, sampling: dict[str, object]) -> None:
        """The norm schedule changed (docs/protocol.md, "grad_norm_every"): registered with the run, and sent
        with the next batch of steps."""
        self.registration["config"]["grad_norm_every"] = sampling
        self._sampling = sampling  # one reference swap: the sender thread sees the old or the new dict

    @property
    def dropped(self) -> int:
        """Steps evicted from the full queue or in batches the dashboard never accepted (exact when asked from the
        training thread, which is the one that submits)."""
        with self._lock:
            return self._submitted - self._removed - len(self._queue) + self._failed

    def _fail_queued(self, extra: int = 0) -> None:
        """Everything still queued (and `extra` steps in flight) will never be sent: counted as failed. Under _lock."""
        n = len(self._queue)
        self._queue.clear()
        self._removed += n
        self._failed += n + extra

    def close(self, finish_body: dict[str, str], timeout: float) -> None:
        """Send what is queued, then POST finish; give up after `timeout` seconds (what is left counts as dropped)."""
        self._finish_body = finish_body
        self._closing.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            with self._lock:  # normally empty; not if the thread died
                self._fail_queued()
        else:
            with self._lock:
                self._abandoned = True
                self._fail_queued(self._in_flight)
            self._say(
                "slow", f"dashboard at {self.transport.url} did not take the last steps within {timeout} s"
            )

    # -- sender-thread side ---------------------------------------------------------------------------

    _in_flight = 0  # records in the batch being POSTed right now

    def _run(self) -> None:
        try:
            while True:
                closing = self._closing.wait(self.flush_interval)  # a batch gathers; close() wakes it at once
                if self._abandoned:
                    return
                if self.run_id is None and not closing and time.monotonic() >= self._retry_at:
                    self._try_register()  # at once, so the run shows on the dashboard before its first step
                if not closing and time.monotonic() < self._retry_at:
                    continue  # backing off an unreachable or refusing dashboard; the queue holds the steps
                # What is queued now goes out (in batch_max pieces); steps arriving meanwhile wait for the next
                # wake-up instead of being chased in tiny batches (each POST costs ~0.5 ms of this process's CPU).
                # When closing, training has stopped: this is everything.
                pending = len(self._queue)
                while pending > 0 and not self._abandoned:
                    pending -= self._send_batch(closing)
                    if not closing and time.monotonic() < self._retry_at:
                        break
                if closing:
                    break
            if not self._abandoned and self.run_id is not None and not self._refused:
                self._post_finish()
        except Exception as exc:  # never let a bug here surface in the training process as a crash
            self._say("bug", f"sender stopped: {type(exc).__name__}: {exc}")
            with self._lock:
                self._fail_queued(self._in_flight)
        finally:
            self.transport.close()

    def _take(self) -> list[Captured]:
        with self._lock:
            n = min(self.batch_max, len(self._queue))
            batch = [self._queue.popleft() for _ in range(n)]
            self._removed += n
            self._in_flight = len(batch)
            return batch

    def _settle(self, batch: list[Captured], accepted: bool) -> None:
        with self._lock:
            self._in_flight = 0
            if self._abandoned:
                return
            if accepted:
                self.sent += len(batch)
            else:
                self._failed += len(batch)

    def _send_batch(self, closing: bool) -> int:
        """POST one batch from the queue; returns how many steps it took off the queue."""
        batch = self._take()
        if batch:
            self._post_batch(batch, closing)
        return len(batch) or 1  # (1: nothing was left, stop the caller's count)

    def _post_batch(self, batch: list[Captured], closing: bool) -> None:
        if self._refused:
            self._settle(batch, accepted=False)
            return
        try:
            if self.run_id is None and not self._register():
                self._settle(batch, accepted=False)
                return
            body: dict[str, Any] = {"records": self._records(batch)}
            sampling = self._sampling
            if sampling is not self._sampling_sent:  # k changed since the dashboard last heard: say it once
                body["grad_norm_every"] = sampling
            status, answer = self._post_again_if_stale(f"/api/external/runs/{self.run_id}/steps", body)
            if status == 404:  # the dashboard restarted (runs live in its memory): register again, resend
                self.run_id = None
                if not self._register():
                    self._settle(batch, accepted=False)
                    return
                status, answer = self.transport.post(f"/api/external/runs/{self.run_id}/steps", body)
        except TransportError as exc:
            self._unreachable(exc, closing)
            self._settle(batch, accepted=False)
            return
        accepted = self._judge(status, answer, "steps")
        if accepted:
            self._sampling_sent = sampling
        self._settle(batch, accepted=accepted)

    def _records(self, batch: list[Captured]) -> list[dict[str, Any]]:
        """The batch's step records, built in slices: between two, the GIL is offered to the training thread
        (time.sleep(0) releases it), which would otherwise wait for the whole batch to be built."""
        out = []
        for start in range(0, len(batch), RECORDS_PER_SLICE):
            if start:
                time.sleep(0)
            out += [step_record(raw, self.layers) for raw in batch[start : start + RECORDS_PER_SLICE]]
        return out

    def _post_again_if_stale(self, path: str, body: dict[str, Any]) -> tuple[int, object]:
        """POST; once more on a fresh connection when the kept-alive one was closed by the server while idle (the
        request never left: a broken pipe or a reset before any answer)."""
        try:
            return self.transport.post(path, body)
        except TransportError as exc:
            if not isinstance(exc.__cause__, _STALE):
                raise
            return self.transport.post(path, body)

    def _try_register(self) -> None:
        try:
            self._register()
        except TransportError as exc:
            self._unreachable(exc, closing=False)

    def _register(self) -> bool:
        """POST the run; True when the dashboard gave it an id. TransportError propagates."""
        status, answer = self.transport.post("/api/external/runs", self.registration)
        if status == 201 and isinstance(answer, dict) and "id" in answer:
            self.run_id = str(answer["id"])
            self.registrations += 1
            self._backoff = BACKOFF_FIRST
            return True
        self._judge(status, answer, "register")
        return False

    def _judge(self, status: int, answer: object, what: str) -> bool:
        """True for success; otherwise say why once and back off."""
        if 200 <= status < 300:
            self._backoff = BACKOFF_FIRST
            return True
        if status == 409:
            self._refused = True
            self._say(
                "refused",
                f"dashboard no longer takes steps for run {self.run_id} ({answer}); steps are dropped",
            )
        # 410: deleted on the dashboard; registering it again would undo the presenter's delete
        elif status == 410:
            self._refused = True
            self._say(
                "deleted",
                f"run {self.run_id} was deleted on the dashboard; training goes on, steps are dropped",
            )
        elif status in (401, 403):
            self._say(
                "auth",
                f"dashboard refused the request ({status}: {answer}): a missing or wrong presenter token (pass token= or"
                " set GRADCAST_PRESENTER_TOKEN), or a Host name it does not know (GRADCAST_ALLOWED_HOSTS on the server)",
            )
        else:
            self._say(f"http{status}", f"dashboard answered {status} to {what}: {answer}")
        self._hold_off()
        return False

    def _unreachable(self, exc: TransportError, closing: bool) -> None:
        self._say(
            "down",
            f"dashboard at {self.transport.url} unreachable ({exc}); training continues, steps are dropped "
            "and counted in run.dropped",
        )
        if closing:  # do not spend the close timeout on a dashboard that is gone
            with self._lock:
                self._fail_queued()
        self._hold_off()

    def _hold_off(self) -> None:
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    def _post_finish(self) -> None:
        # A dashboard that is gone keeps the run "running"; nothing more to do about it.
        with contextlib.suppress(TransportError):
            self.transport.post(f"/api/external/runs/{self.run_id}/finish", self._finish_body)

    def _say(self, key: str, message: str) -> None:
        """Each kind of trouble is reported once per run, not once per step."""
        if key not in self._said:
            self._said.add(key)
            log.warning("GradCast: %s", message)
