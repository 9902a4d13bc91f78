"""Fan-out: one producer per stream, one bounded outbox and one sender task per viewer, a replay ring per stream.

Everything here runs on the event loop. A stream ("run:ID" or "group:ID") numbers its messages with seq;
each message is encoded once and the same text is queued for every viewer.
"""

import asyncio
from collections import deque
from collections.abc import Callable

from app.live.messages import encode, with_seq
from app.ml.records import JsonObject


class Viewer:
    """One websocket's outbox: bounded, dropping the oldest frame when full; status and snapshots are kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.queue: deque[tuple[str, bool]] = deque()  # (text, droppable)
        self.wake = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.dropped = 0  # frames this viewer lost because it read too slowly
        self.sending_since: float | None = None  # loop.time() when the send in progress began
        self.task: asyncio.Task[None] | None = None  # its sender task (cancelled on eviction)
        self.evicted = False

    def put(self, text: str, droppable: bool = True) -> None:
        """Queue one message; past the limit the oldest frame goes (a seq gap tells the client)."""
        if len(self.queue) >= self.limit:
            for i, (_, can_drop) in enumerate(self.queue):
                if can_drop:
                    del self.queue[i]
                    self.dropped += 1
                    break
        self.queue.append((text, droppable))
        self.wake.set()

    def put_backlog(self, texts: list[str]) -> None:
        """Queue a snapshot or a replay, whole, whatever the limit (it is bounded by the replay ring)."""
        self.queue.extend((t, False) for t in texts)
        self.wake.set()

    def close(self, code: int, reason: str) -> None:
        """Ask the sender task to close the socket with this code, before anything still queued."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.wake.set()

    async def next(self) -> str | None:
        """The next text to send, or None when the socket is to be closed."""
        while True:
            if self.close_code is not None:
                return None
            if self.queue:
                return self.queue.popleft()[0]
            self.wake.clear()
            await self.wake.wait()


class Stream:
    """The messages of one run or group: seq, the replay ring and the viewers."""

    def __init__(self, key: str, replay: int) -> None:
        self.key = key
        self.seq = 0  # seq of the last message published
        self.ring: deque[tuple[int, str]] = deque(maxlen=replay)
        self.viewers: set[Viewer] = set()

    def publish(self, body: bytes, droppable: bool = True) -> None:
        """Number an encoded message, keep it for replay and queue it for every viewer."""
        self.seq += 1
        text = with_seq(body, self.seq)
        self.ring.append((self.seq, text))
        for viewer in self.viewers:
            viewer.put(text, droppable)

    def can_replay(self, since: int) -> bool:
        """True when every message after `since` is still in the ring (or none was missed)."""
        if since == self.seq:
            return True
        return 0 <= since < self.seq and bool(self.ring) and self.ring[0][0] <= since + 1

    def attach(self, viewer: Viewer, since: int | None, snapshot: Callable[[], JsonObject]) -> bool:
        """Register a viewer and queue what it needs first; True if it got a replay, False a snapshot.

        Synchronous on the loop: nothing can be published between the snapshot and the registration.
        """
        if since is not None and self.can_replay(since):
            viewer.put_backlog([text for seq, text in self.ring if seq > since])
            replay = True
        else:
            viewer.put_backlog([with_seq(encode(snapshot()), self.seq)])
            replay = False
        self.viewers.add(viewer)
        return replay

    def detach(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)

    def close_all(self, code: int, reason: str) -> None:
        for viewer in list(self.viewers):
            viewer.close(code, reason)


class Hub:
    """Every stream of this process, by key."""

    def __init__(self, replay: int) -> None:
        self.replay = replay
        self.streams: dict[str, Stream] = {}

    def open(self, key: str) -> Stream:
        stream = self.streams.get(key)
        if stream is None:
            stream = self.streams[key] = Stream(key, self.replay)
        return stream

    def get(self, key: str) -> Stream | None:
        return self.streams.get(key)

    def publish(self, keys: list[str], msg: JsonObject, droppable: bool = True) -> None:
        """Encode once, publish to each stream in keys (each splices its own seq)."""
        body = encode(msg)
        for key in keys:
            stream = self.streams.get(key)
            if stream is not None:
                stream.publish(body, droppable)

    def drop(self, key: str, code: int, reason: str) -> None:
        """Close a stream's viewers and forget it."""
        stream = self.streams.pop(key, None)
        if stream is not None:
            stream.close_all(code, reason)

    def close_all(self, code: int, reason: str) -> None:
        for stream in self.streams.values():
            stream.close_all(code, reason)

    def viewer_count(self) -> int:
        return sum(len(s.viewers) for s in self.streams.values())

    def evict_stalled(self, now: float, send_timeout: float) -> int:
        """Cancel the sender of every viewer whose current send began more than send_timeout s ago.

        One sweep a fraction of a second apart instead of a timer per send: at 200 viewers x 30 frames/s,
        asyncio.wait_for per send would make 6,000 tasks and timers a second.
        """
        evicted = 0
        for stream in self.streams.values():
            for viewer in stream.viewers:
                since = viewer.sending_since
                if since is not None and now - since > send_timeout and not viewer.evicted:
                    viewer.evicted = True
                    if viewer.task is not None:
                        viewer.task.cancel()
                    evicted += 1
        return evicted
