// a. Gradient flow: ||dL/dW_k|| per layer on a log axis, input -> output, every frame (optional ||dL/dh_k||).

import { t } from "../i18n.js";
import { layout, lineWidth, markerSize, OKABE_ITO, runColors } from "../theme.js";
import { changed, decadeStep, isBuiltIn, layerLabels, noData, react, runLabel, StickyLogRange } from "./plot.js";
import { layerAxis } from "./layeraxis.js";
import { NONFINITE_MARKER } from "./nonfinite.js";
import { groupable, grouping, groupsOf, modeOf, reduce } from "../grouping.js";
import { markDirty } from "../scheduler.js";

const MARKERS_UP_TO = 16; // layers
// At the display pace (20 steps/s) every step is a frame, but a frame is not always drawn before the next one
// lands: after a key press charts wait a few frames (scheduler.js), and now and then two frames share an animation
// frame. The chart then shows the waiting frames in turn, one per animation frame (~16 ms each), so the room sees
// every step. A larger backlog (the page cannot keep up) jumps to the newest. Frames only, not the steps between
// them: above the display pace the chart still redraws once per frame.
const CATCH_UP = 5; // frames (250 ms at 20 steps/s)

/** The step a run's chart shows next: {step, norms, more} (more: a newer frame waits for the next redraw). */
function nextShown(s, drawn) {
  const newest = s.latestFinite ?? s.latest;
  const shown = { step: newest.step, norms: newest.layers.map((l) => l.weight_grad_norm), more: false };
  const frames = s.recentFrames;
  const n = frames.length;
  if (drawn === undefined || !n || frames[n - 1] !== newest) return shown;
  let undrawn = 0;
  while (undrawn < n && frames[n - 1 - undrawn].step > drawn) undrawn++;
  if (undrawn < 2 || undrawn > CATCH_UP) return shown;
  const rec = frames[n - undrawn];
  return { step: rec.step, norms: rec.layers.map((l) => l.weight_grad_norm), more: true };
}

export function gradflowChart(el, store, { overlay = () => false } = {}) {
  const range = new StickyLogRange();
  const drawn = new Map(); // run id -> the step drawn last
  return {
    name: "gradflow",
    cost: "plotly",
    el,
    reset: () => {
      range.reset();
      drawn.clear();
    },
    draw() {
      const states = Array.from(store.runs.values()).filter((s) => s.latest);
      if (!states.length) return noData(el);
      const next = new Map(states.map((s) => [s, nextShown(s, drawn.get(s.run.id))]));
      const key = `${states.map((s) => `${next.get(s).step}/${s.latest.step}`).join()}|${overlay()}|${grouping.version}`;
      if (!changed(this, key)) return null;
      for (const [s, shown] of next) drawn.set(s.run.id, shown.step);
      if ([...next.values()].some((shown) => shown.more)) markDirty(this); // the newer step: next frame
      const colors = runColors(states);
      const longest = states.reduce((a, s) => (s.run.layer_names.length > a.length ? s.run.layer_names : a), []);
      // One external run may show groups of layers (grouping.js); a group's bar is the norm of all its gradients.
      const groups = states.length === 1 && groupable(states[0].run) ? groupsOf(states[0].run, modeOf(states[0].run)) : null;
      const group = (values) => (groups ? reduce(values, groups) : values);
      let x = layerLabels(longest);
      if (groups) x = groups.map((g) => g.label);
      const traces = [];
      let axis = null; // a comparison's layer axis (layeraxis.js); a single run's bars sit on its own categories
      if (states.length === 1) {
        const s = states[0];
        traces.push({
          type: "bar",
          x,
          y: group(next.get(s).norms),
          name: t("chart.gradflow.weight"),
          marker: { color: colors.get(s.run.id) },
          meta: { run: s.run.id, step: next.get(s).step },
        });
        if (overlay() && s.latestFull) {
          traces.push({
            type: "scatter",
            mode: "lines+markers",
            x,
            y: group(s.latestFull.layers.map((l) => l.act_grad_norm ?? null)),
            name: t("chart.gradflow.act"),
            line: { color: OKABE_ITO.black, width: lineWidth(), dash: "dot" },
            marker: { size: markerSize() },
          });
        }
      } else {
        // A marker per layer helps up to ~16 layers; past that they crowd the line and cost a redraw dearly (the
        // output layers of runs of different depths are always marked).
        axis = layerAxis(states);
        const mode = longest.length <= MARKERS_UP_TO || !axis.shared ? "lines+markers" : "lines";
        for (const s of states) {
          const color = colors.get(s.run.id);
          const shown = next.get(s);
          traces.push({
            type: "scatter",
            mode,
            x: axis.x(s), // this run's own layers only
            y: shown.norms,
            name: runLabel(s),
            line: { color, width: lineWidth() },
            marker: axis.marker(s, { size: markerSize(), color }),
            meta: { run: s.run.id, step: shown.step, activation: s.run.config?.activation },
          });
        }
      }
      const lay = layout({ x: axis ? axis.title : t("axis.layer"), y: t("axis.grad_norm"), ylog: true, legend: states.length === 1 });
      const finite = traces.flatMap((tr) => tr.y);
      lay.yaxis.range = range.fit(finite);
      lay.yaxis.dtick = decadeStep(lay.yaxis.range);
      traces.push(...nonFiniteMarks(states, axis, x, lay.yaxis.range));
      if (axis) axis.layout(lay);
      else {
        lay.xaxis.type = "category";
        // Long module names (encoder.layers.3.linear1) tilt and need room; measuring it costs every redraw, and
        // a built-in run's 1 … N, out never need it.
        lay.xaxis.automargin = !isBuiltIn(longest);
        lay.xaxis.categoryorder = "array";
        lay.xaxis.categoryarray = x; // the run's layers, input -> output
        if (groups) Object.assign(lay.xaxis, { tickmode: "array", tickvals: x, ticktext: x }); // every group named
      }
      lay.bargap = 0.15;
      react(el, traces, lay);
      return Math.max(...states.map((s) => s.latestT));
    },
  };
}

/** A cross at the top of the axis over each layer whose newest gradient is not a finite number (the bars and
 * lines show the last finite step: a diverged run's NaN is marked, not dropped). */
function nonFiniteMarks(states, axis, x, range) {
  if (!range) return [];
  const marks = [];
  for (const s of states) {
    if (!s.latest) continue;
    const bad = s.latest.layers.map((l, i) => (l.weight_grad_norm === null ? i : -1)).filter((i) => i >= 0);
    if (!bad.length) continue;
    const xs = axis ? axis.x(s) : x;
    marks.push({
      ...NONFINITE_MARKER(t("chart.nonfinite", { step: s.latest.step })),
      x: bad.map((i) => xs[i]),
      y: bad.map(() => 10 ** (range[1] - 0.15)),
      meta: { nonfinite: true, run: s.run.id, step: s.latest.step },
    });
  }
  return marks;
}
