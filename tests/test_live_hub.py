"""Fan-out bookkeeping: a viewer's bounded outbox, the replay ring and since arithmetic."""

import asyncio

from app.live.hub import Hub, Viewer
from app.live.messages import encode
from tests.support.live import strict_loads


def test_full_outbox_drops_the_oldest_frame_but_keeps_status_messages():
    async def scenario() -> list[str]:
        v = Viewer(limit=3)
        v.put("status-1", droppable=False)
        for i in range(5):
            v.put(f"frame-{i}")
        return [await v.next() for _ in range(3)], v.dropped

    texts, dropped = asyncio.run(scenario())
    assert texts == ["status-1", "frame-3", "frame-4"] and dropped == 3


def test_close_goes_before_anything_queued():
    async def scenario():
        v = Viewer(limit=8)
        v.put("frame")
        v.close(1001, "server shutting down")
        return await v.next(), v.close_code

    assert asyncio.run(scenario()) == (None, 1001)


def _published(n: int, replay: int = 4):
    hub = Hub(replay)
    stream = hub.open("run:a")
    for i in range(n):
        hub.publish(["run:a"], {"type": "frame", "step": i})
    return stream


def test_since_replays_exactly_the_missed_messages_or_falls_back_to_a_snapshot():
    async def attach(stream, since):
        v = Viewer(limit=2)  # smaller than the replay: a backlog is queued whole
        replayed = stream.attach(v, since, lambda: {"type": "snapshot", "runs": []})
        out = []
        while v.queue:
            out.append(strict_loads(await v.next()))
        return replayed, out

    stream = _published(10)  # seq 1..10; the ring holds 7..10
    replayed, out = asyncio.run(attach(stream, 7))
    assert replayed and [m["seq"] for m in out] == [8, 9, 10] and out[0]["step"] == 7
    assert asyncio.run(attach(stream, 6))[1][0]["seq"] == 7  # the oldest in the ring is just enough
    assert asyncio.run(attach(stream, 10)) == (True, [])  # nothing missed
    for since in (5, 11, None, -1):  # too old, from the future, none
        replayed, out = asyncio.run(attach(stream, since))
        assert not replayed and out == [{"seq": 10, "type": "snapshot", "runs": []}]


def test_one_encoding_many_streams_each_with_its_seq():
    hub = Hub(8)
    hub.open("run:a"), hub.open("group:g")
    hub.publish(["run:a"], {"type": "status"})
    hub.publish(["run:a", "group:g"], {"type": "frame"})
    assert [strict_loads(t)["seq"] for _, t in hub.get("run:a").ring] == [1, 2]
    assert [strict_loads(t)["seq"] for _, t in hub.get("group:g").ring] == [1]
    assert encode({"a": 1}) == b'{"a":1}'
