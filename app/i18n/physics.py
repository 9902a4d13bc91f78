"""Strings that explain the physics: each run's own a′ bound, the layer axis, non-finite marks, the verdict's
causes and the depth sweep's inits. Activation and init labels are not here: they come from the registries
(GET /api/registry)."""

STRINGS: dict[str, dict[str, str]] = {
    # The chain rule panel: the run's own bound sup|a′(z)| and what it means for the product
    "chain.bound_below_one": {
        "en": "{activation}'s a′ never exceeds {bound}: every layer can only shrink the product, "
        "so over L layers it is at most {bound}^L.",
        "ko": "{activation}의 a′는 {bound}보다 커지지 않습니다: 층마다 곱이 줄어들기만 하므로 "
        "L개 층을 지나면 많아야 {bound}^L입니다.",
    },
    "chain.bound_not_below_one": {
        "en": "{activation}'s a′ reaches at most {bound}: the activation does not shrink the product by itself; "
        "whether the gradient holds up depends on the weights ‖W_k‖ (the init).",
        "ko": "{activation}의 a′는 최대 {bound}입니다: 활성화 함수만으로는 곱이 줄지 않습니다. "
        "기울기가 유지될지는 가중치 ‖W_k‖(초기화)에 달려 있습니다.",
    },
    "chart.deriv.bound": {"en": "{activation}: a′ ≤ {bound}", "ko": "{activation}: a′ ≤ {bound}"},
    "chart.deriv.guide": {
        "en": "dotted: each activation's bound sup|a′(z)|",
        "ko": "점선: 활성화 함수마다의 상한 sup|a′(z)|",
    },
    # Layer axis of a comparison of different depths
    "axis.layer_from_input": {
        "en": "layer, counted from the input (◆ each run's output layer)",
        "ko": "층, 입력부터 센 번호 (◆ 각 실행의 출력층)",
    },
    # Non-finite values, marked where they happen
    "chart.nonfinite": {
        "en": "not a finite number (NaN/∞) at step {step}",
        "ko": "{step} 단계에서 유한하지 않은 값 (NaN/∞)",
    },
    "chart.nonfinite_steps": {
        "en": "steps with a gradient that is not finite (NaN/∞)",
        "ko": "기울기가 유한하지 않은 단계 (NaN/∞)",
    },
    "chart.nonfinite_loss": {
        "en": "{run}: loss not finite (NaN/∞)",
        "ko": "{run}: 유한하지 않은 손실 (NaN/∞)",
    },
    "chart.nonfinite_run": {"en": "{run}: not finite (NaN/∞)", "ko": "{run}: 유한하지 않은 값 (NaN/∞)"},
    # Loss card of a comparison: accuracy beside the loss
    "chart.loss.run_acc": {"en": "{run} test accuracy", "ko": "{run} 테스트 정확도"},
    "chart.loss.group_note": {
        "en": "solid: train loss (left axis); dotted: test accuracy (right axis)",
        "ko": "실선: 학습 손실 (왼쪽 축), 점선: 테스트 정확도 (오른쪽 축)",
    },
    # Builder
    "builder.recommended_init": {"en": "recommended init: {init}", "ko": "권장 초기화: {init}"},
    # Verdicts: what the ratio is, what it was at the first step, and why
    "verdict.main": {
        "en": "The first layer gets {amount}: {state}.",
        "ko": "첫 층이 받는 기울기는 {amount}입니다: {state}.",
    },
    "verdict.amount_times": {
        "en": "{ratio}× the last layer's gradient",
        "ko": "마지막 층 기울기의 {ratio}배",
    },
    "verdict.amount_of": {"en": "{ratio} of the last layer's gradient", "ko": "마지막 층 기울기의 {ratio}배"},
    "verdict.since": {
        "en": "At step {step}: {then} → now {now}.",
        "ko": "{step} 단계에서는 {then}, 지금은 {now}입니다.",
    },
    "verdict.at_first": {
        "en": "At step {step} the ratio was {then}.",
        "ko": "{step} 단계의 비율: {then}.",
    },
    "verdict.cause.saturated": {
        "en": "{share} of the {activation} units are saturated (a′ < 0.01): almost no gradient passes them.",
        "ko": "{activation} 유닛의 {share}가 포화되어(a′ < 0.01) 기울기가 거의 지나가지 못합니다.",
    },
    "verdict.cause.saturated_during": {
        "en": "The {activation} units saturated during training: {share} of them have a′ < 0.01, "
        "so almost no gradient passes them.",
        "ko": "학습 중에 {activation} 유닛이 포화되었습니다: {share}의 a′가 0.01보다 작아 "
        "기울기가 거의 지나가지 못합니다.",
    },
    "verdict.cause.dead": {
        "en": "{share} of the {activation} units are dead (output 0 on the whole batch): no gradient passes them.",
        "ko": "{activation} 유닛의 {share}가 죽어(배치 전체에서 출력 0) 기울기를 전혀 전달하지 못합니다.",
    },
    "verdict.cause.dead_during": {
        "en": "The {activation} units died during training: {share} of them output 0 on the whole batch, "
        "so no gradient passes them.",
        "ko": "학습 중에 {activation} 유닛이 죽었습니다: {share}가 배치 전체에서 0을 출력해 "
        "기울기를 전혀 전달하지 못합니다.",
    },
    "verdict.cause.deriv_fell": {
        "en": "The {activation} units saturated during training: the measured a′ of the {layers} layers multiply "
        "to {product}, against {then} at step {step}.",
        "ko": "학습 중에 {activation} 유닛이 포화되었습니다: {layers}개 층에서 잰 a′의 곱이 "
        "{step} 단계의 {then}에서 {product}로 줄었습니다.",
    },
    "verdict.cause.deriv_small": {
        "en": "The {activation} units are saturated: the measured a′ of the {layers} layers multiply to {product}.",
        "ko": "{activation} 유닛이 포화되어 있습니다: {layers}개 층에서 잰 a′의 곱은 {product}입니다.",
    },
    "verdict.cause.bound": {
        "en": "{activation}'s a′ never exceeds {bound}: the measured a′ of the {layers} layers multiply to {product}.",
        "ko": "{activation}의 a′는 {bound}보다 커지지 않습니다: {layers}개 층에서 잰 a′를 모두 곱하면 {product}입니다.",
    },
    "verdict.cause.weights_small": {
        "en": "{activation}'s a′ reaches {bound}: it is the weights that shrink the gradient, layer by layer.",
        "ko": "{activation}의 a′는 {bound}까지 이릅니다: 층마다 기울기를 줄이는 것은 가중치입니다.",
    },
    "verdict.cause.weights_small_init": {
        "en": "{activation}'s a′ reaches {bound}: the weights ({init}) shrink the gradient layer by layer; "
        "{activation}'s recommended init is {recommended}.",
        "ko": "{activation}의 a′는 {bound}까지 이릅니다: 가중치({init})가 층마다 기울기를 줄입니다. "
        "{activation}에 권장되는 초기화는 {recommended}입니다.",
    },
    "verdict.cause.weights_large": {
        "en": "The weights ({init}) grow the gradient layer by layer.",
        "ko": "가중치({init})가 층마다 기울기를 키웁니다.",
    },
    "verdict.cause.exploded_first": {
        "en": "Before that the gradient exploded: it reached {max}.",
        "ko": "그 전에 기울기가 폭발해 {max}까지 커졌습니다.",
    },
    # Depth sweep: which init
    "sweep.init": {"en": "Initialisation", "ko": "초기화"},
    "sweep.init.default": {"en": "PyTorch default", "ko": "PyTorch 기본값"},
    "sweep.init.recommended": {
        "en": "each activation's recommended (Kaiming for the ReLU family, Xavier for tanh and the sigmoid)",
        "ko": "활성화 함수마다 권장되는 초기화 (ReLU 계열은 Kaiming, tanh와 시그모이드는 Xavier)",
    },
    "sweep.init.both": {"en": "both, side by side", "ko": "둘 다 함께"},
    "sweep.line": {"en": "{activation} · {init}", "ko": "{activation} · {init}"},
    "sweep.shown": {
        "en": "Shown: {inits}. Solid lines: the recommended init; dashed lines with open markers: PyTorch's default. "
        "Each activation keeps its colour and marker shape; Leaky ReLU's large rings circle ReLU's markers, "
        "which its line covers almost exactly.",
        "ko": "표시: {inits}. 실선: 권장 초기화, 파선과 빈 표식: PyTorch 기본값. 활성화 함수마다 색과 표식 모양이 "
        "같습니다. Leaky ReLU의 큰 고리가 거의 그대로 겹치는 ReLU의 표식을 둘러쌉니다.",
    },
}
