// b. Layer x step heat map of log10 ||dL/dW_k||, scrolling with time (the newest HEAT_WINDOW steps).

import { t } from "../i18n.js";
import { layout } from "../theme.js";
import { HEAT_WINDOW, changed, layerLabels, noData, react } from "./plot.js";

export function heatmapChart(el, store) {
  let zmin = Infinity;
  let zmax = -Infinity;
  return {
    name: "heatmap",
    cost: "plotly",
    el,
    reset() {
      zmin = Infinity;
      zmax = -Infinity;
    },
    draw() {
      const s = store.runs.values().next().value;
      if (!s || !s.steps.length) return noData(el), 0;
      if (!changed(this, s.lastStep)) return null;
      const n = s.steps.length;
      const from = Math.max(0, n - HEAT_WINDOW);
      const x = s.steps.slice(from);
      const layers = s.run.layer_names.length;
      const z = [];
      for (let k = 0; k < layers; k++) {
        const row = new Array(n - from);
        for (let i = from; i < n; i++) {
          const g = s.weightGradNorm[i][k];
          row[i - from] = g > 0 ? Math.log10(g) : null;
          if (g > 0) {
            zmin = Math.min(zmin, Math.floor(row[i - from]));
            zmax = Math.max(zmax, Math.ceil(row[i - from]));
          }
        }
        z.push(row);
      }
      const trace = {
        type: "heatmap",
        x,
        y: layerLabels(s.run.layer_names),
        z,
        zmin,
        zmax: Math.max(zmax, zmin + 1),
        colorscale: "Viridis",
        colorbar: { title: { text: "log₁₀", side: "right" }, thickness: 14, outlinewidth: 0 },
        hovertemplate: "%{y} · %{x}: 10^%{z:.1f}<extra></extra>",
      };
      const lay = layout({ x: t("axis.step"), y: t("axis.layer"), legend: false });
      lay.yaxis.type = "category";
      lay.yaxis.automargin = true; // an external run's module names (features.0) are wider than 1..N
      react(el, [trace], lay);
      return s.latestT;
    },
  };
}
