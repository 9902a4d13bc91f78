"""Named presets as data: single runs and comparison groups whose runs differ in one field only.

Every preset trains on the same spiral with the same seed. The learning rate 0.03 (SGD with momentum) was
chosen by measurement over the full 2,000 steps: sigmoid-deep's first/last weight-gradient ratio stays within
3e-10..1.3e-5 and its loss at ~0.70, while relu-deep's ratio stays within 2.1e-2..40 and its loss is 0.38 by
step 100 and 0.005 at the end (tests/test_ml_physics.py checks the first 300 steps).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.ml.config import RunConfig


class PresetRun(BaseModel):
    """One run of a preset; `label` is its legend key (an activation, init or depth value)."""

    model_config = ConfigDict(frozen=True)
    label: str
    config: RunConfig


class Preset(BaseModel):
    """A named lesson: one run, or a comparison group."""

    model_config = ConfigDict(frozen=True)
    name: str
    kind: Literal["single", "comparison"]
    title: dict[str, str]  # {"en", "ko"}
    explanation: dict[str, str]  # {"en", "ko"}: one line each
    runs: list[PresetRun]


# 10 hidden layers of 32 on the spiral: deep enough for sigmoid's 0.25^10 ~ 1e-6, small enough for a laptop.
DEEP = RunConfig(dataset="spiral", depth=10, width=32, optimizer="momentum", lr=0.03, seed=0)


def _single(name: str, title: tuple[str, str], explanation: tuple[str, str], **changes: Any) -> Preset:
    config = RunConfig.model_validate({**DEEP.model_dump(), **changes})  # validated, unlike model_copy
    return Preset(
        name=name,
        kind="single",
        title={"en": title[0], "ko": title[1]},
        explanation={"en": explanation[0], "ko": explanation[1]},
        runs=[PresetRun(label=name, config=config)],
    )


def _comparison(
    name: str,
    title: tuple[str, str],
    explanation: tuple[str, str],
    base: RunConfig,
    field: str,
    values: list[Any],
) -> Preset:
    """Runs that differ from `base` in `field` only; each label is the field's value as a string."""
    runs = [
        PresetRun(label=str(v), config=RunConfig.model_validate({**base.model_dump(), field: v}))
        for v in values
    ]
    return Preset(
        name=name,
        kind="comparison",
        title={"en": title[0], "ko": title[1]},
        explanation={"en": explanation[0], "ko": explanation[1]},
        runs=runs,
    )


_PRESETS: list[Preset] = [
    _single(
        "sigmoid-deep",
        ("Deep sigmoid: the gradient vanishes", "깊은 시그모이드: 기울기 사라짐"),
        (
            "10 sigmoid layers: by the chain rule each layer multiplies the gradient by σ'(z) ≤ 0.25, "
            "so layer1's gradient is ~1e-9 of the output's and the loss stays at ln 2.",
            "시그모이드 10층: 연쇄 법칙에 따라 층마다 기울기에 σ'(z) ≤ 0.25가 곱해져 layer1의 기울기는 "
            "출력층의 약 1e-9배가 되고, 손실은 ln 2에 머뭅니다 (기울기 사라짐).",
        ),
        activation="sigmoid",
        init="default",
    ),
    _single(
        "relu-deep",
        ("Deep ReLU: the gradient holds up", "깊은 ReLU: 기울기가 유지됨"),
        (
            "The same 10 layers with ReLU and Kaiming init: a'(z) is 1 for active units, so every layer "
            "gets a gradient of similar size and the spiral is learned.",
            "같은 10층에 ReLU 활성화 함수와 Kaiming 초기화: 활성 유닛에서 a'(z) = 1이므로 모든 층의 기울기가 "
            "비슷한 크기로 유지되고 나선을 학습합니다.",
        ),
        activation="relu",
        init="kaiming_normal",
    ),
    _single(
        "leaky-relu-deep",
        ("Deep Leaky ReLU: no dead units", "깊은 Leaky ReLU: 죽은 유닛 없음"),
        (
            "Leaky ReLU keeps a small slope (0.01) for z < 0, so a unit never stops passing gradient.",
            "Leaky ReLU는 z < 0에서도 작은 기울기(0.01)를 남겨 어떤 유닛도 기울기 전달을 멈추지 않습니다.",
        ),
        activation="leaky_relu",
        init="kaiming_normal",
    ),
    _single(
        "tanh-xavier",
        ("Deep tanh with Xavier init", "깊은 tanh와 Xavier 초기화"),
        (
            "tanh'(0) = 1 and Xavier init keeps z near 0, so 10 tanh layers still learn; watch for saturation.",
            "tanh'(0) = 1이고 Xavier 초기화가 z를 0 근처에 두어 tanh 10층도 학습합니다. 포화 비율을 지켜보세요.",
        ),
        activation="tanh",
        init="xavier_normal",
        lr=0.02,  # at 0.03 the loss bounces back up around step 200
    ),
    _single(
        "exploding",
        ("Too-large init: the gradient explodes", "너무 큰 초기화: 기울기 폭발"),
        (
            "Weights drawn with std 0.5 double the signal at every ReLU layer: gradients reach ~1e6 "
            "and within a few steps the run diverges to NaN.",
            "표준편차 0.5로 뽑은 가중치는 ReLU 층마다 신호를 두 배로 키웁니다: 기울기가 약 1e6에 이르고 "
            "몇 스텝 만에 NaN으로 발산합니다 (기울기 폭발).",
        ),
        activation="relu",
        init="normal",
        init_std=0.5,
    ),
    _single(
        "batchnorm-rescue",
        ("Deep sigmoid rescued by BatchNorm", "BatchNorm으로 살린 깊은 시그모이드"),
        (
            "sigmoid-deep plus BatchNorm: every z is re-centred where σ' is largest and rescaled, "
            "so layer1's gradient comes back to the output's order and the loss falls.",
            "sigmoid-deep에 BatchNorm 추가: z를 σ'가 가장 큰 0 근처로 다시 맞추고 크기를 조정해 "
            "layer1의 기울기가 출력층 수준으로 돌아오고 손실이 줄어듭니다.",
        ),
        activation="sigmoid",
        init="default",
        norm="batchnorm",
    ),
    _single(
        "residual-rescue",
        ("30 tanh layers rescued by skip connections", "스킵 연결로 살린 30층 tanh"),
        (
            "Without skips 30 tanh layers vanish (first/last ~1e-7); h_k = h_(k-1) + a(z_k) gives the "
            "gradient a path around every layer, and the spiral is learned in ~200 steps.",
            "스킵 연결이 없으면 tanh 30층은 기울기가 사라집니다(처음/마지막 ~1e-7). h_k = h_(k-1) + a(z_k)가 "
            "모든 층을 우회하는 기울기 경로를 만들어 약 200 스텝 만에 나선을 학습합니다.",
        ),
        activation="tanh",
        init="default",
        depth=30,
        residual=True,
    ),
    _comparison(
        "sigmoid-vs-relu-vs-leaky-relu",
        ("Sigmoid vs ReLU vs Leaky ReLU, 10 layers", "10층 비교: 시그모이드 · ReLU · Leaky ReLU"),
        (
            "Same data, seed and Kaiming init; only the activation differs: sigmoid's first layers fade "
            "(σ' ≤ 0.25 per layer) while ReLU and Leaky ReLU hold up.",
            "데이터, 시드, Kaiming 초기화가 같고 활성화 함수만 다릅니다: 시그모이드는 층마다 σ' ≤ 0.25가 곱해져 "
            "앞쪽 층의 기울기가 사라지고, ReLU와 Leaky ReLU는 유지됩니다.",
        ),
        DEEP.model_copy(update={"init": "kaiming_normal"}),
        "activation",
        ["sigmoid", "relu", "leaky_relu"],
    ),
    _comparison(
        "init-default-vs-xavier-vs-kaiming",
        (
            "ReLU init: PyTorch default vs Xavier vs Kaiming",
            "ReLU 초기화 비교: PyTorch 기본값 · Xavier · Kaiming",
        ),
        (
            "10 ReLU layers; only the init differs: PyTorch's default shrinks the signal ~0.4x per layer "
            "and the loss stays at ln 2; Xavier learns, Kaiming's Var(w) = 2/fan_in learns fastest.",
            "ReLU 10층에서 초기화만 다릅니다: PyTorch 기본값은 층마다 신호를 약 0.4배로 줄여 기울기가 사라지고, "
            "Xavier는 학습하며 Kaiming의 Var(w) = 2/fan_in이 가장 빠릅니다.",
        ),
        DEEP.model_copy(update={"activation": "relu", "lr": 0.02}),  # 0.02: xavier learns too, more slowly
        "init",
        ["default", "xavier_normal", "kaiming_normal"],
    ),
    _comparison(
        "depth-3-vs-10-vs-30",
        ("Sigmoid depth: 3 vs 10 vs 30 layers", "시그모이드 깊이 비교: 3층 · 10층 · 30층"),
        (
            "Only the depth differs: the chain rule's bound 0.25^L makes layer1's gradient ~1e-2, ~1e-6 "
            "and ~1e-20 of the output's; only the 3-layer net learns.",
            "깊이만 다릅니다: 연쇄 법칙의 상한 0.25^L 때문에 layer1의 기울기는 출력층의 약 1e-2, 1e-6, "
            "1e-20배가 되고 3층 네트워크만 학습합니다.",
        ),
        DEEP.model_copy(update={"activation": "sigmoid", "init": "xavier_uniform", "lr": 0.3}),
        "depth",
        [3, 10, 30],
    ),
]

# Beyond the MLP. The adding problem at T = 50 (Hochreiter & Schmidhuber 1997) with Adam at 0.01 and the LSTM's
# forget-gate bias at 3 (ignored by the others): measured, the LSTM leaves the constant predictor's loss 1/24 behind
# within ~300 steps while the tanh RNN stays on it (tests/test_ml_physics_arch.py).
ADDING = RunConfig(
    architecture="rnn", seq_len=50, n_samples=5000, width=32, optimizer="adam", lr=0.01, forget_bias=3.0,
    max_steps=1500, seed=0,
)  # fmt: skip
# Xiong et al. (2020) at initialisation: Adam 1e-3 without a warm-up, the setting where post-LN struggles. Sequences
# of 10: both leave the constant predictor's loss 1/24 within 300 steps, pre-LN first (at 20, post-LN stayed on it
# for 300 steps and more); tests/test_ml_physics_arch.py. Half the tokens also halve a step's cost.
ENCODER = RunConfig(architecture="transformer", seq_len=10, n_samples=2000, max_steps=500, seed=0)
# 20 tanh conv layers of 16 channels with PyTorch's default init: plain loses ~1e-5 of the gradient by conv1
CONV20 = RunConfig(architecture="cnn", depth=20, width=16, activation="tanh", max_steps=1000, seed=0)

_PRESETS += [
    _comparison(
        "rnn-vs-lstm-vs-gru",
        ("tanh RNN vs LSTM vs GRU on the adding problem", "덧셈 문제 비교: tanh RNN · LSTM · GRU"),
        (
            "Sequences of 50 steps; the answer depends on two values marked early on. The chain rule through time "
            "multiplies diag(tanh')·W_hh at every step, so the RNN's signal from step 50 reaches step 1 at ~1e-12; "
            "the LSTM's cell path multiplies only by the forget gate, keeps it and learns.",
            "길이 50의 시퀀스에서 정답은 앞쪽에 표시된 두 값에 달려 있습니다. 시간에 걸친 연쇄 법칙이 매 스텝 "
            "diag(tanh')·W_hh를 곱해 RNN의 50번째 스텝 신호는 1번째 스텝에 약 1e-12배로 도착합니다(기울기 사라짐). "
            "LSTM의 셀 경로는 망각 게이트만 곱해져 신호를 지키고 학습합니다.",
        ),
        ADDING,
        "architecture",
        ["rnn", "lstm", "gru"],
    ),
    _comparison(
        "rnn-seq-10-vs-50-vs-200",
        ("RNN: sequence length 10 vs 50 vs 200", "RNN 시퀀스 길이 비교: 10 · 50 · 200"),
        (
            "The same tanh RNN on the adding problem; only the length differs. Each step back multiplies the "
            "gradient by a factor below 1, so ||dL/dh_1|| / ||dL/dh_T|| falls exponentially in T: a straight line "
            "on the log axis, steeper the longer the sequence.",
            "같은 tanh RNN과 덧셈 문제에서 길이만 다릅니다. 한 스텝 거슬러 갈 때마다 기울기에 1보다 작은 값이 "
            "곱해져 ||dL/dh_1|| / ||dL/dh_T||가 T에 대해 지수적으로 줄어듭니다(연쇄 법칙). 로그 축에서 직선입니다.",
        ),
        ADDING,
        "seq_len",
        [10, 50, 200],
    ),
    _comparison(
        "post-ln-vs-pre-ln-6",
        (
            "Post-LN vs Pre-LN Transformer at initialisation, 6 layers",
            "트랜스포머 초기화 비교: Post-LN · Pre-LN, 6층",
        ),
        (
            "Only where LayerNorm sits differs. At initialisation post-LN's FFN weight gradients (block k.ffn.w2) "
            "grow towards the last block, which is why it needs a learning-rate warm-up; pre-LN's stay level "
            "(Xiong et al. 2020).",
            "LayerNorm의 위치만 다릅니다. 초기화 시점에 Post-LN의 FFN 가중치 기울기(blockk.ffn.w2)는 마지막 블록으로 "
            "갈수록 커져 학습률 워밍업이 필요하고, Pre-LN은 층마다 고르게 유지됩니다(Xiong et al. 2020).",
        ),
        ENCODER,
        "norm_position",
        ["post", "pre"],
    ),
    _comparison(
        "post-ln-vs-pre-ln-12",
        (
            "Post-LN vs Pre-LN Transformer at initialisation, 12 layers",
            "트랜스포머 초기화 비교: Post-LN · Pre-LN, 12층",
        ),
        (
            "The same comparison with 12 encoder blocks: post-LN's last-to-first FFN gradient ratio grows with "
            "depth, pre-LN's profile stays within a small factor.",
            "인코더 블록 12개로 같은 비교를 합니다: Post-LN의 마지막/첫 블록 FFN 기울기 비율은 깊이와 함께 커지고, "
            "Pre-LN은 작은 배율 안에 머뭅니다.",
        ),
        ENCODER.model_copy(update={"depth": 12}),
        "norm_position",
        ["post", "pre"],
    ),
    _comparison(
        "plain-vs-residual-cnn-20",
        ("Plain vs residual CNN, 20 conv layers", "CNN 비교: 일반 · 잔차 연결, 합성곱 20층"),
        (
            "20 tanh conv layers on the 8x8 digits; only the skip connections differ. Without them conv1's "
            "gradient is ~1e-5 of conv20's and the first layers stop learning; with h = h + a(conv(h)) the "
            "gradient has a path around every layer (He et al. 2016).",
            "8x8 숫자 이미지에 tanh 합성곱 20층, 스킵 연결만 다릅니다. 스킵 연결이 없으면 conv1의 기울기는 conv20의 "
            "약 1e-5배로 기울기 사라짐이 일어나고, h = h + a(conv(h))는 모든 층을 우회하는 경로를 줍니다.",
        ),
        CONV20,
        "residual",
        [False, True],
    ),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}
