// h. Histograms of |dL/dW| over time: the first layer, and beside it the last one or any layer picked (counts on
// the run's hist_edges).

import { t } from "../i18n.js";
import { layout } from "../theme.js";
import { FULL_WINDOW, changed, layerLabels, noData, react, tail } from "./plot.js";

/** Bin centres in log10 units (geometric mean of each pair of edges). */
const centres = (edges) => edges.slice(1).map((e, i) => (Math.log10(e) + Math.log10(Math.max(edges[i], 1e-300))) / 2);

function column(rec, k, bins) {
  const counts = rec.layers[k]?.grad_hist;
  if (!counts) return new Array(bins).fill(null);
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  return counts.map((c) => c / total);
}

const NARROW_PX = 480; // px of chart width below which the panels stack

/** The right panel's title: "last layer", or "layer 3" / "layer fc1" (the axis labels of the other charts). */
export function histLayerName(names, k) {
  return k === names.length - 1 ? t("chart.hist.last") : t("chart.hist.layer", { name: layerLabels(names)[k] });
}

/** picked(): index of the layer beside the first (null: the last). */
export function histChart(el, store, { picked = () => null } = {}) {
  return {
    name: "hist",
    cost: "plotly",
    el,
    draw() {
      const s = store.runs.values().next().value;
      const edges = s?.run.hist_edges;
      const recs = s ? tail(s.full, FULL_WINDOW).filter((r) => r.layers[0]?.grad_hist) : [];
      if (!edges?.length || !recs.length) return noData(el);
      const names = s.run.layer_names;
      const k = Math.min(picked() ?? names.length - 1, names.length - 1);
      const narrow = el.clientWidth < NARROW_PX;
      if (!changed(this, `${recs[recs.length - 1].step}|${k}|${narrow}`)) return null;
      const y = centres(edges);
      const x = recs.map((r) => r.step);
      const heat = (layer, axis) => {
        const cols = recs.map((r) => column(r, layer, y.length));
        const z = y.map((_, b) => cols.map((c) => c[b])); // (bins, time)
        return {
          type: "heatmap",
          x,
          y,
          z,
          xaxis: axis.x,
          yaxis: axis.y,
          colorscale: "Viridis",
          zmin: 0,
          showscale: false,
          hovertemplate: "%{x}: 10^%{y:.1f} · %{z:.0%}<extra></extra>",
        };
      };
      const lay = layout({ x: `${t("chart.hist.first")} · ${t("axis.step")}`, y: t("axis.hist"), legend: false });
      lay.xaxis.domain = narrow ? [0, 1] : [0, 0.48];
      lay.xaxis2 = {
        ...lay.xaxis,
        domain: narrow ? [0, 1] : [0.52, 1],
        anchor: "y2",
        title: { text: `${histLayerName(names, k)} · ${t("axis.step")}` },
      };
      lay.yaxis2 = { ...lay.yaxis, anchor: "x2", matches: "y", showticklabels: narrow, title: { text: "" } };
      if (narrow) {
        // A phone: the two panels one above the other (side by side, their axis titles and ticks collide).
        lay.yaxis.domain = [0.62, 1];
        lay.yaxis2.domain = [0, 0.38];
      }
      react(el, [heat(0, { x: "x", y: "y" }), heat(k, { x: "x2", y: "y2" })], lay);
      return recs[recs.length - 1].t || 0;
    },
  };
}
