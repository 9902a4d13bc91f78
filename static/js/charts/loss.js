// d. Loss and accuracy, train and test (one run); train loss and test accuracy per run in a comparison.

import { t } from "../i18n.js";
import { layout, lineWidth, OKABE_ITO, runColors } from "../theme.js";
import { changed, noData, react, runLabel, StickyTop, stepRange, tail, windowed } from "./plot.js";
import { NONFINITE_MARKER, nonFiniteAt } from "./nonfinite.js";

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
  const sticky = new StickyTop();
  return {
    name: "loss",
    cost: "plotly",
    el,
    reset: () => sticky.reset(),
    draw() {
      const states = Array.from(store.runs.values()).filter((s) => s.lossSteps.length);
      if (!states.length) return noData(el);
      if (!changed(this, states.map((s) => s.lastStep).join())) return null;
      const w = lineWidth();
      const traces = [];
      if (store.runs.size === 1) {
        const s = states[0];
        const full = tail(s.evals, 300);
        const fx = full.map((r) => r.step);
        traces.push({
          type: "scatter",
          mode: "lines",
          x: windowed(s.lossSteps),
          y: windowed(s.loss),
          name: t("chart.loss.train"),
          line: { color: OKABE_ITO.blue, width: w },
        });
        // No evaluation yet (or never: an external run sends none): no empty accuracy axis, which Plotly draws as NaN.
        if (full.length)
          traces.push(
            {
              type: "scatter",
              mode: "lines",
              x: fx,
              y: full.map((r) => r.test_loss ?? null),
              name: t("chart.loss.test"),
              line: { color: OKABE_ITO.skyBlue, width: w, dash: "dash" },
            },
            {
              type: "scatter",
              mode: "lines",
              x: fx,
              y: full.map((r) => r.train_acc ?? null),
              name: t("chart.acc.train"),
              yaxis: "y2",
              line: { color: OKABE_ITO.vermillion, width: w },
            },
            {
              type: "scatter",
              mode: "lines",
              x: fx,
              y: full.map((r) => r.test_acc ?? null),
              name: t("chart.acc.test"),
              yaxis: "y2",
              line: { color: OKABE_ITO.orange, width: w, dash: "dash" },
            },
          );
        traces.push(...metricTraces(s.metrics, w));
      } else {
        // Each run's train loss (solid, left axis) and test accuracy (dotted, right axis) in the run's colour.
        const colors = runColors(states);
        for (const s of states) {
          traces.push({
            type: "scatter",
            mode: "lines",
            x: windowed(s.lossSteps),
            y: windowed(s.loss),
            name: runLabel(s),
            line: { color: colors.get(s.run.id), width: w },
            meta: { run: s.run.id, series: "loss" },
          });
        }
        for (const s of states) {
          const full = tail(s.evals, 300);
          if (!full.length) continue;
          traces.push({
            type: "scatter",
            mode: "lines",
            x: full.map((r) => r.step),
            y: full.map((r) => r.test_acc ?? null),
            name: t("chart.loss.run_acc", { run: runLabel(s) }),
            yaxis: "y2",
            line: { color: colors.get(s.run.id), width: w * 0.8, dash: "dot" },
            meta: { run: s.run.id, series: "test_acc" },
          });
        }
      }
      const single = store.runs.size === 1;
      const accuracy =
        states.some((s) => s.evals.length > 0) || (single && states[0].metrics.some((m) => Object.keys(m.values).some(onAccuracyAxis)));
      // the adding problem is a regression: its loss is a mean squared error, not nats
      const mse = states.every((s) => s.run.config?.dataset === "adding");
      const lay = layout({
        x: t("axis.step"),
        y: t(mse ? "axis.loss_mse" : "axis.loss"),
        y2: accuracy ? t("axis.accuracy") : null,
        legend: single,
        steps: true,
      });
      // 0 … above the largest plotted loss (every value inside; the top moves only when the data leaves it or falls
      // under half of it); a step whose loss is not finite is crossed at the top.
      const losses = traces
        .filter((tr) => tr.yaxis !== "y2")
        .flatMap((tr) => tr.y)
        .filter((v) => v !== null && Number.isFinite(v));
      const top = sticky.fit(Math.max(1e-9, ...losses));
      lay.yaxis.range = [0, top];
      for (const s of states) {
        const bad = nonFiniteAt(windowed(s.lossSteps), windowed(s.loss), top * 0.97);
        if (bad)
          traces.push({ ...NONFINITE_MARKER(t("chart.nonfinite_loss", { run: runLabel(s) })), ...bad, meta: { nonfinite: true, run: s.run.id } });
      }
      lay.xaxis.range = stepRange(traces, el);
      react(el, traces, lay);
      return Math.max(...states.map((s) => s.latestT));
    },
  };
}
