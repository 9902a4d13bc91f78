"""UI strings of the chain-rule card for recurrent runs (static/js/charts/chaintime.js): key -> {"en", "ko"}."""

STRINGS: dict[str, dict[str, str]] = {
    "chain.time.rnn": {
        "en": "Through time the chain rule multiplies one factor per step back, ∂h_t/∂h_(t−1) = diag(a′(z_t))·W_hh. "
        "Under each step: its size ‖diag(a′)·W_hh‖ (a′ averaged over the batch), the most that step can pass on.",
        "ko": "시간을 거슬러 가는 연쇄 법칙은 스텝마다 인수 ∂h_t/∂h_(t−1) = diag(a′(z_t))·W_hh를 하나씩 곱합니다. "
        "각 스텝 아래는 그 크기 ‖diag(a′)·W_hh‖(a′는 배치 평균)로, 그 스텝이 전달할 수 있는 최대치입니다.",
    },
    "chain.time.lstm": {
        "en": "Along the cell path c_t = f_t ⊙ c_(t−1) + i_t ⊙ g_t, each step back multiplies only by the forget "
        "gate f_t (its mean over batch and units under each step): kept near 1, the product holds up.",
        "ko": "셀 경로 c_t = f_t ⊙ c_(t−1) + i_t ⊙ g_t에서는 한 스텝 거슬러 갈 때마다 망각 게이트 f_t만 곱해집니다"
        "(각 스텝 아래는 배치와 유닛에 대한 평균). 1 가까이 유지되면 곱도 유지됩니다.",
    },
    "chain.time.gru": {
        "en": "Along the direct path h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_(t−1), each step back multiplies by the update "
        "gate z_t (its mean over batch and units under each step).",
        "ko": "직접 경로 h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_(t−1)에서는 한 스텝 거슬러 갈 때마다 업데이트 게이트 z_t가 "
        "곱해집니다(각 스텝 아래는 배치와 유닛에 대한 평균).",
    },
    "chain.time.summary": {
        "en": "Product of the {n} factors: {product}. Measured, ‖∂L/∂h_1‖ ÷ ‖∂L/∂h_{T}‖ = {measured}: about "
        "{per_step} per step back.",
        "ko": "인수 {n}개의 곱: {product}. 실제로 측정한 ‖∂L/∂h_1‖ ÷ ‖∂L/∂h_{T}‖ = {measured}, 한 스텝 거슬러 갈 "
        "때마다 약 {per_step}배입니다.",
    },
    "chain.time.summary.bound": {
        "en": "Product of the {n} sizes: {product}, an upper bound (‖AB‖ ≤ ‖A‖·‖B‖). Measured, ‖∂L/∂h_1‖ ÷ "
        "‖∂L/∂h_{T}‖ = {measured}: about {per_step} per step back. Below 1 per step, the signal fades "
        "exponentially in T.",
        "ko": "크기 {n}개의 곱: {product}, 이는 상한입니다(‖AB‖ ≤ ‖A‖·‖B‖). 실제로 측정한 ‖∂L/∂h_1‖ ÷ "
        "‖∂L/∂h_{T}‖ = {measured}, 한 스텝 거슬러 갈 때마다 약 {per_step}배입니다. 스텝마다 1보다 작으면 신호는 "
        "T에 대해 지수적으로 사라집니다.",
    },
}
