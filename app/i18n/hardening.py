"""Strings of what the server refuses or cannot read: a damaged record in the records panel."""

STRINGS: dict[str, dict[str, str]] = {
    "recordings.damaged": {"en": "damaged: cannot be read", "ko": "손상됨: 읽을 수 없음"},
    "recordings.damaged_hint": {
        "en": "This record cannot be read ({why}). Delete it; the others are not affected.",
        "ko": "이 기록은 읽을 수 없습니다 ({why}). 삭제해 주세요. 다른 기록에는 영향이 없습니다.",
    },
}
