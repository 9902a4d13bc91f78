"""UI strings of replays: the badge, the timeline, and what a recorded run's row in the list says it is."""

STRINGS: dict[str, dict[str, str]] = {
    "replay.badge": {"en": "replay of a recorded run", "ko": "기록된 실행 다시 보기"},
    "replay.timeline": {"en": "Timeline", "ko": "타임라인"},
    "replay.at": {"en": "step {step} of {last}", "ko": "{last}단계 중 {step}단계"},
    "replay.seek_hint": {
        "en": "Drag to any recorded step; paused, the walkthrough shows that step",
        "ko": "기록된 어느 단계로든 옮겨 보세요. 멈춘 상태에서는 그 단계를 따라가며 보여 줍니다",
    },
    "replay.help_left": {
        "en": "One recorded step back (a replay)",
        "ko": "기록된 단계 하나 뒤로 (다시 보기)",
    },
    "recordings.what": {"en": "{act} · {init} · {depth}×{width}", "ko": "{act} · {init} · {depth}×{width}"},
    "recordings.norm": {"en": "norm: {norm}", "ko": "정규화: {norm}"},
    "recordings.optim": {"en": "{optimizer}, lr {lr}", "ko": "{optimizer}, 학습률 {lr}"},
    "recordings.lesson": {"en": "lesson: {lesson}", "ko": "수업: {lesson}"},
}
