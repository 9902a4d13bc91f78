"""Which steps of a paced group are display steps (framed to viewers): all of them at or below the display rate."""

import time

from tests.support.live import SMALL
from tests.test_live_lockstep import Inbox, _lockstep


def test_every_step_is_shown_at_a_pace_below_the_display_rate_even_after_a_late_step():
    inbox = Inbox()
    ls = _lockstep([{**SMALL, "max_steps": 10_000}], inbox, steps_per_second=20, display_fps=30)
    trainer = ls.members[0].trainer
    step = trainer.step
    calls = []

    def late_once(*args, **kwargs):
        # Step 10 takes 80 ms more than its 50 ms slot: the clock starts step 11 at once and step 12 only ~20 ms
        # after it, sooner than a display frame (33 ms) - still a step the room must see.
        calls.append(1)
        if len(calls) == 10:
            time.sleep(0.08)
        return step(*args, **kwargs)

    trainer.step = late_once
    ls.start("started")
    try:
        inbox.wait(lambda: len(inbox.records()) >= 20)
    finally:
        ls.request_exit()
        assert ls.join(5.0)
    records = [it.record for it in inbox.records()]
    assert len(records) >= 20
    assert [r.step for r in records if not r.full] == []
