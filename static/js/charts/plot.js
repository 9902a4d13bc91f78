// What every chart shares: Plotly.react with the theme, sticky log ranges, windows, run labels.

import { CONFIG } from "../theme.js";
import { t } from "../i18n.js";
import { activationName, initName, isActivation, isInit } from "../registry.js";

export const STEP_WINDOW = 600; // the newest every-step points a line covers (the store keeps 1200, thinned)
export const LINE_POINTS = 240; // points drawn per line at most (a 600-step window thinned)
export const HEAT_WINDOW = 300; // steps (columns) in the layer x step heat map
export const FULL_WINDOW = 60; // display-rate records in the histogram heat maps

let epoch = 0; // bumped when everything must redraw although no data changed (language, projector, reset)
export const bumpEpoch = () => {
  epoch += 1;
};

/** A chart's gate: true when its inputs (a short key) changed since its last redraw. */
export function changed(chart, key) {
  const full = `${epoch}|${key}`;
  if (chart.lastKey === full) return false;
  chart.lastKey = full;
  return true;
}

/** Plotly reads a subset of HTML in labels (<a href>, <b>, <br>): a name a user chose must stay text. */
export const plotText = (s) => (typeof s === "string" ? s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : s);
const textArray = (a) => (Array.isArray(a) && typeof a[0] === "string" ? a.map(plotText) : a); // category labels
const titled = (o) => (o && typeof o.title?.text === "string" ? { ...o, title: { ...o.title, text: plotText(o.title.text) } } : o);

/** An axis with its title and its category labels (categoryarray, tickvals, ticktext) as text, matching the traces'. */
const axisText = (axis) => {
  const out = titled(axis);
  if (!out) return out;
  const lists = {};
  for (const k of ["categoryarray", "tickvals", "ticktext"]) if (Array.isArray(out[k])) lists[k] = textArray(out[k]);
  return Object.keys(lists).length ? { ...out, ...lists } : out;
};

/** Traces and layout with every label as text: trace names, category axes, titles (numbers pass untouched). */
function asText(traces, layout) {
  const safe = traces.map((tr) => ({ ...tr, name: plotText(tr.name), x: textArray(tr.x), y: textArray(tr.y), text: textArray(tr.text) }));
  const out = { ...titled(layout || {}) }; // a copy: a layout object reused across frames is never escaped twice
  for (const key of Object.keys(out)) if (/^[xy]axis\d*$/.test(key)) out[key] = axisText(out[key]);
  return [safe, out];
}

// The figure a chart last drew, without its data arrays: when only the data changed, the traces alone redraw.
const drawnShape = new WeakMap(); // el -> JSON of [traces without x, y, meta; layout]
const DATA_ONLY = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };

/** Axes whose range cannot move with the data: a fixed range, or categories listed in order. */
const fixedAxes = (layout) =>
  Object.keys(layout)
    .filter((k) => /^[xy]axis\d*$/.test(k))
    .every((k) => Array.isArray(layout[k].range) || (layout[k].type === "category" && Array.isArray(layout[k].categoryarray)));

/** Redraw el in place. When only the traces' x, y and meta changed (same traces, same layout, every axis fixed),
 * Plotly.animate without a redraw draws the traces alone: Plotly.react would lay out and draw every axis, tick
 * label and legend again for any new data point. Anything else goes through Plotly.react, which diffs against the
 * previous figure. The config goes with the first drawing only: given again, Plotly copies and compares the whole
 * plot context on every redraw. */
export function react(el, traces, layout) {
  const [safeTraces, safeLayout] = asText(traces, layout);
  const shape = JSON.stringify([safeTraces.map(({ x, y, meta, ...rest }) => rest), safeLayout]);
  const same = drawnShape.get(el) === shape && el._fullLayout && el.data?.length === safeTraces.length;
  drawnShape.set(el, shape);
  if (same && fixedAxes(safeLayout) && safeTraces.every((tr) => tr.type === "scatter")) {
    const data = safeTraces.map(({ x, y, meta }) => ({ x, y, meta }));
    // A frame still queued when the next one comes is dropped (mode "immediate"), its promise rejected: no error.
    return window.Plotly.animate(el, { data, traces: data.map((_, i) => i) }, DATA_ONLY).catch(() => el);
  }
  return window.Plotly.react(el, safeTraces, safeLayout, el._fullLayout ? undefined : CONFIG);
}

/** Log-axis range (in decades) that grows at once to fit the data but never jitters frame to frame. */
export class StickyLogRange {
  constructor(pad = 0.25, minSpan = 2) {
    this.pad = pad;
    this.minSpan = minSpan;
    this.reset();
  }

  reset() {
    this.lo = Infinity;
    this.hi = -Infinity;
  }

  fit(values) {
    for (const v of values) {
      if (v === null || !(v > 0) || !Number.isFinite(v)) continue;
      const d = Math.log10(v);
      if (d - this.pad < this.lo) this.lo = Math.floor((d - this.pad) * 2) / 2;
      if (d + this.pad > this.hi) this.hi = Math.ceil((d + this.pad) * 2) / 2;
    }
    if (!Number.isFinite(this.lo)) return undefined;
    const span = this.hi - this.lo;
    return span < this.minSpan ? [this.lo - (this.minSpan - span) / 2, this.hi + (this.minSpan - span) / 2] : [this.lo, this.hi];
  }
}

/** A linear axis's top that stays put while the data moves inside it: set with headroom when the largest value
 * passes it or falls under half of it. Between two moves a new step redraws only the lines (react above). */
export class StickyTop {
  constructor(headroom = 1.2, low = 0.5) {
    this.headroom = headroom;
    this.low = low;
    this.reset();
  }

  reset() {
    this.top = null;
  }

  fit(largest) {
    if (this.top === null || largest > this.top || largest < this.top * this.low) this.top = largest * this.headroom;
    return this.top;
  }
}

/** Decades between log-axis ticks: one per decade up to 8 decades, then fewer (at most ~8 labels). */
export const decadeStep = (range) => (range ? Math.max(1, Math.ceil((range[1] - range[0]) / 8)) : 1);

/** A built-in run's layers are layer1 … layerN then output; any other names are the model's own. */
export const isBuiltIn = (names) => names.every((name, i) => name === (i === names.length - 1 ? "output" : `layer${i + 1}`));

/** Axis labels of the layers: 1 … N and "out" for a built-in run; the module names (fc1, features.0) otherwise. */
export function layerLabels(names) {
  if (!isBuiltIn(names)) return names.slice();
  return names.map((name, i) => (name === "output" ? t("axis.output_layer") : String(i + 1)));
}

/** A run's legend label: the preset's label (an activation or init key is shown by its registry label). */
export function runLabel(state) {
  const name = state.run.name || state.run.id;
  if (isActivation(name)) return activationName(name);
  if (isInit(name)) return initName(name);
  return /^\d+$/.test(name) ? t("run.depth_label", { n: name }) : name;
}

// Always a new array: Plotly.react compares data by reference, and a store array grown in place would look
// unchanged to it (the trace redrawn but its axis range never recomputed).
export const tail = (array, n) => array.slice(Math.max(0, array.length - n));

/** The newest STEP_WINDOW entries, thinned to at most LINE_POINTS (always keeping the newest). */
export function windowed(array) {
  const w = tail(array, STEP_WINDOW);
  const stride = Math.ceil(w.length / LINE_POINTS);
  if (stride <= 1) return w;
  const out = [];
  for (let i = (w.length - 1) % stride; i < w.length; i += stride) out.push(w[i]);
  return out;
}

/** A step axis's range, moving in whole chunks of steps (1, 2 or 5 × 10^k, at most a twentieth of the span the
 * traces cover): between two moves the axes stay, so a new step redraws only the lines (react above); the newest
 * point sits within a chunk of the right edge. Under 20 steps: undefined (Plotly fits the axis to the data). */
export function stepRange(traces, el) {
  const own = zoomedRange(el);
  if (own) return own; // a person's zoom stays until their double-click (a new range would replace it)
  let lo = Infinity;
  let hi = -Infinity;
  for (const tr of traces) {
    if (!tr.x?.length) continue;
    lo = Math.min(lo, tr.x[0]); // steps ascend along each trace
    hi = Math.max(hi, tr.x[tr.x.length - 1]);
  }
  const most = (hi - lo) / 20;
  if (!(most >= 1)) return undefined;
  const decade = 10 ** Math.floor(Math.log10(most));
  const chunk = [5, 2, 1].map((m) => m * decade).find((c) => c <= most);
  return [Math.floor(lo / chunk) * chunk, Math.ceil(hi / chunk) * chunk];
}

/** Step axes a person zoomed (drag) and has not reset (double-click): their range is theirs, not stepRange's. */
const zoomed = new WeakMap(); // chart element -> [from, to] steps while zoomed by hand, else null

function zoomedRange(el) {
  if (!el) return null;
  if (!zoomed.has(el) && typeof el.on === "function") {
    // Plotly adds .on() at the first drawing; react() itself emits no relayout, so every event here is a person's.
    zoomed.set(el, null);
    el.on("plotly_relayout", (ev) => {
      if (ev["xaxis.autorange"]) zoomed.set(el, null);
      else if ("xaxis.range[0]" in ev) zoomed.set(el, [ev["xaxis.range[0]"], ev["xaxis.range[1]"]]);
      else if (Array.isArray(ev["xaxis.range"])) zoomed.set(el, [...ev["xaxis.range"]]);
    });
  }
  return zoomed.get(el) ?? null;
}

/** A horizontal guide line as a trace (shapes on log axes are easy to get wrong). */
export function guide(x0, x1, y, text, color = "#000", dash = "dash") {
  return {
    type: "scatter",
    mode: "lines",
    x: [x0, x1],
    y: [y, y],
    name: text,
    line: { color, dash, width: 2 },
    hoverinfo: "name",
  };
}

/** An empty chart without axes; returns 0, what a chart's draw() returns when it shows no server data. */
export function noData(el) {
  react(el, [], { xaxis: { visible: false }, yaxis: { visible: false }, paper_bgcolor: "#fff", plot_bgcolor: "#fff" });
  return 0;
}
