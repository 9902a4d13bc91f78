// Comparison: first ÷ last layer ||dL/dW|| over steps per run, log y, with the 1e-3 vanishing line.

import { t } from "../i18n.js";
import { VANISHING_BELOW, gradRatio } from "../verdict.js";
import { layout, lineWidth, runColors } from "../theme.js";
import { changed, decadeStep, guide, noData, react, runLabel, StickyLogRange, stepRange, windowed } from "./plot.js";
import { NONFINITE_MARKER, nonFiniteAt } from "./nonfinite.js";

export function ratioChart(el, store) {
  const range = new StickyLogRange(0.25, 4);
  return {
    name: "ratio",
    cost: "plotly",
    el,
    reset: () => range.reset(),
    draw() {
      const states = Array.from(store.runs.values()).filter((s) => s.steps.length);
      if (!states.length) return noData(el);
      if (!changed(this, states.map((s) => s.lastStep).join())) return null;
      const colors = runColors(states);
      // Each run's window once: the lines and the non-finite marks read the same steps.
      const windows = new Map(states.map((s) => [s, { steps: windowed(s.steps), grads: windowed(s.weightGradNorm) }]));
      const traces = states.map((s) => ({
        type: "scatter",
        mode: "lines",
        x: windows.get(s).steps,
        y: windows.get(s).grads.map(gradRatio),
        name: runLabel(s),
        line: { color: colors.get(s.run.id), width: lineWidth() },
        meta: { run: s.run.id },
      }));
      const x0 = Math.min(...traces.map((tr) => tr.x[0]));
      const x1 = Math.max(...traces.map((tr) => tr.x[tr.x.length - 1]));
      traces.push(guide(x0, x1, VANISHING_BELOW, t("chart.ratio.zone")));
      const lay = layout({ x: t("axis.step"), y: t("axis.ratio"), ylog: true, legend: false, steps: true }); // legend: the page's
      lay.yaxis.range = range.fit([1, VANISHING_BELOW, ...traces.flatMap((tr) => tr.y)]); // every plotted value
      lay.yaxis.dtick = decadeStep(lay.yaxis.range);
      for (const s of states) {
        const { steps, grads } = windows.get(s);
        const ys = grads.map((g) => (g.some((v) => v === null) ? null : 0));
        const bad = nonFiniteAt(steps, ys, 10 ** (lay.yaxis.range[1] - 0.15));
        if (bad)
          traces.push({
            ...NONFINITE_MARKER(t("chart.nonfinite_run", { run: runLabel(s) })),
            ...bad,
            marker: { ...NONFINITE_MARKER("").marker, color: colors.get(s.run.id) },
            meta: { nonfinite: true, run: s.run.id },
          });
      }
      lay.xaxis.range = stepRange(traces, el);
      react(el, traces, lay);
      return Math.max(...states.map((s) => s.latestT));
    },
  };
}
