"""Strings of an external run's gradient-norm schedule (watch(..., grad_norm_every=...), docs/client.md)."""

STRINGS: dict[str, dict[str, str]] = {
    "sampling.every_k_auto": {
        "en": "Gradient norms every {k} steps, the loss every step (auto: a step takes {time}, reading the norms {share} of it).",
        "ko": "기울기 노름은 {k} 스텝마다, 손실은 매 스텝 기록합니다 (자동: 한 스텝에 {time}, 그중 노름 읽기가 {share}).",
    },
    "sampling.every_k": {
        "en": "Gradient norms every {k} steps, the loss every step (grad_norm_every={k}).",
        "ko": "기울기 노름은 {k} 스텝마다, 손실은 매 스텝 기록합니다 (grad_norm_every={k}).",
    },
    "sampling.every_step_auto": {
        "en": "Gradient norms every step (auto: a step takes {time}, reading the norms {share} of it).",
        "ko": "기울기 노름을 매 스텝 기록합니다 (자동: 한 스텝에 {time}, 그중 노름 읽기가 {share}).",
    },
    "sampling.measuring": {
        "en": "Gradient norms every step (auto: measuring what reading them costs).",
        "ko": "기울기 노름을 매 스텝 기록합니다 (자동: 읽는 데 드는 시간을 재는 중).",
    },
    "sampling.every_step": {
        "en": "Gradient norms every step (grad_norm_every=1).",
        "ko": "기울기 노름을 매 스텝 기록합니다 (grad_norm_every=1).",
    },
}
