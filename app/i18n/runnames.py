"""A run's default name per architecture: what it is, filled from its config (app/web/naming.py).

The MLP keeps the short `activation-depthxwidth` that recorded runs are searched by ("20x32")."""

STRINGS: dict[str, dict[str, str]] = {
    "run.name.mlp": {"en": "{activation}-{depth}x{width}", "ko": "{activation}-{depth}x{width}"},
    # the vanilla RNN's a() is the config's activation; the gated cells fix theirs (sigmoid gates, tanh)
    "run.name.rnn": {
        "en": "RNN · {activation} · {width} units · T = {seq_len}",
        "ko": "RNN · {activation} · 유닛 {width}개 · T = {seq_len}",
    },
    "run.name.lstm": {
        "en": "LSTM · {width} units · T = {seq_len}",
        "ko": "LSTM · 유닛 {width}개 · T = {seq_len}",
    },
    "run.name.gru": {
        "en": "GRU · {width} units · T = {seq_len}",
        "ko": "GRU · 유닛 {width}개 · T = {seq_len}",
    },
    "run.name.cnn": {
        "en": "CNN · {activation} · {depth} conv layers × {width} channels",
        "ko": "CNN · {activation} · 합성곱 {depth}층 × 채널 {width}개",
    },
    "run.name.transformer": {
        "en": "Transformer · {norm_position}-LN · {depth} blocks · d = {width}",
        "ko": "트랜스포머 · {norm_position}-LN · 블록 {depth}개 · d = {width}",
    },
}
