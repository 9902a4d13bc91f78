// b. Layer x step heat map of log10 ||dL/dW_k||, scrolling with time (the newest HEAT_WINDOW steps).

import { t } from "../i18n.js";
import { layout } from "../theme.js";
import { HEAT_WINDOW, changed, layerLabels, noData, react } from "./plot.js";
import { heatChart } from "./heatbase.js";
import { NONFINITE_MARKER } from "./nonfinite.js";
import { groupable, grouping, groupsOf, modeOf, reduce } from "../grouping.js";

export function heatmapChart(el, store) {
  return heatChart("heatmap", el, function draw(scale) {
    const s = store.runs.values().next().value;
    if (!s || !s.steps.length) return noData(el);
    if (!changed(this, `${s.lastStep}|${grouping.version}`)) return null;
    const n = s.steps.length;
    const from = Math.max(0, n - HEAT_WINDOW);
    const x = s.steps.slice(from);
    // A row per group of layers for a big external model (grouping.js), else per layer.
    const groups = groupable(s.run) ? groupsOf(s.run, modeOf(s.run)) : null;
    const cols = [];
    for (let i = from; i < n; i++) cols.push(groups ? reduce(s.weightGradNorm[i], groups) : s.weightGradNorm[i]);
    const layers = groups ? groups.length : s.run.layer_names.length;
    const z = [];
    for (let k = 0; k < layers; k++) z.push(cols.map((col) => scale.log(col[k])));
    const labels = layerLabels(s.run.layer_names);
    // A cell whose gradient is not finite (null on the wire) is crossed, not left as a silent gap.
    const bad = { x: [], y: [] };
    for (let i = from; i < n; i++) {
      s.weightGradNorm[i].forEach((g, k) => {
        // (a group of layers shows its finite part)
        if (g === null && !groups) {
          bad.x.push(s.steps[i]);
          bad.y.push(labels[k]);
        }
      });
    }
    const trace = scale.trace({
      x,
      y: groups ? groups.map((g) => g.label) : labels,
      z,
      hovertemplate: "%{y} · %{x}: 10^%{z:.1f}<extra></extra>",
    });
    const lay = layout({ x: t("axis.step"), y: t("axis.layer"), legend: false });
    lay.yaxis.type = "category";
    if (groups) Object.assign(lay.yaxis, { tickmode: "array", tickvals: trace.y, ticktext: trace.y }); // every row named
    lay.yaxis.automargin = true; // an external run's module names (features.0) are wider than 1..N
    const traces = [trace];
    if (bad.x.length)
      traces.push({
        ...NONFINITE_MARKER(t("chart.nonfinite_steps")),
        ...bad,
        marker: { ...NONFINITE_MARKER("").marker, size: 9 },
        showlegend: false,
        meta: { nonfinite: true },
      });
    react(el, traces, lay);
    return s.latestT;
  });
}
