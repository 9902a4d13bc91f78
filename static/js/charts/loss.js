// d. Loss and accuracy, train and test (one run); train loss per run in a comparison.

import { t } from "../i18n.js";
import { layout, lineWidth, OKABE_ITO, runColors } from "../theme.js";
import { changed, noData, react, runLabel, tail, windowed } from "./plot.js";

// A run's own named scalars (docs/client.md): names that say accuracy go on the accuracy axis, the rest beside the
// loss. Colours after the four above, in a fixed order of first appearance.
const onAccuracyAxis = (name) => /acc/i.test(name);
const METRIC_COLORS = [OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.black, OKABE_ITO.yellow];

function metricTraces(metrics, width) {
  const rows = tail(metrics, 300);
  const names = [...new Set(rows.flatMap((m) => Object.keys(m.values)))];
  return names.map((name, i) => {
    const have = rows.filter((m) => name in m.values);
    return {
      type: "scatter",
      mode: "lines",
      x: have.map((m) => m.step),
      y: have.map((m) => m.values[name]),
      name,
      yaxis: onAccuracyAxis(name) ? "y2" : "y",
      line: { color: METRIC_COLORS[i % METRIC_COLORS.length], width, dash: "dot" },
    };
  });
}

export function lossChart(el, store) {
  return {
    name: "loss",
    cost: "plotly",
    el,
    draw() {
      const states = Array.from(store.runs.values()).filter((s) => s.steps.length);
      if (!states.length) return noData(el), 0;
      if (!changed(this, states.map((s) => s.lastStep).join())) return null;
      const w = lineWidth();
      const traces = [];
      if (store.runs.size === 1) {
        const s = states[0];
        const full = tail(s.evals, 300);
        const fx = full.map((r) => r.step);
        traces.push({ type: "scatter", mode: "lines", x: windowed(s.steps), y: windowed(s.loss), name: t("chart.loss.train"), line: { color: OKABE_ITO.blue, width: w } });
        // No evaluation yet (or never: an external run sends none): no empty accuracy axis, which Plotly draws as NaN.
        if (full.length) traces.push(
          { type: "scatter", mode: "lines", x: fx, y: full.map((r) => r.test_loss ?? null), name: t("chart.loss.test"), line: { color: OKABE_ITO.skyBlue, width: w, dash: "dash" } },
          { type: "scatter", mode: "lines", x: fx, y: full.map((r) => r.train_acc ?? null), name: t("chart.acc.train"), yaxis: "y2", line: { color: OKABE_ITO.vermillion, width: w } },
          { type: "scatter", mode: "lines", x: fx, y: full.map((r) => r.test_acc ?? null), name: t("chart.acc.test"), yaxis: "y2", line: { color: OKABE_ITO.orange, width: w, dash: "dash" } },
        );
        traces.push(...metricTraces(s.metrics, w));
      } else {
        const colors = runColors(states);
        for (const s of states) {
          traces.push({
            type: "scatter",
            mode: "lines",
            x: windowed(s.steps),
            y: windowed(s.loss),
            name: runLabel(s),
            line: { color: colors.get(s.run.id), width: w },
          });
        }
      }
      const single = store.runs.size === 1;
      const accuracy = single && (states[0].evals.length > 0 || states[0].metrics.some((m) => Object.keys(m.values).some(onAccuracyAxis)));
      const lay = layout({ x: t("axis.step"), y: t("axis.loss"), y2: accuracy ? t("axis.accuracy") : null, legend: single });
      lay.yaxis.rangemode = "tozero";
      react(el, traces, lay);
      return Math.max(...states.map((s) => s.latestT));
    },
  };
}
