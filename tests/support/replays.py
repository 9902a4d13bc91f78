"""Driving a replay of recorded runs through PATCH /api/records/replays/{id}, with bounded waits."""

from tests.support.live import wait_until


def pause_replay(c, replay_id: str, url: str) -> tuple[dict, dict]:
    """Once the replay read at `url` (/api/runs/{id} or /api/groups/{id}) has played 3 steps, pause it: (the
    PATCH's answer, the replay as `url` then shows it)."""
    wait_until(lambda: c.get(url).json()["step"] >= 3, timeout=10)
    r = c.patch(f"/api/records/replays/{replay_id}", json={"paused": True})
    assert r.status_code == 200 and r.json()["paused"] is True, r.text
    return r.json(), c.get(url).json()


def play_to_the_end(c, replay_id: str, url: str) -> dict:
    """Resume the replay as fast as it goes; the replay as `url` shows it once finished."""
    assert (
        c.patch(
            f"/api/records/replays/{replay_id}", json={"paused": False, "steps_per_second": 0}
        ).status_code
        == 200
    )
    return wait_until(lambda: (x := c.get(url).json())["status"] == "finished" and x, timeout=10)
