"""Strings of lesson mode: the lesson page, its deck controls, the function plot, the home page's lesson list."""

STRINGS: dict[str, dict[str, str]] = {
    "lesson.prev": {"en": "← Back", "ko": "← 이전"},
    "lesson.next": {"en": "Next →", "ko": "다음 →"},
    "lesson.counter": {"en": "Step {n} of {total}", "ko": "{total}단계 중 {n}단계"},
    "lesson.overview": {"en": "All steps", "ko": "전체 단계"},
    "lesson.overview_title": {"en": "Steps of this lesson", "ko": "이 수업의 단계"},
    "lesson.close": {"en": "Close", "ko": "닫기"},
    "lesson.handout": {"en": "Handout", "ko": "유인물"},
    "lesson.handout_title": {
        "en": "This lesson as one HTML file that opens offline, in the language shown",
        "ko": "이 수업을 지금 언어로, 오프라인에서도 열리는 HTML 파일 하나로 받기",
    },
    "lesson.preparing": {"en": "Preparing this step's runs…", "ko": "이 단계의 실행을 준비하는 중…"},
    "lesson.waiting": {
        "en": "Waiting for the presenter to open this step.",
        "ko": "발표자가 이 단계를 열기를 기다리는 중입니다.",
    },
    "lesson.not_started": {
        "en": "The presenter has not started this lesson yet: the text is shown, the live view follows.",
        "ko": "발표자가 아직 수업을 시작하지 않았습니다. 글은 지금 보이고, 실시간 화면은 시작되면 나타납니다.",
    },
    "lesson.error": {
        "en": "This step could not start: {error}",
        "ko": "이 단계를 시작하지 못했습니다: {error}",
    },
    "lesson.chart.function": {"en": "The activation and its derivative", "ko": "활성화 함수와 그 도함수"},
    "lesson.fn.a": {"en": "{name}(z)", "ko": "{name}(z)"},
    "lesson.fn.da": {"en": "{name}′(z)", "ko": "{name}′(z)"},
    "lesson.fn.bound": {"en": "bound of {name}′: {bound}", "ko": "{name}′의 상한: {bound}"},
    "lesson.fn.measured": {
        "en": "z of layer {layer}, measured (mean a′ = {deriv})",
        "ko": "{layer}층에서 측정한 z (평균 a′ = {deriv})",
    },
    "lesson.fn.share": {"en": "share of units", "ko": "유닛 비율"},
    "lesson.fn.value": {"en": "a(z), a′(z)", "ko": "a(z), a′(z)"},
    "lesson.num.deriv": {
        "en": "a′(z₁) = {first}, a′(z_n) = {last}",
        "ko": "a′(z₁) = {first}, a′(z_n) = {last}",
    },
    "lesson.num.weight": {"en": "‖W₁‖ = {first}, ‖W_n‖ = {last}", "ko": "‖W₁‖ = {first}, ‖W_n‖ = {last}"},
    "lesson.num.product": {"en": "∏ a′(z_k) = {value}", "ko": "∏ a′(z_k) = {value}"},
    "lesson.num.grad_first": {"en": "‖∂L/∂W₁‖ = {value}", "ko": "‖∂L/∂W₁‖ = {value}"},
    "lesson.num.update_first": {
        "en": "first layer's update ‖ΔW₁‖/‖W₁‖ = {value}",
        "ko": "첫 번째 층의 업데이트 ‖ΔW₁‖/‖W₁‖ = {value}",
    },
    "lesson.num.live": {"en": "measured now, step {step}", "ko": "지금 측정값, {step}단계"},
    "help.lesson_next": {
        "en": "Next step (→, Page Down: a clicker's keys)",
        "ko": "다음 단계 (→, Page Down: 프레젠터 리모컨 키)",
    },
    "help.lesson_prev": {"en": "Previous step (←, Page Up)", "ko": "이전 단계 (←, Page Up)"},
    "help.lesson_overview": {"en": "All steps of the lesson", "ko": "수업의 전체 단계 보기"},
    "home.lessons": {"en": "Lessons", "ko": "수업"},
    "home.lessons_hint": {
        "en": "A lecture as a deck of live steps: → or a clicker moves on, each step's network is ready when "
        "you arrive. Your own lessons: JSON or TOML files in the data directory's lessons folder.",
        "ko": "강의를 실시간 단계의 묶음으로 진행합니다. → 키나 프레젠터 리모컨으로 넘기면 각 단계의 신경망이 "
        "미리 준비되어 있습니다. 직접 만든 수업은 데이터 디렉터리의 lessons 폴더에 JSON 또는 TOML 파일로 둡니다.",
    },
    "home.lesson_open": {"en": "Open", "ko": "열기"},
    "home.lesson_steps": {"en": "{n} steps", "ko": "{n}단계"},
    "home.lesson_builtin": {"en": "built in", "ko": "기본 제공"},
    "home.lesson_export": {"en": "Export", "ko": "내보내기"},
    "home.lesson_errors": {"en": "Lesson files that did not load", "ko": "불러오지 못한 수업 파일"},
    "handout.flow": {
        "en": "Gradient flow ‖∂L/∂W_k‖ per layer, last recorded step",
        "ko": "층별 기울기 흐름 ‖∂L/∂W_k‖, 마지막으로 기록된 단계",
    },
    "handout.loss": {"en": "Loss over the steps (nats)", "ko": "학습 단계별 손실 (nats)"},
    "handout.layer": {"en": "layer (input → output)", "ko": "층 (입력 → 출력)"},
    "handout.step": {"en": "step", "ko": "학습 단계"},
    "handout.no_runs": {
        "en": "This step's runs were not recorded (recording off, or the step was never opened).",
        "ko": "이 단계의 실행은 기록되지 않았습니다 (기록이 꺼져 있거나 이 단계를 열지 않았습니다).",
    },
    "handout.made": {
        "en": "a lesson handout: the charts are the recorded runs shown in class. Opens without a network.",
        "ko": "수업 유인물: 차트는 수업에서 보여 준 실행의 기록입니다. 네트워크 없이 열립니다.",
    },
}
