// Comparison: mean a'(z_k) per layer per run (the chain rule's factors), with the sigmoid's 0.25 bound.

import { t } from "../i18n.js";
import { layout, lineWidth, runColors } from "../theme.js";
import { changed, guide, layerLabels, noData, react, runLabel } from "./plot.js";

export const SIGMOID_DERIV_BOUND = 0.25; // max of s(z)(1 - s(z)), at z = 0

export function derivChart(el, store) {
  return {
    name: "deriv",
    cost: "plotly",
    el,
    draw() {
      const states = Array.from(store.runs.values()).filter((s) => s.latestFull);
      if (!states.length) return noData(el), 0;
      if (!changed(this, states.map((s) => s.latestFull.step).join())) return null;
      const colors = runColors(states);
      const traces = states.map((s) => ({
        type: "scatter",
        mode: "lines",
        x: layerLabels(s.run.layer_names),
        y: s.latestFull.layers.map((l) => l.mean_act_deriv ?? null),
        name: runLabel(s),
        line: { color: colors.get(s.run.id), width: lineWidth() },
      }));
      const x = traces.reduce((a, tr) => (tr.x.length > a.length ? tr.x : a), []); // the deepest run's layers
      traces.push(guide(x[0], x[x.length - 1], SIGMOID_DERIV_BOUND, t("chart.deriv.bound")));
      const lay = layout({ x: t("axis.layer"), y: t("axis.mean_act_deriv"), legend: false }); // legend: the page's
      lay.xaxis.type = "category";
      lay.xaxis.categoryorder = "array";
      lay.xaxis.categoryarray = x;
      const top = Math.max(1.05, ...traces.flatMap((tr) => tr.y).filter((v) => v !== null));
      lay.yaxis.range = [0, Math.ceil(top * 10) / 10];
      react(el, traces, lay);
      return Math.max(...states.map((s) => s.latestFull.t || 0));
    },
  };
}
