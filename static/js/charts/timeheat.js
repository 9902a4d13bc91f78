// Time step × training step heat map of log10 ||dL/dh_t|| for the view's first recurrent run (its display-rate
// records the store keeps): how the gradient through time changes as the network learns.

import { t } from "../i18n.js";
import { layout } from "../theme.js";
import { heatChart } from "./heatbase.js";
import { changed, react } from "./plot.js";

export function timeheatChart(el, store) {
  return heatChart("timeheat", el, function draw(scale) {
    const s = Array.from(store.runs.values()).find((r) => r.latestFull?.time);
    if (!s) return null;
    if (!changed(this, s.latestFull.step)) return null;
    const records = s.full.filter((r) => r.time);
    const steps = records.map((r) => r.step);
    const ts = records[records.length - 1].time.t;
    const z = ts.map((_, i) => records.map((r) => scale.log(r.time.hidden_grad_norm[i])));
    const trace = scale.trace({ x: steps, y: ts, z, hovertemplate: "t = %{y} · %{x}: 10^%{z:.1f}<extra></extra>" });
    react(el, [trace], layout({ x: t("axis.step"), y: t("axis.time_step"), legend: false }));
    return s.latestT;
  });
}
