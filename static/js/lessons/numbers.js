// The live numbers beside a step's formula: measured a'(z_k), ||W_k||, their running product, the first layer's
// gradient and update, read from the store (the run on screen), one line per run.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { sci } from "../format.js";
import { runColors } from "../theme.js";
import { runLabel } from "../charts/plot.js";

const hidden = (rec) => rec.layers.filter((l) => l.name !== "output" && l.mean_act_deriv !== null && l.mean_act_deriv !== undefined);

/** The text of one number for one run's newest records, or null when not measured yet. */
function value(name, s) {
  const full = s.latestFull;
  const layers = full ? hidden(full) : [];
  switch (name) {
    case "deriv":
      return layers.length
        ? t("lesson.num.deriv", { first: sci(layers[0].mean_act_deriv), last: sci(layers[layers.length - 1].mean_act_deriv) })
        : null;
    case "weight":
      return layers.length ? t("lesson.num.weight", { first: sci(layers[0].weight_norm), last: sci(layers[layers.length - 1].weight_norm) }) : null;
    case "product":
      return layers.length ? t("lesson.num.product", { value: sci(layers.reduce((p, l) => p * l.mean_act_deriv, 1)) }) : null;
    case "grad_first": {
      const g = s.latest?.layers?.[0]?.weight_grad_norm;
      return g === undefined || g === null ? null : t("lesson.num.grad_first", { value: sci(g) });
    }
    case "update_first": {
      const u = full?.layers?.[0]?.update_ratio;
      return u === undefined || u === null ? null : t("lesson.num.update_first", { value: sci(u) });
    }
    default:
      return null;
  }
}

/** root: the numbers box; getNames() -> the step's numbers (may be empty: the box is hidden). */
export function numbersView(root, store, getNames) {
  let shown = "";
  return {
    name: "lesson-numbers",
    cost: "dom",
    every: 250, // ms: numbers people read, not a flicker
    el: root,
    draw() {
      const names = getNames();
      const states = Array.from(store.runs.values()).filter((s) => s.latest);
      root.hidden = !names.length || !states.length;
      if (root.hidden) return 0;
      const colors = runColors(states);
      const rows = states.map((s) => ({ s, items: names.map((n) => [n, value(n, s)]).filter(([, v]) => v !== null) }));
      const key = JSON.stringify(rows.map(({ s, items }) => [s.run.id, s.run.step, items, document.documentElement.lang]));
      if (key === shown) return 0;
      shown = key;
      const many = states.length > 1;
      root.replaceChildren(
        ...rows.map(({ s, items }) =>
          h(
            "p",
            { class: "lesson-number-row", "data-run": s.run.id },
            many ? h("span", { class: "swatch", style: `background:${colors.get(s.run.id)}` }) : null,
            many ? h("strong", { class: "run-label", text: runLabel(s) }) : null,
            ...items.map(([n, text]) => h("span", { class: "lesson-number", "data-number": n, text })),
            h("span", { class: "lesson-number-step", text: t("lesson.num.live", { step: s.run.step ?? s.lastStep }) }),
          ),
        ),
      );
      return 0;
    },
  };
}
