"""The built-in lesson: the vanishing gradient (기울기 사라짐), the lecture's argument step by step.

Notation as in the lecture: p_k = a_k(w_k p_{k-1}) is layer k's output (p_0 = x), a_k its activation, w_k its
weights. Steps that show sigmoid-deep share one run: the room watches the same network from the chain rule
to the stalled first layer. Written as data, exactly as a lecturer's own file would be (docs/lessons.md).
"""

from app.lessons.files import validate
from app.lessons.model import Lesson

_SIGMOID = {"kind": "preset", "preset": "sigmoid-deep"}

_STEPS = [
    {
        "title": {"en": "A deep network", "ko": "깊은 신경망"},
        "text": {
            "en": "Ten sigmoid layers on the spiral. Layer k takes the previous output p_(k-1), multiplies it "
            "by its weights w_k and applies its activation a_k. Watch the gradient each layer receives: "
            "the first layers' bars sit far below the last ones'.",
            "ko": "나선 데이터를 학습하는 시그모이드 10층 신경망입니다. k번째 층은 앞 층의 출력 p_(k-1)에 가중치 "
            "w_k를 곱하고 활성화 함수 a_k를 적용합니다. 층마다 받는 기울기를 보세요. 앞쪽 층의 기울기가 뒤쪽 "
            "층보다 훨씬 작습니다.",
        },
        "formula": r"p_1 = a_1(w_1 x),\quad p_k = a_k(w_k\, p_{k-1}),\quad \hat{y} = p_n",
        "view": _SIGMOID,
        "highlight": "gradflow",
    },
    {
        "title": {"en": "The chain rule", "ko": "연쇄 법칙"},
        "text": {
            "en": "How much does the output move when w_1 moves? The chain rule answers with a product: "
            "one factor per layer between w_1 and the output.",
            "ko": "w_1이 바뀌면 출력은 얼마나 바뀔까요? 연쇄 법칙은 곱으로 답합니다. w_1과 출력 사이에 있는 "
            "층마다 인수가 하나씩 곱해집니다.",
        },
        "formula": r"\frac{\partial p_n}{\partial w_1} = \frac{\partial p_n}{\partial p_{n-1}} \cdots "
        r"\frac{\partial p_2}{\partial p_1} \cdot \frac{\partial p_1}{\partial w_1}",
        "view": _SIGMOID,
        "highlight": "chainrule",
        "numbers": ["deriv", "product"],
    },
    {
        "title": {"en": "Each factor is a′ times w", "ko": "각 인수는 a′ 곱하기 w"},
        "text": {
            "en": "Differentiating p_k = a_k(w_k p_(k-1)) gives a_k′·w_k. Multiplied out, the gradient of the "
            "first layer is the product of every a′ and every w, times the input x. The panel shows each "
            "measured a′(z_k) and ‖W_k‖ of the run on screen, and the running product.",
            "ko": "p_k = a_k(w_k p_(k-1))를 미분하면 a_k′·w_k입니다. 모두 곱하면 첫 번째 층의 기울기는 모든 "
            "a′와 모든 w의 곱에 입력 x를 곱한 값입니다. 패널에는 지금 학습 중인 네트워크에서 측정한 층별 "
            "a′(z_k)와 ‖W_k‖, 그리고 누적 곱이 나옵니다.",
        },
        "formula": r"\frac{\partial p_k}{\partial p_{k-1}} = a_k^\prime\, w_k \;\Rightarrow\; "
        r"\frac{\partial p_n}{\partial w_1} = \Big(\prod_{k=1}^{n} a_k^\prime\Big)"
        r"\Big(\prod_{k=2}^{n} w_k\Big)\, x",
        "view": _SIGMOID,
        "highlight": "chainrule",
        "numbers": ["deriv", "weight", "product"],
    },
    {
        "title": {"en": "σ′ is at most 1/4", "ko": "σ′는 1/4을 넘지 않는다"},
        "text": {
            "en": "The sigmoid's slope peaks at z = 0, where it is 1/4, and falls towards 0 on both sides. "
            "The bars are the measured z of layers 1 and 10 of the run: where its units sit on σ′.",
            "ko": "시그모이드의 기울기는 z = 0에서 최댓값 1/4이고, 양쪽으로 갈수록 0에 가까워집니다. 막대는 "
            "학습 중인 네트워크의 1층과 10층에서 측정한 z의 분포입니다. 유닛들이 σ′ 곡선의 어디에 있는지 "
            "보여 줍니다.",
        },
        "formula": r"\sigma(z) = \frac{1}{1+e^{-z}},\quad \sigma^\prime(z) = \sigma(z)\,\big(1-\sigma(z)\big) "
        r"\le \frac{1}{4}",
        "view": {
            "kind": "function",
            "activations": ["sigmoid"],
            "measure": {"preset": "sigmoid-deep", "layers": [1, 10]},
        },
        "highlight": "function",
    },
    {
        "title": {"en": "So the product goes to 0", "ko": "그래서 곱은 0으로 간다"},
        "text": {
            "en": "Every sigmoid layer multiplies the gradient by at most 1/4: ten layers give at most "
            "one millionth. Measured at initialisation, the first layer's gradient falls with depth along "
            "the bound, while ReLU's holds.",
            "ko": "시그모이드 층은 지날 때마다 기울기에 1/4 이하의 값을 곱합니다. 10층이면 최대 백만분의 1입니다. "
            "초기화 직후에 측정한 첫 번째 층의 기울기는 깊이가 깊어질수록 상한선을 따라 줄어들고, ReLU의 "
            "기울기는 유지됩니다.",
        },
        "formula": r"\prod_{k=1}^{n} a_k^\prime \le \Big(\frac{1}{4}\Big)^{n},\qquad "
        r"\Big(\frac{1}{4}\Big)^{10} \approx 9.5 \times 10^{-7}",
        "view": {"kind": "sweep", "max_depth": 20, "seeds": 2},
        "highlight": "sweep",
    },
    {
        "title": {"en": "The first layers stop learning", "ko": "앞쪽 층은 학습을 멈춘다"},
        "text": {
            "en": "Gradient descent moves w_1 by α times its gradient. With a gradient a million times "
            "smaller, w_1 barely moves: its update ratio stays far below the 1e-3 guide, and the loss "
            "stays at ln 2.",
            "ko": "경사 하강법은 w_1을 기울기의 α배만큼 옮깁니다. 기울기가 백만 배 작으면 w_1은 거의 움직이지 "
            "않습니다. 업데이트 비율은 1e-3 기준선보다 한참 아래에 있고, 손실은 ln 2에서 내려가지 않습니다.",
        },
        "formula": r"w_1 \leftarrow w_1 - \alpha\, \frac{\partial L}{\partial w_1} \approx w_1",
        "view": _SIGMOID,
        "highlight": "update",
        "numbers": ["grad_first", "update_first"],
    },
    {
        "title": {"en": "ReLU: a′ = 1 for z > 0", "ko": "ReLU: z > 0이면 a′ = 1"},
        "text": {
            "en": "ReLU passes a positive z unchanged, so its slope there is exactly 1: an active unit "
            "multiplies the gradient by 1, not by 1/4. The bars are the measured z of a 10-layer ReLU run.",
            "ko": "ReLU는 양수 z를 그대로 통과시키므로 그 구간의 기울기는 정확히 1입니다. 활성 유닛은 기울기에 "
            "1/4이 아니라 1을 곱합니다. 막대는 ReLU 10층 네트워크에서 측정한 z의 분포입니다.",
        },
        "formula": r"\mathrm{ReLU}(z) = \max(0, z),\quad "
        r"\mathrm{ReLU}^\prime(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
        "view": {
            "kind": "function",
            "activations": ["relu"],
            "measure": {"preset": "relu-deep", "layers": [1, 10]},
        },
        "highlight": "function",
    },
    {
        "title": {"en": "Leaky ReLU: no dead units", "ko": "Leaky ReLU: 죽은 유닛이 없다"},
        "text": {
            "en": "A ReLU unit whose z is negative for every input passes no gradient at all: it is dead. "
            "Leaky ReLU keeps a small slope α below 0, so every unit still passes some gradient.",
            "ko": "모든 입력에서 z가 음수인 ReLU 유닛은 기울기를 전혀 전달하지 못합니다. 죽은 유닛입니다. "
            "Leaky ReLU는 0보다 작은 구간에도 작은 기울기 α를 남겨 두어, 모든 유닛이 기울기를 조금이라도 "
            "전달합니다.",
        },
        "formula": r"\mathrm{LReLU}(z) = \max(\alpha z, z),\quad "
        r"\mathrm{LReLU}^\prime(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases},"
        r"\quad \alpha = 0.01",
        "view": {
            "kind": "function",
            "activations": ["leaky_relu", "relu"],
            "measure": {"preset": "leaky-relu-deep", "layers": [1]},
        },
        "highlight": "function",
    },
    {
        "title": {"en": "Side by side", "ko": "나란히 비교하기"},
        "text": {
            "en": "The same data, seed and initialisation; only the activation differs. The sigmoid's "
            "first layers fade, ReLU's and Leaky ReLU's hold up, and only they learn the spiral.",
            "ko": "데이터, 시드, 초기화가 모두 같고 활성화 함수만 다릅니다. 시그모이드는 앞쪽 층의 기울기가 "
            "사라지고, ReLU와 Leaky ReLU는 유지되며, 이 둘만 나선을 학습합니다.",
        },
        "formula": r"\sigma^\prime \le 0.25 \quad\text{vs}\quad \mathrm{ReLU}^\prime = 1 \;(z > 0)",
        "view": {"kind": "preset", "preset": "sigmoid-vs-relu-vs-leaky-relu"},
        "highlight": "gradflow",
        "numbers": ["product", "grad_first"],
    },
]

VANISHING_GRADIENT: Lesson = validate(
    {
        "id": "vanishing-gradient",
        "title": {"en": "The vanishing gradient", "ko": "기울기 사라짐"},
        "summary": {
            "en": "Why deep sigmoid networks stop learning, and how ReLU and Leaky ReLU fix it: the chain rule, "
            "live.",
            "ko": "깊은 시그모이드 신경망이 학습을 멈추는 이유와 ReLU, Leaky ReLU가 이를 해결하는 방법을 연쇄 "
            "법칙으로 실시간으로 살펴봅니다.",
        },
        "steps": _STEPS,
    },
    "built-in lesson",
)

BUILTIN: dict[str, Lesson] = {VANISHING_GRADIENT.id: VANISHING_GRADIENT}
