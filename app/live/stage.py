"""The stage: what the presenter shows the room, as one small versioned state, and its followers.

`{"seq": int, "path": str, "state": {...}}`: `path` is the presenter page's location (pathname + search, without
the device's own lang, projector, view and token), `state` the view state that matters to the room (the
walkthrough's layer, the picked histogram layer, the chart in focus, ...). Every publish numbers it with the
next seq. A follower only ever needs the newest stage, so each holds one slot (latest wins) instead of a queue:
a slow phone skips stages it could not read in time and never delays the others. Runs on the event loop.
"""

import asyncio

import orjson

from app.ml.records import JsonObject

INITIAL_PATH = "/"  # before the presenter's page has published anything: the home page


class Follower:
    """One subscriber's slot: the newest stage text not yet sent, and a wake-up."""

    def __init__(self) -> None:
        self.pending: str | None = None
        self.wake = asyncio.Event()
        self.closed = False

    def offer(self, text: str) -> None:
        self.pending = text  # a stage not yet sent is replaced: only the newest matters
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()

    async def next(self) -> str | None:
        """The newest stage not yet sent, or None when the follower is to be closed."""
        while True:
            if self.closed:
                return None
            if self.pending is not None:
                text, self.pending = self.pending, None
                return text
            self.wake.clear()
            await self.wake.wait()


class Stage:
    """The current stage and everyone following it."""

    def __init__(self) -> None:
        self.seq = 0
        self.path = INITIAL_PATH
        self.state: JsonObject = {}
        self.text = self._encode()
        self.followers: set[Follower] = set()

    def _encode(self) -> str:
        return orjson.dumps({"seq": self.seq, "path": self.path, "state": self.state}).decode()

    def to_dict(self) -> JsonObject:
        return {"seq": self.seq, "path": self.path, "state": self.state}

    def publish(self, path: str, state: JsonObject) -> JsonObject:
        """Replace the stage (next seq), encode it once and offer the same text to every follower."""
        self.seq += 1
        self.path, self.state = path, state
        self.text = self._encode()
        for follower in self.followers:
            follower.offer(self.text)
        return self.to_dict()

    def follow(self) -> Follower:
        """A new follower whose first message is the current stage (a late joiner sees what the room sees)."""
        follower = Follower()
        follower.offer(self.text)
        self.followers.add(follower)
        return follower

    def leave(self, follower: Follower) -> None:
        self.followers.discard(follower)

    def close_all(self) -> None:
        for follower in self.followers:
            follower.close()
