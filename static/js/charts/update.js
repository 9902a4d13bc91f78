// f. Update ratio ||dW_k|| / ||W_k|| per layer, log axis, with the 1e-3 rule-of-thumb guide line.

import { t } from "../i18n.js";
import { layout, OKABE_ITO } from "../theme.js";
import { changed, decadeStep, guide, layerLabels, noData, react, StickyLogRange } from "./plot.js";
import { NONFINITE_MARKER, nonFiniteAt } from "./nonfinite.js";
import { groupable, grouping, groupsOf, modeOf, reduceRatios } from "../grouping.js";

export const UPDATE_RATIO_GUIDE = 1e-3;

export function updateChart(el, store) {
  const range = new StickyLogRange(0.25, 3);
  return {
    name: "update",
    cost: "plotly",
    el,
    reset: () => range.reset(),
    draw() {
      const s = store.runs.values().next().value;
      const rec = s?.latestFull;
      if (!rec) return noData(el);
      if (!changed(this, `${rec.step}|${grouping.version}`)) return null;
      // A group's ratio is ||dW|| / ||W|| of all its weights together (grouping.js).
      const groups = groupable(s.run) ? groupsOf(s.run, modeOf(s.run)) : null;
      const x = groups ? groups.map((g) => g.label) : layerLabels(s.run.layer_names);
      const y = groups ? reduceRatios(rec.layers, groups) : rec.layers.map((l) => l.update_ratio ?? null);
      const traces = [
        { type: "bar", x, y, name: t("axis.update_ratio"), marker: { color: OKABE_ITO.blue }, showlegend: false },
        guide(x[0], x[x.length - 1], UPDATE_RATIO_GUIDE, t("chart.update.guide")),
      ];
      const lay = layout({ x: t("axis.layer"), y: t("axis.update_ratio"), ylog: true });
      lay.yaxis.range = range.fit([...y, UPDATE_RATIO_GUIDE]);
      lay.yaxis.dtick = decadeStep(lay.yaxis.range);
      // null on the wire is a value that was not finite (absent: not measured, which stays blank).
      const bad = nonFiniteAt(
        x,
        rec.layers.map((l) => (l.update_ratio === null ? null : 0)),
        10 ** (lay.yaxis.range[1] - 0.15),
      );
      if (bad) traces.push({ ...NONFINITE_MARKER(t("chart.nonfinite", { step: rec.step })), ...bad, meta: { nonfinite: true } });
      lay.xaxis.type = "category";
      if (groups) lay.xaxis.automargin = true; // group labels (blocks.3–6.*) tilt and need room
      react(el, traces, lay);
      return rec.t || 0;
    },
  };
}
