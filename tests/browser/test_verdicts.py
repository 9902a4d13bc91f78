"""The verdict rule and its words where they live: static/js/verdict.js and charts/verdicts.js, run in chromium on
run states built to show each case, in English and Korean; then on real runs of the presets."""

import re

import pytest

from tests.browser.support import Watched, start_preset
from tests.support.server import live_server

pytestmark = [pytest.mark.browser]

# Builds a RunState-like object (what store.js holds) from a compact description, and returns the verdict as
# data and as text in one language. grads: per step [first, ..., last] ||dL/dW||; full: per hidden layer
# {mean_act_deriv, saturated_frac, dead_frac} of the newest display-rate record (first: of the first one).
VERDICT = """async ([spec, lang]) => {
  const { verdictOf } = await import('/static/js/verdict.js');
  const { sentence } = await import('/static/js/charts/verdicts.js');
  const i18n = await import('/static/js/i18n.js');
  i18n.setLang(lang);
  const record = (step, hidden) => hidden && ({ step, layers: [...hidden.map((l, i) => ({ name: 'layer' + (i + 1), ...l })), { name: 'output' }] });
  const steps = spec.grads.map((_, i) => i + 1);
  const state = {
    run: { status: spec.status || 'running', step: steps.length, config: spec.config, reason: null },
    steps, weightGradNorm: spec.grads,
    latestFull: record(steps.length, spec.full), firstFull: record(1, spec.first || spec.full),
    divergedStep: spec.diverged_at ?? null,
  };
  const v = verdictOf(state);
  return { kind: v.kind, cause: v.cause ? v.cause.kind : null, text: sentence(v) };
}"""

TANH = {"activation": "tanh", "init": "xavier_normal"}
RELU = {"activation": "relu", "init": "kaiming_normal"}
SIGMOID = {"activation": "sigmoid", "init": "default"}


def hidden(n, **metrics):
    return [dict(metrics) for _ in range(n)]


def run(config, grads, full=None, first=None, **state):
    """A run to judge (see VERDICT): its config, ||dL/dW|| [first, last] per step, its hidden layers' metrics on
    the newest display-rate record (and on the first one, when they differ); status and diverged_at if any."""
    spec = {"config": config, "grads": grads, **state}
    spec |= {k: v for k, v in (("full", full), ("first", first)) if v is not None}
    return spec


# case -> (the run, its verdict's kind, its cause)
CASES = {
    # sigmoid: the 0.25 bound, measured a′ multiply to ~1e-7
    "vanishing": (
        run(SIGMOID, [[4e-6, 1.0]] * 20, hidden(10, mean_act_deriv=0.22, saturated_frac=0.0)),
        "vanishing",
        "bound",
    ),
    "healthy": (
        run(RELU, [[3.0, 1.0]] * 20, hidden(10, mean_act_deriv=0.5, dead_frac=0.05)),
        "healthy",
        None,
    ),
    # tanh began healthy (ratio 0.64, a′ near 1) and its units saturated during training
    "saturated": (
        run(
            TANH,
            [[0.64, 1.0]] + [[8e-6, 1.0]] * 20,
            hidden(20, mean_act_deriv=0.4, saturated_frac=0.05),
            first=hidden(20, mean_act_deriv=0.95, saturated_frac=0.0),
        ),
        "vanishing",
        "deriv_fell",
    ),
    "saturated_share": (
        run(TANH, [[1e-5, 1.0]] * 20, hidden(10, mean_act_deriv=0.1, saturated_frac=0.6)),
        "vanishing",
        "saturated",
    ),
    "dead": (
        run(RELU, [[0.5, 1.0]] + [[1e-7, 1.0]] * 20, hidden(10, mean_act_deriv=0.1, dead_frac=0.7)),
        "vanishing",
        "dead",
    ),
    "exploding": (
        run({"activation": "relu", "init": "normal"}, [[5e4, 1.0]] * 20, hidden(10, mean_act_deriv=0.5)),
        "exploding",
        "weights_large",
    ),
    "diverged": (
        run(RELU, [[2e5, 1.0], [1.2e6, 3.0], [None, None]], diverged_at=3, status="diverged"),
        "diverged",
        None,
    ),
    "relu_default": (
        run({"activation": "relu", "init": "default"}, [[1e-5, 1.0]] * 20, hidden(10, mean_act_deriv=0.5)),
        "vanishing",
        "weights_small",
    ),
}

ENGLISH = {
    "vanishing": [
        "4×10⁻⁶ of the last layer's gradient: vanishing",
        "Sigmoid's a′ never exceeds 0.25",
        "multiply to 2.7×10⁻⁷",
    ],
    "healthy": ["The first layer gets 3× the last layer's gradient: healthy."],
    "saturated": [
        "At step 1: 0.64 → now 8×10⁻⁶",
        "The tanh units saturated during training",
        "against 0.36 at step 1",
    ],
    "saturated_share": ["60% of the tanh units are saturated (a′ < 0.01)"],
    "dead": ["The ReLU units died during training: 70% of them output 0"],
    "exploding": [
        "5×10⁴× the last layer's gradient: exploding",
        "The weights (Normal (fixed std)) grow the gradient",
    ],
    "diverged": [
        "Diverged at step 3",
        "the gradient exploded: it reached 1.2×10⁶",
        "At step 1 the ratio was 2×10⁵",
    ],
    "relu_default": [
        "the weights (PyTorch default) shrink the gradient",
        "recommended init is Kaiming (He) normal",
    ],
}
KOREAN = {
    "vanishing": [
        "마지막 층 기울기의 4×10⁻⁶배",
        "기울기 사라짐",
        "시그모이드의 a′는 0.25보다 커지지 않습니다",
    ],
    "healthy": ["마지막 층 기울기의 3배입니다: 건강함"],
    "saturated": ["1 단계에서는 0.64, 지금은 8×10⁻⁶입니다", "학습 중에 tanh 유닛이 포화되었습니다"],
    "saturated_share": ["tanh 유닛의 60%가 포화되어"],
    "dead": ["학습 중에 ReLU 유닛이 죽었습니다"],
    "exploding": ["기울기 폭발", "가중치(정규 (고정 표준편차))가 층마다 기울기를 키웁니다"],
    "diverged": ["3 단계에서 발산", "1.2×10⁶까지 커졌습니다"],
    "relu_default": ["가중치(PyTorch 기본값)가 층마다 기울기를 줄입니다", "Kaiming (He) 정규"],
}
# What may stay in Latin letters in a Korean sentence: names of activations, inits and symbols.
LATIN_OK = {"tanh", "ReLU", "PyTorch", "Kaiming", "He", "Xavier", "Glorot", "NaN", "a", "L", "W", "k"}


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    with live_server(tmp_path_factory.mktemp("verdicts")) as srv:
        ctx = browser.new_context()
        w = Watched(ctx, srv.url)
        w.goto("/sweep?max_depth=1&seeds=1", ready="sweep")  # any page: it carries the catalogue and registry
        yield w
        w.assert_clean()
        ctx.close()


@pytest.mark.parametrize("case", list(CASES))
def test_verdict_kind_cause_and_words_in_both_languages(page, case):
    spec, kind, cause = CASES[case]
    en = page.page.evaluate(VERDICT, [spec, "en"])
    assert (en["kind"], en["cause"]) == (kind, cause), en
    for part in ENGLISH[case]:
        assert part in en["text"], (part, en["text"])
    ko = page.page.evaluate(VERDICT, [spec, "ko"])
    assert (ko["kind"], ko["cause"]) == (kind, cause)
    for part in KOREAN[case]:
        assert part in ko["text"], (part, ko["text"])
    assert set(re.findall(r"[A-Za-z]+", ko["text"])) <= LATIN_OK, ko["text"]  # Korean reads as Korean


def test_multiples_read_as_multiples_and_fractions_as_fractions(page):
    words = page.page.evaluate(
        """async () => { const { amount } = await import('/static/js/charts/verdicts.js');
        (await import('/static/js/i18n.js')).setLang('en');
        return [amount(3), amount(1234), amount(0.64), amount(4e-6)]; }"""
    )
    assert words == [
        "3× the last layer's gradient",
        "1.2×10³× the last layer's gradient",
        "0.64 of the last layer's gradient",
        "4×10⁻⁶ of the last layer's gradient",
    ]


@pytest.mark.slow
def test_real_runs_read_vanishing_healthy_and_diverged(browser, tmp_path):
    with live_server(tmp_path) as srv:
        ctx = browser.new_context()
        try:
            started = start_preset(srv.url, "sigmoid-vs-relu-vs-leaky-relu", steps_per_second=25)
            w = Watched(ctx, srv.url, viewport=(1400, 1200))
            w.goto(f"/groups/{started['group']}?lang=ko", ready="live")
            w.page.wait_for_function(
                "() => document.querySelectorAll('.verdict[data-init-ratio]:not([data-init-ratio=\"\"])').length === 3",
                timeout=60_000,
            )
            by_act = {r["id"]: r["config"]["activation"] for r in started["runs"]}
            got = {
                by_act[el.get_attribute("data-run")]: (
                    el.get_attribute("data-kind"),
                    el.get_attribute("data-cause"),
                )
                for el in w.page.query_selector_all(".verdict[data-run]")
            }
            assert got == {
                "sigmoid": ("vanishing", "bound"),
                "relu": ("healthy", ""),
                "leaky_relu": ("healthy", ""),
            }
            text = w.page.locator(".verdict[data-kind='vanishing']").inner_text()
            assert "시그모이드의 a′는 0.25보다 커지지 않습니다" in text and "1 단계에서는" in text
            exploding = start_preset(srv.url, "exploding", steps_per_second=10)["runs"][0]
            w.goto(f"/runs/{exploding['id']}", ready="live")
            w.page.wait_for_selector('.verdict[data-kind="diverged"]', timeout=60_000)
            assert "exploded" in w.page.locator(".verdict").inner_text()
            w.assert_clean()
        finally:
            ctx.close()
