// i. Depth sweep: first-layer gradient against depth per activation, log y, with each activation's bound; one
// set of lines per init (the recommended: solid, filled markers; PyTorch's default: dashed, open markers).

import { t } from "../i18n.js";
import { activationName, initName } from "../registry.js";
import { activationStyle, fontSize, layout, LECTURE_ACTIVATIONS, lineWidth, markerSize } from "../theme.js";
import { react } from "./plot.js";

// A marker shape per activation, so lines that coincide (ReLU under Leaky ReLU) still show both.
const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star", "hexagon"];
// Leaky ReLU (slope 0.01) draws almost exactly over ReLU: dotted, with large open markers ringing ReLU's, so the
// ReLU line and its markers show through.
const DASH = { leaky_relu: "dot" };
const RING = { leaky_relu: 1.8 }; // marker size factor; its markers are always open
// A phone (chart narrower than this, as in charts/hist.js): each legend entry takes a row of its own (the names
// are long), about 20 in all with both inits, far more than the card's fixed height holds. Plotly then scrolls the
// legend, its hidden rows still laid out over the axes. There the chart grows to hold the whole legend above a
// plot area of PHONE_PLOT_PX (the legend pushes the top margin itself; an estimate too small only shrinks the plot).
const NARROW_PX = 480;
const PHONE_PLOT_PX = 300;
const LEGEND_ROW = 1.6; // a legend row's height in font sizes

export function sweepChart(el, getSweeps) {
  return {
    name: "sweep",
    cost: "plotly",
    el,
    draw() {
      const sweeps = getSweeps();
      if (!sweeps?.length) return 0;
      const traces = [];
      const bounded = new Set();
      for (const sweep of sweeps) {
        const isDefault = sweep.init === "default";
        sweep.series.forEach((s, i) => {
          const { color, dash } = activationStyle(s.activation, i);
          // The lecture's four are drawn; the others wait in the legend (a click shows them).
          const visible = LECTURE_ACTIVATIONS.includes(s.activation) ? true : "legendonly";
          const ring = RING[s.activation];
          const symbol = SYMBOLS[i % SYMBOLS.length] + (isDefault || ring ? "-open" : "");
          traces.push({
            type: "scatter",
            mode: "lines+markers",
            x: sweep.depths,
            y: s.grad,
            name: t("sweep.line", { activation: activationName(s.activation), init: initName(s.init) }),
            visible,
            line: { color, dash: isDefault ? "dash" : (DASH[s.activation] ?? dash), width: lineWidth() * (isDefault ? 0.8 : 1) },
            marker: { size: markerSize() * (ring ?? 1), color, symbol, line: { width: ring ? 2 : 1.5, color } },
            meta: { activation: s.activation, init: s.init, sweep: sweep.init, ratio: s.ratio },
          });
          if (s.bound && !bounded.has(s.activation)) {
            bounded.add(s.activation); // the bound does not depend on the init: drawn once
            const name = t("chart.sweep.bound", { activation: activationName(s.activation) });
            traces.push({
              type: "scatter",
              mode: "lines",
              x: sweep.depths,
              y: s.bound,
              name,
              visible,
              line: { color, width: 3, dash: "dot" },
              meta: { bound: s.activation },
            });
          }
        });
      }
      const lay = layout({ x: t("axis.depth"), y: t("axis.first_grad"), ylog: true });
      delete lay.yaxis.dtick; // tens of decades: Plotly picks the spacing
      if (el.clientWidth < NARROW_PX) {
        const size = fontSize();
        lay.height = Math.round(PHONE_PLOT_PX + (traces.length * LEGEND_ROW + 1) * size + lay.margin.b);
        lay.legend.maxheight = 1; // the whole height if it needs it (Plotly's default: half, then it scrolls)
        el.style.height = `${lay.height}px`; // the card holds it (the responsive resize reads the box)
      } else el.style.height = "";
      react(el, traces, lay);
      return 0;
    },
  };
}
