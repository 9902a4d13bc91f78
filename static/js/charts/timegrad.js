// Gradient through time: ||dL/dh_t|| over t = 1..T of each recurrent run's newest display step, on a log axis,
// and the verdict in words (first ÷ last time step).

import { h } from "../dom.js";
import { sci } from "../format.js";
import { has, t } from "../i18n.js";
import { runLabel } from "./plot.js";
import { profileChart } from "./profile.js";

// The architectures whose display-rate records carry `time` (docs/protocol.md): the cards show for these only.
const RECURRENT = ["rnn", "lstm", "gru"];
const TIME_CARDS = ['[data-chart="timegrad"]', '[data-chart="timeheat"]'];

/** Whether a run sends gradients through time (by its config, or by a record that already carried them). */
export const isRecurrent = (s) => RECURRENT.includes(s.run.config?.architecture) || Boolean(s.latestFull?.time);

/** Show the time cards only when some run of the view is recurrent (call on every snapshot). */
export function showTimeCards(store) {
  const any = Array.from(store.runs.values()).some(isRecurrent);
  for (const sel of TIME_CARDS) document.querySelector(sel)?.toggleAttribute("hidden", !any);
}

/** {T, ratio}: ||dL/dh_1|| ÷ ||dL/dh_T|| of one time profile, or null when it cannot be read. */
export function timeRatio(time) {
  const g = time?.hidden_grad_norm ?? [];
  const first = g[0];
  const last = g[g.length - 1];
  if (first === null || first === undefined || !(last > 0)) return null;
  return { T: time.t[time.t.length - 1], ratio: first / last };
}

/** The chain rule's factor per step in words: its mean over t = 2..T, its product over those steps, and the
 * factor measured per step back (the T-1-th root of ||dL/dh_1|| ÷ ||dL/dh_T||). */
function factorText(s) {
  const { step_factor: factors, hidden_grad_norm: g } = s.latestFull.time;
  const f = factors?.slice(1) ?? [];
  const key = `time.factor.${s.run.config?.architecture}`;
  if (!f.length || !has(key)) return "";
  const mean = f.reduce((a, b) => a + b, 0) / f.length;
  const product = Math.exp(f.reduce((a, b) => a + Math.log(Math.max(b, 1e-300)), 0));
  const ratio = timeRatio(s.latestFull.time)?.ratio;
  const measured = ratio > 0 ? ratio ** (1 / (g.length - 1)) : null;
  return t(key, { mean: sci(mean, 2), product: sci(product, 2), measured: sci(measured, 2) });
}

/** The newest display-rate record's ||dL/dh_t|| over t = 1..T. */
const overTime = (s) => (s.latestFull?.time ? { x: s.latestFull.time.t, y: s.latestFull.time.hidden_grad_norm, step: s.latestFull.step } : null);

/** One line per run in words: how much of the gradient reaches step 1, and the factor per step back. */
function sayVerdicts(verdictEl, states) {
  const lines = states.map((s) => {
    const v = timeRatio(s.latestFull.time);
    const text = v ? t("time.verdict", { T: v.T, ratio: sci(v.ratio) }) : "—";
    const line = h("span", { class: "time-verdict-line", text: states.length > 1 ? `${runLabel(s)}: ${text}` : text });
    const factor = factorText(s);
    return factor ? h("span", {}, line, h("span", { class: "time-factor-line", text: factor })) : line;
  });
  verdictEl.replaceChildren(...lines);
}

export function timegradChart(el, verdictEl, store) {
  showTimeCards(store); // hidden until a snapshot brings a recurrent run
  return profileChart("timegrad", el, store, {
    profile: overTime,
    axes: ["axis.time_step", "axis.hidden_grad"],
    after: verdictEl ? (states) => sayVerdicts(verdictEl, states) : null,
  });
}
