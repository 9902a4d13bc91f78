"""What the trainer yields per step: the contract between the ML core and everything downstream.

Floats may be NaN/inf here (a diverged step); the wire layer turns them into null plus a flag.
"""

from dataclasses import dataclass, field
from typing import Any

# The display-rate scalar metrics of a layer, in wire order: the one list the wire, the store and ingest share
# (gradcast.protocol, standard library only, so that clients elsewhere use the same definition).
from gradcast.protocol import DISPLAY_LAYER_METRICS

__all__ = ["DISPLAY_LAYER_METRICS", "JsonObject", "LayerRecord", "StepRecord"]

# A JSON object as it goes on the wire (values: numbers, strings, lists, nested objects).
JsonObject = dict[str, Any]


@dataclass(slots=True)
class LayerRecord:
    """One layer's numbers at one step. Layers are listed input -> output with stable names."""

    name: str  # "layer1" .. "layerN" (hidden), "output"
    weight_grad_norm: float  # ||dL/dW_k||_2 (Frobenius), every step
    bias_grad_norm: float | None = None  # ||dL/db_k||_2, every step (None: no bias)
    # Display-rate metrics (None on the steps between):
    act_grad_norm: float | None = None  # ||dL/dh_k||_2 over the batch: the backpropagated signal
    mean_act_deriv: float | None = None  # mean a'(z_k) over batch and units: the lecture's factor
    # ||W_k||_2 (Frobenius) of the weights the step's gradients were taken at (before its update)
    weight_norm: float | None = None
    update_ratio: float | None = None  # ||dW_k|| / ||W_k|| of this step's optimizer update
    saturated_frac: float | None = None  # sigmoid/tanh-like units with a'(z) < 0.01 on the whole batch
    dead_frac: float | None = None  # ReLU units that output 0 for the whole batch
    grad_hist: list[int] | None = None  # counts of |dL/dW| on HIST_EDGES (a sample of elements)


@dataclass(slots=True)
class StepRecord:
    """One optimisation step. `full` marks a display step: the display-rate metrics were taken (the name is the
    stored and exported field's; everywhere else such a step is called a display step)."""

    step: int  # 1-based: the number of optimizer steps taken so far
    loss: float  # training loss of this step's batch (cross-entropy in nats; mean squared error for 'adding')
    layers: list[LayerRecord]
    full: bool = False
    train_acc: float | None = None  # fraction correct on the whole training set (display rate)
    test_acc: float | None = None
    test_loss: float | None = None
    boundary: JsonObject | None = None  # 2-D data only: {"x": [..], "y": [..], "z": [[class of each cell]]}
    diverged: JsonObject | None = None  # {"step", "layer", "what"} on the first non-finite loss or gradient
    # Recurrent models, display rate: {"t": [1..T], "hidden_grad_norm": [||dL/dh_t||_2 over the batch]}
    time: JsonObject | None = None
    t: float = 0.0  # unix time in seconds when the metrics were taken
    extra: JsonObject = field(default_factory=dict)
