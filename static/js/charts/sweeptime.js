// Sequence-length sweep: ||dL/dh_1|| ÷ ||dL/dh_T|| at initialisation against T per recurrent architecture, log y.

import { t } from "../i18n.js";
import { colorAt, layout, lineWidth, markerSize } from "../theme.js";
import { react } from "./plot.js";

export function sweepTimeChart(el, getSweep) {
  return {
    name: "sweep-time",
    cost: "plotly",
    el,
    draw() {
      const sweep = getSweep();
      if (!sweep) return 0;
      const traces = sweep.series.map((s, i) => ({
        type: "scatter",
        mode: "lines+markers",
        x: sweep.lengths,
        y: s.ratio,
        name: t(`option.${s.architecture}`),
        line: { color: colorAt(i), width: lineWidth() },
        marker: { size: markerSize(), color: colorAt(i) },
        meta: { architecture: s.architecture },
      }));
      const lay = layout({ x: t("axis.seq_len"), y: t("axis.time_ratio"), ylog: true });
      delete lay.yaxis.dtick; // tens of decades: Plotly picks the spacing
      react(el, traces, lay);
      return 0;
    },
  };
}
