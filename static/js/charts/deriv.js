// Comparison: mean a′(z_k) per layer per run (the chain rule's factors), with each run's own bound sup|a′(z)|
// from the registry (0.25 for the sigmoid, 1 for tanh and ReLU), named after its activation.

import { t } from "../i18n.js";
import { activationName, derivBound } from "../registry.js";
import { layout, lineWidth, markerSize, runColors } from "../theme.js";
import { changed, guide, noData, react, runLabel } from "./plot.js";
import { layerAxis } from "./layeraxis.js";

const DASHES = ["solid", "dash", "dot", "dashdot"];

/** One guide per distinct bound, named by the activations that share it ("ReLU, Leaky ReLU: a′ ≤ 1"). */
export function boundGuides(states, colors) {
  const byBound = new Map(); // bound -> {names, color}
  for (const s of states) {
    const key = s.run.config?.activation;
    const bound = derivBound(key);
    if (bound === null) continue;
    const entry = byBound.get(bound) ?? { names: [], color: colors.get(s.run.id) };
    if (!entry.names.includes(activationName(key))) entry.names.push(activationName(key));
    byBound.set(bound, entry);
  }
  return Array.from(byBound, ([bound, { names, color }]) => ({
    bound,
    color,
    name: t("chart.deriv.bound", { activation: names.join(", "), bound: String(Number(bound.toPrecision(3))) }),
  }));
}

export function derivChart(el, store) {
  return {
    name: "deriv",
    cost: "plotly",
    el,
    draw() {
      const states = Array.from(store.runs.values()).filter((s) => s.latestFull);
      if (!states.length) return noData(el);
      if (!changed(this, states.map((s) => s.latestFull.step).join())) return null;
      const colors = runColors(states);
      const axis = layerAxis(states);
      // Runs of one activation draw their a′ on top of each other (3 vs 10 vs 30 sigmoid layers all near 0.24):
      // a dash per run and shrinking lines keep every one in sight.
      const traces = states.map((s, i) => ({
        type: "scatter",
        mode: "lines+markers",
        x: axis.x(s), // this run's own layers (the output layer has no a′: its point is empty)
        y: s.latestFull.layers.map((l) => l.mean_act_deriv ?? null),
        name: runLabel(s),
        line: { color: colors.get(s.run.id), width: lineWidth() * (1.6 - 0.3 * i), dash: DASHES[i % DASHES.length] },
        marker: { size: markerSize() * (1.2 - 0.2 * i), color: colors.get(s.run.id) },
        meta: { run: s.run.id, step: s.latestFull.step },
      }));
      const xs = traces.flatMap((tr) => tr.x);
      const guides = boundGuides(states, colors);
      for (const g of guides) {
        const line = guide(
          xs[0],
          xs.reduce((a, v) => (axis.shared ? v : Math.max(a, v)), xs[0]),
          g.bound,
          g.name,
          g.color,
          "dot",
        );
        traces.push({ ...line, meta: { bound: g.bound } });
      }
      const lay = layout({ x: axis.title, y: t("axis.mean_act_deriv"), legend: false }); // legend: the page's
      axis.layout(lay);
      // Each bound named on the chart itself (the legend is the page's): "sigmoid: a′ ≤ 0.25".
      lay.annotations = guides.map((g) => ({
        x: 1,
        xref: "paper",
        y: g.bound,
        yref: "y",
        text: g.name,
        xanchor: "right",
        yanchor: "bottom",
        showarrow: false,
        font: { color: g.color },
      }));
      // Room for every plotted value and every bound: 0 … 0.3 for sigmoids alone, 0 … 1.1 once a bound is 1.
      const top = Math.max(
        0.3,
        ...guides.map((g) => g.bound * 1.1),
        ...traces
          .flatMap((tr) => tr.y)
          .filter((v) => v !== null && Number.isFinite(v))
          .map((v) => v * 1.05),
      );
      lay.yaxis.range = [0, Math.ceil(top * 10) / 10];
      react(el, traces, lay);
      return Math.max(...states.map((s) => s.latestFull.t || 0));
    },
  };
}
