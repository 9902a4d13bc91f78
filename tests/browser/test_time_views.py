"""Gradient through time and the Transformer's FFN view in Debian's chromium, against a real server training."""

import httpx
import pytest

from tests.browser.support import Watched

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPOSE = "() => import('/static/js/pages/live.js').then((m) => { window.__live = m.live; })"
NEWEST_TIME = (
    "() => { const s = window.__live.store.runs.values().next().value; return s.latestFull?.time ?? null; }"
)


def create_run(url: str, **config) -> str:
    resp = httpx.post(f"{url}/api/runs", json={"steps_per_second": 10, **config}, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_a_recurrent_run_shows_dl_dh_t_over_time_and_says_how_much_reaches_step_1(srv, context):
    rid = create_run(srv.url, architecture="rnn", seq_len=12, width=8, n_samples=200, max_steps=400)
    w = Watched(context, srv.url, viewport=(1400, 2400))
    w.goto(f"/runs/{rid}", ready="live")
    w.page.evaluate(EXPOSE)
    w.wait("document.getElementById('chart-timegrad')?.data?.length === 1", 30_000)
    assert w.page.is_visible('[data-chart="timegrad"]') and w.page.is_visible('[data-chart="timeheat"]')
    assert not w.page.is_visible('[data-chart="ffnw2"]')
    trace = w.plot("timegrad")[0]
    step = trace["meta"]["step"]
    time = w.page.evaluate(
        "(step) => window.__live.store.runs.values().next().value.full.find((r) => r.step === step).time",
        step,
    )
    assert trace["y"] == time["hidden_grad_norm"]  # what is drawn is what the server sent
    ratio = time["hidden_grad_norm"][0] / time["hidden_grad_norm"][-1]
    assert ratio < 1e-1  # a tanh RNN at the start of training: the signal fades back through time
    verdict = w.page.text_content('[data-role="time-verdict"]')
    assert "from step 12 reaches step 1 at" in verdict and "‖diag(a′)·W_hh‖" in verdict
    top = w.page.text_content('[data-role="verdicts"], .verdict')
    assert "step 12" in top  # the run's verdict speaks of the gradient through time
    w.wait("document.getElementById('chart-timeheat')?.data?.[0]?.x?.length >= 2", 30_000)
    w.assert_clean()


def test_an_mlp_run_hides_the_time_cards_and_a_transformer_shows_its_ffn_w2_per_block(srv, context):
    mlp = create_run(srv.url, depth=2, width=4, n_samples=100, max_steps=50)
    w = Watched(context, srv.url)
    w.goto(f"/runs/{mlp}", ready="live")
    w.wait("document.getElementById('chart-gradflow')?.data?.length >= 1", 30_000)
    assert not w.page.is_visible('[data-chart="timegrad"]') and not w.page.is_visible('[data-chart="ffnw2"]')
    tf = create_run(
        srv.url,
        architecture="transformer",
        depth=3,
        width=8,
        heads=2,
        ffn_width=16,
        seq_len=10,
        max_steps=50,
    )
    w.goto(f"/runs/{tf}", ready="live")
    w.wait("document.getElementById('chart-ffnw2')?.data?.length === 1", 30_000)
    trace = w.plot("ffnw2")[0]
    assert len(trace["y"]) == 3 and all(v > 0 for v in trace["y"])
    assert not w.page.is_visible('[data-chart="timegrad"]')
    w.assert_clean()


def test_picking_an_architecture_in_the_builder_sets_its_own_defaults_and_trains_it(srv, context):
    w = Watched(context, srv.url)
    page = w.goto("/?lang=ko", ready="home")  # the browser itself asks for English (Accept-Language: en-US)
    page.select_option('select[name="architecture"]', "rnn")
    assert page.input_value('select[name="dataset"]') == "adding"
    assert page.input_value('select[name="activation"]') == "tanh"
    page.select_option('select[name="architecture"]', "cnn")
    assert page.input_value('select[name="dataset"]') == "digits"
    assert page.input_value('select[name="activation"]') == "relu"  # back to the schema's default
    page.select_option('select[name="architecture"]', "lstm")
    page.fill('input[name="seq_len"]', "10")
    page.fill('input[name="width"]', "8")
    page.fill('input[name="max_steps"]', "20")
    page.click('form[data-role="builder"] button[type="submit"]')
    page.wait_for_url("**/runs/*")
    run = httpx.get(f"{srv.url}/api/runs/{page.url.rsplit('/', 1)[1]}").json()
    config = run["config"]
    assert (config["architecture"], config["dataset"], config["seq_len"]) == ("lstm", "adding", 10)
    assert run["name"] == "LSTM · 유닛 8개 · T = 10"  # named after what it is, in the page's language
    w.assert_clean()


def test_a_recurrent_comparison_draws_one_time_line_per_run_and_marks_a_prime_not_measured(srv, context):
    started = httpx.post(
        f"{srv.url}/api/presets/rnn-seq-10-vs-50-vs-200/runs", json={"paused": True}, timeout=30
    ).json()
    group = started["group"]
    assert httpx.post(f"{srv.url}/api/groups/{group}/step", timeout=60).status_code == 200
    w = Watched(context, srv.url, viewport=(1400, 2000))
    w.goto(f"/groups/{group}", ready="live")
    w.wait("document.getElementById('chart-timegrad')?.data?.length === 3", 30_000)
    lengths = sorted(len(trace["y"]) for trace in w.plot("timegrad"))
    assert lengths == [10, 50, 200]  # each run's own T
    assert "missing" in w.page.get_attribute('[data-chart="deriv"]', "class")
    assert w.page.locator('[data-role="time-verdict"] .time-verdict-line').count() == 3
    w.assert_clean()


CHAIN_CARDS = """() => {
  const s = window.__live.store.runs.values().next().value;
  const f = s?.latestFull?.time?.step_factor ?? [];
  const cards = [...document.querySelectorAll('[data-chart="chainrule"] [data-time-step]')];
  return {
    T: f.length,
    shown: cards.map((c) => Number(c.dataset.timeStep)),
    drawn: cards.map((c) => c.querySelector('.factor-deriv').textContent),
    sent: cards.map((c) => window.__sci(f[Number(c.dataset.timeStep) - 1], 2)),
    explain: document.querySelector('[data-role="chain-time-explain"]')?.textContent,
    summary: document.querySelector('[data-role="chain-time-summary"]')?.textContent,
    missing: document.querySelector('[data-chart="chainrule"]').classList.contains('missing'),
    walkHidden: document.querySelector('[data-role="chain-walk"]').hidden,
  };
}"""
DRAWN_IS_SENT = f"(() => {{ const g = ({CHAIN_CARDS})(); return g.shown.length > 0 && g.drawn.join() === g.sent.join(); }})()"


@pytest.mark.parametrize(("arch", "words"), [("rnn", "diag(a′(z_t))·W_hh"), ("lstm", "forget gate f_t")])
def test_the_chain_rule_card_of_a_recurrent_run_multiplies_one_factor_per_step_back(
    srv, context, arch, words
):
    rid = create_run(srv.url, architecture=arch, seq_len=12, width=8, n_samples=200, max_steps=20)
    w = Watched(context, srv.url, viewport=(1400, 2400))
    w.goto(f"/runs/{rid}", ready="live")
    w.page.evaluate(EXPOSE)
    w.page.evaluate("() => import('/static/js/format.js').then((m) => { window.__sci = m.sci; })")
    # finished: the newest display record no longer changes, so the card and the store can be compared
    w.wait("window.__live.store.runs.values().next().value?.run.status === 'finished'", 60_000)
    w.wait(DRAWN_IS_SENT, 30_000)  # each step's factor drawn is the one the server measured
    got = w.page.evaluate(CHAIN_CARDS)
    assert got["T"] == 12
    assert got["shown"] == [12, 11, 10, 3, 2]  # output side first, ⋯ between
    assert words in got["explain"]
    assert "Product of the 11" in got["summary"] and "‖∂L/∂h_12‖" in got["summary"]
    assert not got["missing"] and got["walkHidden"]
    w.assert_clean()
