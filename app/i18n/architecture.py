"""UI strings of the architectures beyond the MLP: the builder's fields and options, key -> {"en", "ko"}."""

STRINGS: dict[str, dict[str, str]] = {
    "field.architecture": {"en": "architecture", "ko": "신경망 구조"},
    "field.seq_len": {"en": "sequence length T", "ko": "시퀀스 길이 T"},
    "field.recurrent_init": {"en": "recurrent weight init (W_hh)", "ko": "순환 가중치 초기화 (W_hh)"},
    "field.recurrent_gain": {"en": "recurrent init scale", "ko": "순환 초기화 배율"},
    "field.forget_bias": {"en": "LSTM forget-gate bias", "ko": "LSTM 망각 게이트 편향"},
    "field.heads": {"en": "attention heads", "ko": "어텐션 헤드 수"},
    "field.ffn_width": {"en": "feed-forward width", "ko": "피드포워드 너비"},
    "field.norm_position": {"en": "LayerNorm position", "ko": "LayerNorm 위치"},
    "field.warmup_steps": {"en": "learning-rate warm-up steps", "ko": "학습률 워밍업 단계 수"},
    "chart.ffnw2": {
        "en": "Transformer: ‖∂L/∂W2‖ of each block's feed-forward net",
        "ko": "트랜스포머: 블록별 피드포워드 신경망의 ‖∂L/∂W2‖",
    },
    "ffnw2.explain": {
        "en": "Xiong et al. (2020), Fig. 3: at initialisation post-LN's grows towards the last block, pre-LN's stays level.",
        "ko": "Xiong et al. (2020) 그림 3: 초기화 시점에 Post-LN은 마지막 블록으로 갈수록 커지고, Pre-LN은 고르게 유지됩니다.",
    },
    "axis.block": {"en": "encoder block", "ko": "인코더 블록"},
    "axis.ffn_w2": {"en": "‖∂L/∂W2‖ (log)", "ko": "‖∂L/∂W2‖ (로그)"},
    "chain.elsewhere.layers": {
        "en": "This card writes out an MLP's layers; for this network the per-layer gradients above show the "
        "same product.",
        "ko": "이 카드는 MLP의 층을 풀어 씁니다. 이 신경망에서는 위의 층별 기울기가 같은 곱을 보여 줍니다.",
    },
    "chart.deriv.not_measured": {
        "en": "a′(z) per layer is measured for MLP and CNN layers; these networks' factors are shown above.",
        "ko": "층별 a′(z)는 MLP와 CNN 층에서만 측정합니다. 이 신경망들의 인수는 위에 있습니다.",
    },
    "option.mlp": {"en": "MLP (fully connected)", "ko": "MLP (완전 연결)"},
    "option.rnn": {"en": "RNN (tanh)", "ko": "RNN (tanh)"},
    "option.lstm": {"en": "LSTM", "ko": "LSTM"},
    "option.gru": {"en": "GRU", "ko": "GRU"},
    "option.cnn": {"en": "CNN (3x3 convolutions)", "ko": "CNN (3x3 합성곱)"},
    "option.transformer": {"en": "Transformer encoder", "ko": "트랜스포머 인코더"},
    "option.adding": {"en": "adding problem (sequences)", "ko": "덧셈 문제 (시퀀스)"},
    "option.temporal_order": {"en": "temporal order (sequences)", "ko": "시간 순서 문제 (시퀀스)"},
    "option.post": {"en": "post-LN (after the residual add)", "ko": "Post-LN (잔차 덧셈 뒤)"},
    "option.pre": {"en": "pre-LN (before each sublayer)", "ko": "Pre-LN (각 하위 층 앞)"},
    "option.identity": {"en": "identity × scale", "ko": "항등 행렬 × 배율"},
}
