// f. Saturated (a'(z) < 0.01) and dead (output 0) fraction of units per layer.

import { t } from "../i18n.js";
import { layout, OKABE_ITO } from "../theme.js";
import { changed, layerLabels, noData, react } from "./plot.js";

export function healthChart(el, store) {
  return {
    name: "health",
    cost: "plotly",
    el,
    draw() {
      const s = store.runs.values().next().value;
      const rec = s?.latestFull;
      if (!rec) return noData(el);
      if (!changed(this, rec.step)) return null;
      const x = layerLabels(s.run.layer_names);
      const traces = [
        {
          type: "bar",
          x,
          y: rec.layers.map((l) => l.saturated_frac ?? null),
          name: t("chart.health.saturated"),
          marker: { color: OKABE_ITO.vermillion },
        },
        { type: "bar", x, y: rec.layers.map((l) => l.dead_frac ?? null), name: t("chart.health.dead"), marker: { color: OKABE_ITO.black } },
      ];
      const lay = layout({ x: t("axis.layer"), y: t("axis.fraction") });
      lay.yaxis.range = [0, 1];
      lay.yaxis.tickformat = ".0%";
      lay.xaxis.type = "category";
      lay.barmode = "group";
      react(el, traces, lay);
      return rec.t || 0;
    },
  };
}
