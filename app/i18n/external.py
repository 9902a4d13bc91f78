"""Strings of external runs (a training loop elsewhere, docs/client.md): what such a run does not measure."""

STRINGS: dict[str, dict[str, str]] = {
    "external.not_measured": {
        "en": "Not measured for this run: {what}.",
        "ko": "이 실행에서 측정하지 않은 항목: {what}.",
    },
    "external.panel.chainrule": {
        "en": "a′(z) in the chain rule (watch(..., activations=True))",
        "ko": "연쇄 법칙의 a′(z) (watch(..., activations=True))",
    },
    "external.panel.update": {
        "en": "update ratio (watch(..., optimizer=opt) or a framework callback)",
        "ko": "갱신 비율 (watch(..., optimizer=opt) 또는 프레임워크 콜백)",
    },
    "external.panel.health": {
        "en": "saturated and dead units (activations=True)",
        "ko": "포화·죽은 유닛 (activations=True)",
    },
    "external.panel.hist": {"en": "gradient histograms", "ko": "기울기 히스토그램"},
    "external.panel.boundary": {
        "en": "decision boundary (2-D data trained on this server only)",
        "ko": "결정 경계 (이 서버에서 학습한 2차원 데이터만)",
    },
}

STRINGS |= {
    "group.by": {"en": "layers by", "ko": "층 묶기"},
    "group.mode.layer": {"en": "module", "ko": "모듈별"},
    "group.mode.path": {"en": "module path (blocks.3.*)", "ko": "모듈 경로별 (blocks.3.*)"},
    "group.mode.type": {"en": "module type (Linear, LayerNorm…)", "ko": "모듈 종류별 (Linear, LayerNorm…)"},
    "group.lines": {"en": "lines", "ko": "표시할 선"},
}
