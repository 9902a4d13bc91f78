"""JSON exports built by hand (the shape GET /api/records/{id}/export.json gives), for import tests."""

import json

T0 = 1764150000.0  # 2025-11-26, unix seconds


def export_doc(steps: int = 5, layers: tuple[str, ...] = ("layer1", "output"), **run) -> dict:
    """A valid export of an external run with `steps` plain step records."""
    history = [
        {
            "step": i,
            "t": T0 + i,
            "loss": 1.0 / i,
            "layers": [
                {"name": n, "weight_grad_norm": 0.1 * (k + 1), "bias_grad_norm": None}
                for k, n in enumerate(layers)
            ],
        }
        for i in range(1, steps + 1)
    ]
    return {
        "format": "gradcast-run",
        "version": 1,
        "run": {
            "name": "imported",
            "status": "finished",
            "created": T0,
            "config": {"model": "MLP"},
            "layer_names": list(layers),
            **run,
        },
        "events": [{"t": T0 + steps, "status": "finished", "step": steps, "reason": None}],
        "history": history,
    }


def raw(doc: dict, **tokens: str) -> bytes:
    """doc as JSON text with placeholder strings replaced by raw tokens: raw(d, X="NaN") turns "X" into NaN."""
    text = json.dumps(doc)
    for placeholder, token in tokens.items():
        text = text.replace(json.dumps(placeholder), token)
    return text.encode()
