// The verdict in plain words per run, with status and step: what the room reads first.

import { $, h, SEL } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { sci } from "../format.js";
import { verdictOf } from "../verdict.js";
import { activationName, initName } from "../registry.js";
import { runColors } from "../theme.js";
import { runLabel } from "./plot.js";

const pct = (share) => `${Math.round(share * 100)}%`;
const boundText = (bound) => String(Number(bound.toPrecision(3)));

/** "3× the last layer's gradient" for a multiple, "4×10⁻⁶ of the last layer's gradient" for a fraction. */
export function amount(ratio) {
  return ratio >= 1 ? t("verdict.amount_times", { ratio: sci(ratio, 2) }) : t("verdict.amount_of", { ratio: sci(ratio, 2) });
}

/** The cause in one sentence ("" when the data names none). */
export function causeText(c) {
  if (!c) return "";
  const vars = {
    activation: activationName(c.activation),
    init: initName(c.init),
    recommended: initName(c.recommendedInit),
    bound: boundText(c.bound),
  };
  if (c.kind === "dead") return t(c.during ? "verdict.cause.dead_during" : "verdict.cause.dead", { ...vars, share: pct(c.share) });
  if (c.kind === "saturated") return t(c.during ? "verdict.cause.saturated_during" : "verdict.cause.saturated", { ...vars, share: pct(c.share) });
  if (c.kind === "bound") return t("verdict.cause.bound", { ...vars, layers: c.layers, product: sci(c.product, 2) });
  if (c.kind === "deriv_fell")
    // biome-ignore lint/suspicious/noThenProperty: `then` is the verdict's value at step 1, never awaited
    return t("verdict.cause.deriv_fell", { ...vars, layers: c.layers, product: sci(c.product, 2), then: sci(c.then, 2), step: c.thenStep });
  if (c.kind === "deriv_small") return t("verdict.cause.deriv_small", { ...vars, layers: c.layers, product: sci(c.product, 2) });
  if (c.kind === "weights_small") return t(c.init === c.recommendedInit ? "verdict.cause.weights_small" : "verdict.cause.weights_small_init", vars);
  if (c.kind === "weights_large") return t("verdict.cause.weights_large", vars);
  return "";
}

/** A sentence that opens with an activation's name ("sigmoid's a′ …") starts with a capital in English. */
const sentenceCase = (text) => (getLang() === "en" ? text[0].toUpperCase() + text.slice(1) : text);

/** The verdict in plain words: what it is now, what it was at the first step, and why. */
export function sentence(v) {
  if (v.through === "time") return t(`verdict.time.${v.kind}`, { ratio: sci(v.ratio, v.kind === "exploding" ? 2 : 1), T: v.T });
  if (v.kind === "failed") return t("verdict.failed", { reason: v.reason });
  if (v.kind === "waiting") return t("verdict.waiting");
  const parts = [];
  if (v.kind === "diverged") {
    parts.push(t("verdict.diverged", { step: v.step }));
    if (v.exploded) parts.push(t("verdict.cause.exploded_first", { max: sci(v.maxNorm, 2) }));
    // biome-ignore lint/suspicious/noThenProperty: `then` is the verdict's value at step 1, never awaited
    if (v.init) parts.push(t("verdict.at_first", { step: v.init.step, then: sci(v.init.ratio, 2) }));
    return parts.join(" ");
  }
  parts.push(t("verdict.main", { amount: amount(v.ratio), state: t(`verdict.short.${v.kind}`) }));
  // biome-ignore lint/suspicious/noThenProperty: `then` is the verdict's value at step 1, never awaited
  if (v.init) parts.push(t("verdict.since", { step: v.init.step, then: sci(v.init.ratio, 2), now: sci(v.ratio, 2) }));
  const cause = causeText(v.cause);
  if (cause) parts.push(sentenceCase(cause));
  return parts.join(" ");
}

/** The verdict sentences, rewritten at most 4 times a second: readable from the back row, and a rewrite costs
 * the page a style and layout pass. */
export function verdictsView(root, store) {
  const box = $(SEL.verdicts, root);
  let shown = "";
  return {
    name: "verdicts",
    cost: "dom",
    every: 250, // ms
    el: box,
    draw() {
      const states = Array.from(store.runs.values());
      if (!states.length) return 0;
      const colors = runColors(states);
      const many = states.length > 1;
      const rows = states.map((s) => ({ s, v: verdictOf(s) }));
      const key = JSON.stringify(rows.map(({ s, v }) => [s.run.id, document.documentElement.lang, runLabel(s), sentence(v)]));
      if (key === shown) return 0;
      shown = key;
      box.classList.toggle("many", many);
      box.replaceChildren(
        ...rows.map(({ s, v }) =>
          h(
            "p",
            {
              class: "verdict",
              "data-kind": v.kind,
              "data-cause": v.cause?.kind ?? "",
              "data-run": s.run.id,
              "data-ratio": v.ratio ?? "",
              "data-init-ratio": v.init?.ratio ?? "",
              style: `--run-color:${colors.get(s.run.id)}`,
            },
            many ? h("span", { class: "swatch", style: `background:${colors.get(s.run.id)}` }) : null,
            many ? h("strong", { class: "run-label", text: runLabel(s) }) : null,
            h("span", { class: "verdict-short", text: t(`verdict.short.${v.kind}`) }),
            h("span", { class: "verdict-text", text: sentence(v) }),
          ),
        ),
      );
      return 0;
    },
  };
}

/** The status badge and the step counter: every frame (two short texts). */
export function progressView(root, store) {
  const statusEl = $(SEL.status, root);
  const stepEl = $(SEL.step, root);
  return {
    name: "progress",
    cost: "dom",
    el: stepEl,
    draw() {
      const states = Array.from(store.runs.values());
      if (!states.length) return 0;
      const status = store.status();
      statusEl.textContent = t(`status.${status}`);
      statusEl.dataset.status = status;
      const step = Math.max(...states.map((s) => s.run.step ?? s.lastStep));
      const max = states[0].run.max_steps;
      stepEl.textContent = max ? t("run.step_of", { step, max }) : t("run.step", { step });
      return 0;
    },
  };
}
