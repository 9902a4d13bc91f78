// The chain rule through time, for the chain-rule card of a recurrent run: ∂L/∂h_1 = ∂L/∂h_T · one factor per
// step back, each factor's measured size beneath it (the record's time.step_factor: ‖diag(a′(z_t))·W_hh‖ for the
// tanh RNN, the forget gate f_t on the LSTM's cell path, the update gate z_t on the GRU's direct path), then one
// card per step back, output side first, with the running product.

import { h } from "../dom.js";
import { sci } from "../format.js";
import { has, t } from "../i18n.js";
import { dL, m, mi, mo, showFormula, sub, withValue } from "./mathml.js";

const SHOWN_END = 3; // steps written out next to the output (t = T, T-1, T-2) ...
const SHOWN_START = 2; // ... and next to the input (t = 3, 2); ⋯ between

// architecture -> the state the product runs along and one step's factor as MathML (t: a number or "t")
const paren = (c) => {
  const el = mo(c);
  el.setAttribute("stretchy", "false"); // the values written beneath must not stretch them
  return el;
};
const FACTORS = {
  rnn: { state: "h", math: (k) => m("mrow", mi("diag"), paren("("), sub("a′", k), paren(")"), sub("W", "hh")), name: (k) => `‖diag(a′${k})·W_hh‖` },
  lstm: { state: "c", math: (k) => sub("f", k), name: (k) => `f${k}` },
  gru: { state: "h", math: (k) => sub("z", k), name: (k) => `z${k}` },
};

/** The time steps written out, output side first: [T, T-1, T-2, null (⋯), 3, 2], or every step when few. */
export function shownSteps(T) {
  const all = Array.from({ length: T - 1 }, (_, i) => T - i); // T .. 2
  return all.length <= SHOWN_END + SHOWN_START + 1 ? all : [...all.slice(0, SHOWN_END), null, ...all.slice(-SHOWN_START)];
}

/** Whether this run's chain rule is drawn through time (a recurrent architecture with a time profile). */
export const drawsThroughTime = (s) => Boolean(s.latestFull?.time?.step_factor?.length > 1 && FACTORS[s.run.config?.architecture]);

/** Fill the card's formula and factor row with the run's chain rule through time; returns T. */
export function renderTimeChain(formula, factors, s) {
  const arch = s.run.config.architecture;
  const spec = FACTORS[arch];
  const { step_factor: f, hidden_grad_norm: g } = s.latestFull.time;
  const T = f.length;
  const steps = shownSteps(T);
  const x = spec.state;

  // The formula names the first and the last factor only (⋯ between): the cards below write out more of them.
  const parts = [dL(sub(x, 1)), mo(arch === "rnn" ? "=" : "←"), dL(sub(x, T))];
  for (const k of T > 3 ? [T, null, 2] : steps) {
    parts.push(mo(arch === "rnn" ? "·" : "⊙"));
    if (k === null) {
      parts.push(mo("⋯"));
      continue;
    }
    parts.push(withValue(spec.math(k), sci(f[k - 1], 2)));
  }
  showFormula(formula, parts);

  // The running product from step T down to step k (every step counted, also those behind ⋯).
  const running = new Array(T + 1).fill(1);
  for (let k = T; k >= 2; k -= 1) running[k] = (k === T ? 1 : running[k + 1]) * f[k - 1];
  const scale = Math.max(1, ...f); // the bar: 0 … max(1, largest factor), a tick at 1
  const cards = steps.map((k) => {
    if (k === null) return h("div", { class: "factor-card gap", text: "⋯" });
    const width = Math.min(100, Math.max(0, (f[k - 1] / scale) * 100));
    return h(
      "div",
      { class: "factor-card", "data-time-step": String(k) },
      h("span", { class: "factor-name", text: `t = ${k}` }),
      h("span", { class: "factor-deriv", title: spec.name(k), text: sci(f[k - 1], 2) }),
      h(
        "span",
        { class: "deriv-bar" },
        h("span", { class: "deriv-fill", style: `width:${width}%` }),
        h("span", { class: "deriv-bound", style: `left:calc(${100 / scale}% - 3px)` }),
      ),
      h("span", { class: "factor-product", title: t("chain.product"), text: `∏ ${sci(running[k], 2)}` }),
    );
  });
  // Measured: what actually reaches step 1, in all and per step back (the T-1-th root). For the RNN the norms'
  // product only bounds it from above (‖AB‖ ≤ ‖A‖·‖B‖): the factors' directions decide the rest.
  const measured = g[0] > 0 && g[T - 1] > 0 ? g[0] / g[T - 1] : null;
  const explain = has(`chain.time.${arch}`) ? t(`chain.time.${arch}`) : "";
  const summary = t(`chain.time.summary${arch === "rnn" ? ".bound" : ""}`, {
    n: T - 1,
    product: sci(running[2], 2),
    T,
    measured: measured === null ? "—" : sci(measured, 2),
    per_step: measured === null ? "—" : sci(measured ** (1 / (T - 1)), 2),
  });
  factors.dataset.bound = "1";
  factors.replaceChildren(
    h("p", { class: "bound-note", "data-role": "chain-time-explain", text: `▏${explain}` }),
    ...cards,
    h("p", { class: "chain-time-summary", "data-role": "chain-time-summary", text: summary }),
  );
  return T;
}
