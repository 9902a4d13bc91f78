"""Weight-initialisation registry. Every draw comes from the run's own torch.Generator, never the global RNG."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from app.ml.config import RunConfig

# (weight (out, in), bias (out,), config, generator) -> None, in place
InitFn = Callable[[Tensor, Tensor, "RunConfig", torch.Generator], None]


@dataclass(frozen=True, slots=True)
class Init:
    """One initialisation scheme for a Linear layer's weight and bias."""

    key: str  # registry key = form value = JSON value
    label: str
    apply: InitFn
    description: str  # the variance it aims for, in one line
    label_ko: str = ""  # the label in Korean
    explain: tuple[str, str] = ("", "")  # (en, ko): when to use it and what it does, one line for the builder


def _default(w: Tensor, b: Tensor, cfg: RunConfig, g: torch.Generator) -> None:
    # Exactly nn.Linear.reset_parameters, but drawn from our generator.
    nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
    bound = 1.0 / math.sqrt(w.shape[1])
    nn.init.uniform_(b, -bound, bound, generator=g)


def _kaiming_args(cfg: RunConfig) -> dict[str, Any]:
    # He init for the rectifier in use; Leaky ReLU's gain depends on its slope.
    if cfg.activation == "leaky_relu":
        return {"a": cfg.negative_slope, "nonlinearity": "leaky_relu"}
    return {"nonlinearity": "relu"}


def _weights_then_zero_bias(draw: Callable[[Tensor, RunConfig, torch.Generator], object]) -> InitFn:
    def apply(w: Tensor, b: Tensor, cfg: RunConfig, g: torch.Generator) -> None:
        draw(w, cfg, g)
        nn.init.zeros_(b)

    return apply


INITS: dict[str, Init] = {
    i.key: i
    for i in [
        Init("default", "PyTorch default", _default,
             "U(±1/√fan_in) weights and biases (kaiming_uniform with a=√5): Var(w) = 1/(3·fan_in)",
             label_ko="PyTorch 기본값",
             explain=("What nn.Linear does when nobody chooses: a little too small for deep ReLU nets, whose signal shrinks ~0.4× per layer.",
                      "아무것도 고르지 않을 때 nn.Linear가 쓰는 값: 깊은 ReLU 신경망에는 조금 작아서 신호가 층마다 약 0.4배로 줄어듭니다.")),
        Init("xavier_uniform", "Xavier (Glorot) uniform",
             _weights_then_zero_bias(lambda w, c, g: nn.init.xavier_uniform_(w, generator=g)),
             "Var(w) = 2/(fan_in+fan_out): keeps the signal's variance for tanh/sigmoid near 0",
             label_ko="Xavier (Glorot) 균등",
             explain=("For tanh and the sigmoid: keeps the signal's variance from layer to layer while z stays near 0.",
                      "tanh와 시그모이드용: z가 0 근처에 있는 동안 층에서 층으로 신호의 분산을 유지합니다.")),
        Init("xavier_normal", "Xavier (Glorot) normal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.xavier_normal_(w, generator=g)),
             "Var(w) = 2/(fan_in+fan_out), Gaussian",
             label_ko="Xavier (Glorot) 정규",
             explain=("For tanh and the sigmoid: keeps the signal's variance from layer to layer while z stays near 0 (Gaussian draw).",
                      "tanh와 시그모이드용: z가 0 근처에 있는 동안 층에서 층으로 신호의 분산을 유지합니다 (가우스 분포).")),
        Init("kaiming_uniform", "Kaiming (He) uniform",
             _weights_then_zero_bias(lambda w, c, g: nn.init.kaiming_uniform_(w, generator=g, **_kaiming_args(c))),
             "Var(w) = 2/fan_in: makes up for ReLU zeroing half the units",
             label_ko="Kaiming (He) 균등",
             explain=("For the ReLU family: twice Xavier's variance makes up for the half of the units that output 0.",
                      "ReLU 계열용: 출력이 0인 절반의 유닛을 메우려고 분산을 Xavier의 두 배로 잡습니다.")),
        Init("kaiming_normal", "Kaiming (He) normal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.kaiming_normal_(w, generator=g, **_kaiming_args(c))),
             "Var(w) = 2/fan_in, Gaussian",
             label_ko="Kaiming (He) 정규",
             explain=("For the ReLU family: twice Xavier's variance makes up for the half of the units that output 0 (Gaussian draw).",
                      "ReLU 계열용: 출력이 0인 절반의 유닛을 메우려고 분산을 Xavier의 두 배로 잡습니다 (가우스 분포).")),
        Init("lecun_normal", "LeCun normal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.normal_(w, 0.0, 1.0 / math.sqrt(w.shape[1]), generator=g)),
             "Var(w) = 1/fan_in: the self-normalising SELU's partner",
             label_ko="LeCun 정규",
             explain=("For SELU: the variance its self-normalisation assumes.",
                      "SELU용: 자기 정규화가 전제하는 분산입니다.")),
        Init("orthogonal", "Orthogonal",
             _weights_then_zero_bias(lambda w, c, g: nn.init.orthogonal_(w, generator=g)),
             "a (semi-)orthogonal matrix: every singular value is 1",
             label_ko="직교",
             explain=("Every singular value 1: a linear layer neither grows nor shrinks the signal.",
                      "모든 특잇값이 1: 선형 층이 신호를 키우지도 줄이지도 않습니다.")),
        Init("normal", "Normal (fixed std)",
             _weights_then_zero_bias(lambda w, c, g: nn.init.normal_(w, 0.0, c.init_std, generator=g)),
             "N(0, init_std²) whatever the layer's size: too large explodes, too small vanishes",
             label_ko="정규 (고정 표준편차)",
             explain=("A fixed std whatever the layer's size: too large explodes, too small vanishes (set init_std).",
                      "층의 크기와 상관없는 고정 표준편차: 너무 크면 폭발하고 너무 작으면 사라집니다 (init_std로 설정).")),
        Init("zeros", "Zeros", _weights_then_zero_bias(lambda w, c, g: nn.init.zeros_(w)),
             "all zero: every unit in a layer stays identical (symmetry is never broken)",
             label_ko="모두 0",
             explain=("All zero: every unit in a layer stays the same, so the network never learns (a counter-example).",
                      "모두 0: 한 층의 유닛이 모두 같게 남아 신경망이 학습하지 못합니다 (반례).")),
    ]
}  # fmt: skip
