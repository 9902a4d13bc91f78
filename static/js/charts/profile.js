// Charts of one profile per run against a short index (a value per encoder block, per time step), on a log y
// axis whose range holds while the values settle (StickyLogRange); each run in its colour of the view.

import { t } from "../i18n.js";
import { layout, lineWidth, markerSize, runColors } from "../theme.js";
import { changed, decadeStep, react, runLabel, StickyLogRange } from "./plot.js";

/** profile(state) -> {x, y, step} of the run's newest profile, or null when it has none. axes: the x and y axis
 * titles' i18n keys; markers: a marker on every point; xStep: the x axis' tick step; after(states) runs after
 * each redraw with the runs drawn (their verdict in words). */
export function profileChart(name, el, store, { profile, axes, markers = false, xStep = null, after = null }) {
  const range = new StickyLogRange();
  return {
    name,
    cost: "plotly",
    el,
    reset: () => range.reset(),
    draw() {
      const all = Array.from(store.runs.values());
      const shown = all.map((s) => ({ s, p: profile(s) })).filter(({ p }) => p);
      if (!shown.length) return null;
      if (!changed(this, shown.map(({ p }) => p.step).join())) return null;
      const colors = runColors(all); // the same colour per run as every other chart of the view
      const traces = shown.map(({ s, p }) => ({
        type: "scatter",
        mode: markers ? "lines+markers" : "lines",
        x: p.x,
        y: p.y,
        name: runLabel(s),
        line: { color: colors.get(s.run.id), width: lineWidth() },
        ...(markers ? { marker: { size: markerSize(), color: colors.get(s.run.id) } } : {}),
        meta: { run: s.run.id, step: p.step },
      }));
      const lay = layout({ x: t(axes[0]), y: t(axes[1]), ylog: true, legend: shown.length > 1 });
      lay.yaxis.range = range.fit(traces.flatMap((tr) => tr.y));
      lay.yaxis.dtick = decadeStep(lay.yaxis.range);
      if (xStep) lay.xaxis.dtick = xStep;
      react(el, traces, lay);
      after?.(shown.map(({ s }) => s));
      return Math.max(...shown.map(({ s }) => s.latestT));
    },
  };
}
