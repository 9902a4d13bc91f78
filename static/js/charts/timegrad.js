// Gradient through time: ||dL/dh_t|| over t = 1..T of each recurrent run's newest display step, on a log axis,
// and the verdict in words (first ÷ last time step).

import { h } from "../dom.js";
import { sci } from "../format.js";
import { has, t } from "../i18n.js";
import { layout, lineWidth, runColors } from "../theme.js";
import { changed, decadeStep, react, runLabel, StickyLogRange } from "./plot.js";

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

export function timegradChart(el, verdictEl, store) {
  const range = new StickyLogRange();
  showTimeCards(store); // hidden until a snapshot brings a recurrent run
  return {
    name: "timegrad",
    cost: "plotly",
    el,
    reset: () => range.reset(),
    draw() {
      const all = Array.from(store.runs.values());
      const states = all.filter((s) => s.latestFull?.time);
      if (!states.length) return null;
      if (!changed(this, states.map((s) => s.latestFull.step).join())) return null;
      const colors = runColors(all); // the same colour per run as every other chart of the view
      const traces = states.map((s) => ({
        type: "scatter",
        mode: "lines",
        x: s.latestFull.time.t,
        y: s.latestFull.time.hidden_grad_norm,
        name: runLabel(s),
        line: { color: colors.get(s.run.id), width: lineWidth() },
        meta: { run: s.run.id, step: s.latestFull.step },
      }));
      const lay = layout({ x: t("axis.time_step"), y: t("axis.hidden_grad"), ylog: true, legend: states.length > 1 });
      lay.yaxis.range = range.fit(traces.flatMap((tr) => tr.y));
      lay.yaxis.dtick = decadeStep(lay.yaxis.range);
      react(el, traces, lay);
      if (verdictEl) {
        const lines = states.map((s) => {
          const v = timeRatio(s.latestFull.time);
          const text = v ? t("time.verdict", { T: v.T, ratio: sci(v.ratio) }) : "—";
          const line = h("span", { class: "time-verdict-line", text: states.length > 1 ? `${runLabel(s)}: ${text}` : text });
          const factor = factorText(s);
          return factor ? h("span", {}, line, h("span", { class: "time-factor-line", text: factor })) : line;
        });
        verdictEl.replaceChildren(...lines);
      }
      return Math.max(...states.map((s) => s.latestT));
    },
  };
}
