// g. Decision boundary of a 2-D dataset: predicted class on a grid (the newest record's `boundary`) under the
// run's training points (the snapshot's static `points`, same standardised coordinates).

import { layout, OKABE_ITO } from "../theme.js";
import { changed, noData, react } from "./plot.js";

const PALETTE = [OKABE_ITO.skyBlue, OKABE_ITO.orange, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.yellow];
const PAD = 0.5; // axis margin around the points while no boundary has come (the grid's own margin, data units)

const extent = (v) => [Math.min(...v) - PAD, Math.max(...v) + PAD];

export function boundaryChart(el, store, { onMissing = () => {} } = {}) {
  return {
    name: "boundary",
    cost: "plotly",
    el,
    draw() {
      const s = store.runs.values().next().value;
      const b = s?.boundary;
      const p = s?.points;
      if (!b && !p?.x?.length) {
        onMissing(Boolean(s?.latestFull)); // display-rate records came but no boundary: not 2-D data
        if (!changed(this, "none")) return null;
        return noData(el);
      }
      onMissing(false);
      if (!changed(this, b ? s.latestFull?.step : "points")) return null;
      const classes = Math.max(1, ...(b ? b.z.flat() : []), ...(p?.label ?? []));
      const colorscale = Array.from({ length: classes + 1 }, (_, i) => [i / classes, PALETTE[i % PALETTE.length]]);
      const traces = [];
      // Pale regions (opacity 0.4) under full-colour points: every point shows its class, and a misclassified one
      // sits on a region of another colour.
      if (b)
        traces.push({
          type: "heatmap",
          x: b.x,
          y: b.y,
          z: b.z,
          zmin: 0,
          zmax: classes,
          colorscale,
          showscale: false,
          opacity: 0.4,
          hoverinfo: "skip",
        });
      if (p?.x?.length) {
        traces.push({
          type: "scatter",
          mode: "markers",
          name: "points",
          x: p.x,
          y: p.y,
          marker: { color: p.label, colorscale, cmin: 0, cmax: classes, size: 7, line: { width: 1, color: "#000" } },
          showlegend: false,
          hoverinfo: "skip",
        });
      }
      const lay = layout({ x: "x₁", y: "x₂", legend: false });
      lay.xaxis.range = b ? [b.x[0], b.x[b.x.length - 1]] : extent(p.x);
      lay.yaxis.range = b ? [b.y[0], b.y[b.y.length - 1]] : extent(p.y);
      react(el, traces, lay);
      return s.latestFull?.t || 0;
    },
  };
}
