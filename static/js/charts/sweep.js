// i. Depth sweep: first-layer gradient against depth per activation, log y, with each activation's bound.

import { activationName, t } from "../i18n.js";
import { activationStyle, layout, LECTURE_ACTIVATIONS, lineWidth, markerSize } from "../theme.js";
import { react } from "./plot.js";

export function sweepChart(el, getSweep) {
  return {
    name: "sweep",
    cost: "plotly",
    el,
    draw() {
      const sweep = getSweep();
      if (!sweep) return 0;
      const traces = [];
      sweep.series.forEach((s, i) => {
        const { color, dash } = activationStyle(s.activation, i);
        // The lecture's four are drawn; the others wait in the legend (a click shows them).
        const visible = LECTURE_ACTIVATIONS.includes(s.activation) ? true : "legendonly";
        traces.push({ type: "scatter", mode: "lines+markers", x: sweep.depths, y: s.grad, name: activationName(s.activation), visible, line: { color, dash, width: lineWidth() }, marker: { size: markerSize(), color }, meta: { activation: s.activation } });
        if (s.bound) {
          const name = t("chart.sweep.bound", { activation: activationName(s.activation) });
          traces.push({ type: "scatter", mode: "lines", x: sweep.depths, y: s.bound, name, visible, line: { color, width: 2, dash: "dash" } });
        }
      });
      const lay = layout({ x: t("axis.depth"), y: t("axis.first_grad"), ylog: true });
      delete lay.yaxis.dtick; // tens of decades: Plotly picks the spacing
      react(el, traces, lay);
      return 0;
    },
  };
}
