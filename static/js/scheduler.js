// Redraws: each chart at most once per animation frame, the dirty charts in turn, and no more Plotly work in a
// frame than FRAME_BUDGET_MS (a Plotly.react is a few to tens of ms without a GPU: one or two charts a frame). A
// second chart starts only when its usual cost still fits and no key or click is waiting: a frame is one task, and
// a key pressed during it waits for its end (the goal is an answer within 100 ms, whatever the charts do).
// The chart in focus (the one the room watches: gradient flow) goes first in every frame it is dirty, so it shows
// every step; the others take turns in what the frame has left, and one that has waited OVERDUE_MS is drawn even
// past the budget (the focus must not starve them). Charts off screen wait until scrolled to.

const charts = []; // {name, cost: "plotly" | "dom", draw() -> newest server time drawn (s) or 0, el, every?, focus?}
// every: ms between redraws at least (a DOM view of text people read: a sentence rewritten 30 times a second
// cannot be read, and each rewrite costs the page a style and layout pass)
// focus: drawn first whenever dirty and on screen (not in the round's turn)
const dirty = new Set();
const dirtySince = new Map(); // chart -> performance.now() when it last became dirty
const visible = new Map(); // chart -> on screen (charts off screen wait until scrolled to)
let cursor = 0;
const OVERDUE_MS = 100; // a chart dirty this long is drawn in the next frame even past the budget (one a frame):
// the chart in focus must not keep the others from their >= 10 redraws/s
const FRAME_BUDGET_MS = 28; // ms of chart work a frame may take before it yields (see inputPending below)
const INPUT_PRIORITY_MS = 50; // after a key or a click, charts wait this long so the answer paints first (3 frames)
const COST_WEIGHT = 0.2; // each chart's usual redraw time (ms) is a moving average with this weight on the newest
const cost = new Map(); // chart -> usual redraw ms
// A data-only redraw (charts/plot.js: Plotly.animate) returns at once and draws its traces in microtasks, after
// the frame's callback: that drawing is measured after each frame (a chain of microtasks longer than Plotly's)
// and shared among the frame's charts that returned quickly, so the budget counts it too.
const after = new Map(); // chart -> usual ms of drawing after the frame's callback
const QUICK_MS = 2; // a redraw that returned within this may have left its drawing to microtasks
const lastMs = new Map(); // chart -> ms its last draw() took
const afterMicrotasks = (fn, hops = 64) => (hops ? Promise.resolve().then(() => afterMicrotasks(fn, hops - 1)) : fn());
const average = (map, chart, ms) => map.set(chart, map.has(chart) ? map.get(chart) + COST_WEIGHT * (ms - map.get(chart)) : ms);
const drawnAt = new Map(); // chart with `every` -> performance.now() of its last redraw
const inputPending = () => navigator.scheduling?.isInputPending?.() ?? false; // Chromium; elsewhere never
let inputUntil = 0;
let scheduled = false;

const observer =
  "IntersectionObserver" in window
    ? new IntersectionObserver(
        (entries) => {
          for (const e of entries) {
            const chart = charts.find((c) => c.el === e.target);
            if (chart) visible.set(chart, e.isIntersecting);
          }
          schedule();
        },
        { rootMargin: "200px" },
      )
    : null;

export function register(chart) {
  charts.push(chart);
  if (chart.el && observer) observer.observe(chart.el);
  markDirty(chart);
  return chart;
}

export function markDirty(chart) {
  if (!dirty.has(chart)) dirtySince.set(chart, performance.now());
  dirty.add(chart);
  schedule();
}

export const markAllDirty = () => charts.forEach(markDirty);

function schedule() {
  if (scheduled || dirty.size === 0) return;
  scheduled = true;
  requestAnimationFrame(frame);
}

const onScreen = (chart) => visible.get(chart) !== false;

function draw(chart) {
  dirty.delete(chart);
  const t0 = performance.now();
  const dataT = chart.draw(); // null: its inputs had not changed, nothing redrawn
  if (dataT === null) return false;
  if (chart.cost === "plotly") {
    const ms = performance.now() - t0;
    average(cost, chart, ms);
    lastMs.set(chart, ms);
  }
  return true;
}

for (const type of ["keydown", "pointerdown"]) {
  const hold = () => {
    inputUntil = performance.now() + INPUT_PRIORITY_MS;
  };
  document.addEventListener(type, hold, { capture: true });
}

function frame() {
  scheduled = false;
  if (performance.now() < inputUntil) {
    setTimeout(schedule, inputUntil - performance.now());
    return;
  }
  const now = performance.now();
  for (const chart of charts) {
    if (chart.cost !== "dom" || !dirty.has(chart)) continue;
    if (chart.every && now - (drawnAt.get(chart) ?? -Infinity) < chart.every) continue; // stays dirty: a later frame
    drawnAt.set(chart, now);
    draw(chart);
  }
  const n = charts.length;
  const start = performance.now();
  const first = cursor;
  let overdueDrawn = false;
  const drawnNow = []; // Plotly charts drawn in this frame
  let pending = 0; // ms of their drawing still to come after this callback
  const drawNow = (chart) => {
    if (!draw(chart)) return false;
    drawnNow.push(chart);
    pending += after.get(chart) ?? 0;
    return true;
  };
  for (const chart of charts) {
    if (chart.focus && chart.cost === "plotly" && dirty.has(chart) && onScreen(chart)) drawNow(chart);
  }
  for (let i = 0; i < n; i++) {
    const chart = charts[(first + i) % n];
    if (chart.cost !== "plotly" || chart.focus || !dirty.has(chart) || !onScreen(chart)) continue;
    const overdue = !overdueDrawn && start - dirtySince.get(chart) > OVERDUE_MS;
    const usual = (cost.get(chart) ?? 0) + (after.get(chart) ?? 0);
    if (drawnNow.length > 0 && (inputPending() || (!overdue && performance.now() - start + pending + usual > FRAME_BUDGET_MS))) break;
    overdueDrawn ||= overdue;
    if (drawNow(chart)) cursor = (first + i + 1) % n; // the next frame starts after the last chart drawn
  }
  if (drawnNow.length) {
    const end = performance.now();
    afterMicrotasks(() => {
      const ms = performance.now() - end;
      const quick = drawnNow.filter((c) => lastMs.get(c) < QUICK_MS);
      for (const c of drawnNow) average(after, c, quick.includes(c) ? ms / quick.length : 0);
    });
  }
  if ([...dirty].some(onScreen)) schedule();
}
