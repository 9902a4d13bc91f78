"""Strings of the classroom: following the presenter, exploring alone, the viewer link, making room for a run."""

STRINGS: dict[str, dict[str, str]] = {
    "follow.on": {"en": "Following the presenter", "ko": "발표자 화면을 따라가는 중"},
    "follow.explore": {"en": "Explore on my own", "ko": "혼자 둘러보기"},
    "follow.off": {"en": "Exploring on your own", "ko": "혼자 둘러보는 중"},
    "follow.moved_on": {"en": "The presenter has moved on.", "ko": "발표자가 다른 화면으로 넘어갔습니다."},
    "follow.back": {"en": "Follow the presenter", "ko": "발표자 따라가기"},
    "follow.walk_driven": {
        "en": "The presenter walks through the layers (↑/↓).",
        "ko": "발표자가 층을 하나씩 짚어 갑니다 (↑/↓).",
    },
    "classroom.title": {"en": "Students: follow on your phone", "ko": "학생용: 휴대폰으로 따라 보기"},
    "classroom.hint": {
        "en": "One link for the whole lecture: their screens open whatever you open here. Show it again with q.",
        "ko": "강의 내내 쓰는 링크 하나: 여기서 여는 화면이 학생 화면에도 열립니다. q 키로 다시 보여 줄 수 있습니다.",
    },
    "classroom.made_room": {
        "en": "Paused {n} earlier run(s) to make room: the server trains only so many at once."
        " Resume them from the runs list on the home page.",
        "ko": "동시에 학습할 수 있는 수가 정해져 있어, 앞서 돌던 실행 {n}개를 일시 정지했습니다."
        " 처음 화면의 실행 목록에서 다시 재생할 수 있습니다.",
    },
}
