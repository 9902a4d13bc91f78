// g. Decision boundary of a 2-D dataset (the run's `boundary`: predicted class on a grid).

import { t } from "../i18n.js";
import { layout, OKABE_ITO } from "../theme.js";
import { changed, noData, react } from "./plot.js";

export function boundaryChart(el, store, { onMissing = () => {} } = {}) {
  return {
    name: "boundary",
    cost: "plotly",
    el,
    draw() {
      const s = store.runs.values().next().value;
      const b = s?.boundary;
      if (!b) {
        onMissing(Boolean(s?.latestFull)); // display-rate records came but no boundary: not 2-D data
        if (!changed(this, "none")) return null;
        return noData(el), 0;
      }
      onMissing(false);
      if (!changed(this, s.latestFull?.step)) return null;
      const classes = Math.max(1, ...b.z.flat());
      const palette = [OKABE_ITO.skyBlue, OKABE_ITO.orange, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.yellow];
      const colorscale = Array.from({ length: classes + 1 }, (_, i) => [i / classes, palette[i % palette.length]]);
      const trace = { type: "heatmap", x: b.x, y: b.y, z: b.z, zmin: 0, zmax: classes, colorscale, showscale: false, opacity: 0.85, hoverinfo: "skip" };
      const traces = [trace];
      if (b.points) {
        traces.push({ type: "scatter", mode: "markers", x: b.points.x, y: b.points.y, marker: { color: b.points.label, colorscale, cmin: 0, cmax: classes, size: 6, line: { width: 1, color: "#000" } }, showlegend: false });
      }
      const lay = layout({ x: "x₁", y: "x₂", legend: false });
      lay.xaxis.range = [b.x[0], b.x[b.x.length - 1]];
      lay.yaxis.range = [b.y[0], b.y[b.y.length - 1]];
      react(el, traces, lay);
      return s.latestFull?.t || 0;
    },
  };
}
