// A function step: a(z) and a'(z) from the server's registry, the measured z_k of a live run as bars beneath.

import { t } from "../i18n.js";
import { activationName } from "../registry.js";
import { activationStyle, layout, lineWidth } from "../theme.js";
import { sci } from "../format.js";
import { react } from "../charts/plot.js";

const BAR_COLORS = ["#555555", "#999999", "#bbbbbb", "#dddddd"]; // one grey per measured layer

/** getData() -> {step: the lesson step, curves: [{activation, z, a, da, bound}], measured: {edges, layers} | null}
 * or null. */
export function functionChart(el, getData) {
  return {
    name: "function",
    cost: "plotly",
    el,
    draw() {
      const data = getData();
      if (!data?.curves) return 0;
      const traces = [];
      const measured = data.measured;
      if (measured) {
        const { edges, layers } = measured;
        const centers = edges.slice(1).map((e, i) => (e + edges[i]) / 2);
        layers.forEach((l, i) => {
          const total = l.counts.reduce((a, b) => a + b, 0) + l.below + l.above || 1;
          traces.push({ type: "bar", x: centers, y: l.counts.map((c) => c / total), yaxis: "y2", name: t("lesson.fn.measured", { layer: l.layer, deriv: sci(l.mean_deriv) }), marker: { color: BAR_COLORS[i % BAR_COLORS.length] }, opacity: 0.55, meta: { layer: l.layer, lessonStep: data.step } });
        });
      }
      data.curves.forEach((c, i) => {
        const { color } = activationStyle(c.activation, i);
        const name = activationName(c.activation);
        traces.push({ type: "scatter", mode: "lines", x: c.z, y: c.a, name: t("lesson.fn.a", { name }), line: { color, width: lineWidth() } });
        traces.push({ type: "scatter", mode: "lines", x: c.z, y: c.da, name: t("lesson.fn.da", { name }), line: { color, width: lineWidth(), dash: "dash" } });
        if (c.bound < 1) {
          const z = [c.z[0], c.z[c.z.length - 1]];
          traces.push({ type: "scatter", mode: "lines", x: z, y: [c.bound, c.bound], name: t("lesson.fn.bound", { name, bound: c.bound }), line: { color: "#000", width: 1.5, dash: "dot" }, hoverinfo: "name" });
        }
      });
      const lay = layout({ x: "z", y: t("lesson.fn.value") });
      lay.yaxis2 = { overlaying: "y", side: "right", title: { text: t("lesson.fn.share") }, rangemode: "nonnegative", showgrid: false, tickformat: ".0%" };
      lay.margin.r = lay.margin.l;
      lay.barmode = "overlay";
      lay.bargap = 0;
      react(el, traces, lay);
      return 0;
    },
  };
}
