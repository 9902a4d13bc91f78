"""The stage on its own: seq numbering, the current stage first, latest-wins slots, closing."""

import asyncio
import json

from app.live.stage import INITIAL_PATH, Stage


def test_publish_numbers_each_stage_and_a_new_follower_starts_from_the_current_one():
    async def scenario():
        stage = Stage()
        assert stage.to_dict() == {"seq": 0, "path": INITIAL_PATH, "state": {}}
        early = stage.follow()
        assert json.loads(await early.next()) == {"seq": 0, "path": "/", "state": {}}
        assert stage.publish("/runs/a", {"walk": 1}) == {"seq": 1, "path": "/runs/a", "state": {"walk": 1}}
        late = stage.follow()
        assert json.loads(await late.next())["seq"] == 1  # the room's stage, not the first one
        assert json.loads(await early.next())["path"] == "/runs/a"

    asyncio.run(scenario())


def test_a_follower_that_has_not_read_gets_only_the_newest_stage():
    async def scenario():
        stage = Stage()
        follower = stage.follow()
        for i in range(5):
            stage.publish(f"/runs/{i}", {})
        assert json.loads(await follower.next()) == {"seq": 5, "path": "/runs/4", "state": {}}
        waiting = asyncio.create_task(follower.next())
        # Letting the loop run is the test: a follower with nothing new must not wake.
        await asyncio.sleep(0.01)
        assert not waiting.done()  # nothing new: it waits
        stage.close_all()
        assert await asyncio.wait_for(waiting, 1) is None  # closed: the socket ends
        stage.leave(follower)
        assert not stage.followers

    asyncio.run(scenario())
