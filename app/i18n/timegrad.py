"""UI strings of the gradient-through-time views (recurrent runs): key -> {"en", "ko"}."""

STRINGS: dict[str, dict[str, str]] = {
    "chart.timegrad": {
        "en": "Gradient through time: ‖∂L/∂h_t‖ per time step",
        "ko": "시간에 걸친 기울기: 시간 스텝별 ‖∂L/∂h_t‖",
    },
    "chart.timeheat": {
        "en": "log₁₀ ‖∂L/∂h_t‖: time step × training step",
        "ko": "log₁₀ ‖∂L/∂h_t‖: 시간 스텝 × 학습 단계",
    },
    "axis.time_step": {"en": "time step t", "ko": "시간 스텝 t"},
    "axis.hidden_grad": {"en": "‖∂L/∂h_t‖", "ko": "‖∂L/∂h_t‖"},
    "time.explain": {
        "en": "By the chain rule through time, ∂L/∂h_1 is ∂L/∂h_T times one factor per step back.",
        "ko": "시간에 걸친 연쇄 법칙에 따라 ∂L/∂h_1은 ∂L/∂h_T에 거슬러 가는 스텝마다 인수 하나씩을 곱한 값입니다.",
    },
    "verdict.time.vanishing": {
        "en": "The error signal from step {T} reaches step 1 at {ratio} of its size: vanishing through time.",
        "ko": "{T}번째 스텝의 오차 신호가 1번째 스텝에 {ratio}배로 도착합니다: 시간에 걸친 기울기 사라짐.",
    },
    "verdict.time.healthy": {
        "en": "The error signal from step {T} reaches step 1 at {ratio} of its size: it holds up through time.",
        "ko": "{T}번째 스텝의 오차 신호가 1번째 스텝에 {ratio}배로 도착합니다: 시간을 거슬러도 유지됩니다.",
    },
    "verdict.time.exploding": {
        "en": "The error signal from step {T} reaches step 1 at {ratio} times its size: exploding through time.",
        "ko": "{T}번째 스텝의 오차 신호가 1번째 스텝에 {ratio}배로 커져 도착합니다: 시간에 걸친 기울기 폭발.",
    },
    "chart.sweep_time": {
        "en": "Gradient through time at initialisation: ‖∂L/∂h_1‖ ÷ ‖∂L/∂h_T‖ against sequence length",
        "ko": "초기화 시점의 시간에 걸친 기울기: 시퀀스 길이에 따른 ‖∂L/∂h_1‖ ÷ ‖∂L/∂h_T‖",
    },
    "chart.sweep_time.explain": {
        "en": "Recurrent networks on the adding problem: each step back multiplies the error signal by one "
        "factor, so the ratio falls exponentially in T, a straight line on the log axis.",
        "ko": "덧셈 문제의 순환 신경망: 한 스텝 거슬러 갈 때마다 오차 신호에 인수 하나가 곱해지므로 비율이 T에 "
        "대해 지수적으로 줄어들어 로그 축에서 직선이 됩니다 (연쇄 법칙).",
    },
    "axis.loss_mse": {"en": "loss (mean squared error)", "ko": "손실 (평균 제곱 오차)"},
    "axis.seq_len": {"en": "sequence length T", "ko": "시퀀스 길이 T"},
    "axis.time_ratio": {"en": "‖∂L/∂h_1‖ ÷ ‖∂L/∂h_T‖ (log)", "ko": "‖∂L/∂h_1‖ ÷ ‖∂L/∂h_T‖ (로그)"},
    "time.factor.rnn": {
        "en": "Chain rule per step: ‖diag(a′)·W_hh‖ ≈ {mean}, the most one step back can pass on (a′ averaged "
        "over the batch); measured, each step back passes on ≈ {measured} of the signal.",
        "ko": "스텝마다 곱해지는 인수: ‖diag(a′)·W_hh‖ ≈ {mean}, 한 스텝 거슬러 갈 때 전달될 수 있는 최대치입니다"
        "(a′는 배치 평균). 실제로는 한 스텝마다 신호의 약 {measured}배가 전달됩니다.",
    },
    "time.factor.lstm": {
        "en": "Cell path per step: the forget gate f ≈ {mean}; the forget-gate product over the steps is {product}.",
        "ko": "셀 경로에서 스텝마다 곱해지는 망각 게이트 f ≈ {mean}; 모든 스텝에 걸친 망각 게이트의 곱은 {product}입니다.",
    },
    "time.factor.gru": {
        "en": "Direct path per step: the update gate z ≈ {mean}; its product over the steps is {product}.",
        "ko": "직접 경로에서 스텝마다 곱해지는 업데이트 게이트 z ≈ {mean}; 모든 스텝에 걸친 곱은 {product}입니다.",
    },
    "time.verdict": {
        "en": "The error signal from step {T} reaches step 1 at {ratio} of its size.",
        "ko": "{T}번째 스텝의 오차 신호는 1번째 스텝에 원래 크기의 {ratio}배로 도착합니다.",
    },
}
