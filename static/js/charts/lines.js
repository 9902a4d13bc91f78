// c. Per-layer ||dL/dW_k|| over steps, log y: a few layers (first, evenly spaced, last) keep it light.

import { t } from "../i18n.js";
import { colorAt, layout, lineWidth } from "../theme.js";
import { changed, decadeStep, layerLabels, noData, react, StickyLogRange, windowed } from "./plot.js";
import { NONFINITE_MARKER, nonFiniteAt } from "./nonfinite.js";
import { groupable, grouping, groupsOf, modeOf, reduce } from "../grouping.js";

const MAX_LINES = 5;

/** Indices of at most MAX_LINES layers: always the first and the last. */
export function pickLayers(count) {
  if (count <= MAX_LINES) return Array.from({ length: count }, (_, i) => i);
  const picked = new Set();
  for (let j = 0; j < MAX_LINES; j++) picked.add(Math.round((j * (count - 1)) / (MAX_LINES - 1)));
  return Array.from(picked);
}

export function linesChart(el, store) {
  const range = new StickyLogRange();
  return {
    name: "lines",
    cost: "plotly",
    el,
    reset: () => range.reset(),
    draw() {
      const s = store.runs.values().next().value;
      if (!s || !s.steps.length) return noData(el);
      if (!changed(this, `${s.lastStep}|${grouping.version}`)) return null;
      const x = windowed(s.steps);
      // Lines per group of layers for an external run (grouping.js), the ones picked in the card or a spread.
      const groups = groupable(s.run) ? groupsOf(s.run, modeOf(s.run)) : null;
      const grads = windowed(s.weightGradNorm);
      const labels = groups ? groups.map((g) => g.label) : layerLabels(s.run.layer_names);
      const picked = groups && grouping.picked ? grouping.picked.filter((k) => k < labels.length) : pickLayers(labels.length);
      const traces = picked.map((k, j) => ({
        type: "scatter",
        mode: "lines",
        x,
        y: groups ? grads.map((g) => reduce(g, [groups[k]])[0]) : grads.map((g) => g[k]),
        name: groups ? labels[k] : `${t("axis.layer_short")} ${labels[k]}`,
        line: { color: colorAt(j), width: lineWidth() },
      }));
      const lay = layout({ x: t("axis.step"), y: t("axis.grad_norm"), ylog: true, steps: true });
      // Every plotted value, not a sample: an explosion that lasts a few steps must not run off the top.
      lay.yaxis.range = range.fit(traces.flatMap((tr) => tr.y));
      lay.yaxis.dtick = decadeStep(lay.yaxis.range);
      const bad =
        lay.yaxis.range &&
        nonFiniteAt(
          x,
          grads.map((g) => (g.some((v) => v === null) ? null : 0)),
          10 ** (lay.yaxis.range[1] - 0.15),
        );
      if (bad) traces.push({ ...NONFINITE_MARKER(t("chart.nonfinite_steps")), ...bad, meta: { nonfinite: true } });
      react(el, traces, lay);
      return s.latestT;
    },
  };
}
