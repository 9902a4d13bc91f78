// The layer axis of a chart that draws several runs: true for all of them. Runs with the same layers share their
// labels (1 … N, out); runs of different depths are numbered from the input, each line stopping at its own
// output layer, which a diamond marks (a depth-3 line never crosses layers 4 … 30 it does not have).

import { t } from "../i18n.js";
import { layerLabels } from "./plot.js";

const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/** {x(state), layout(lay), marker(state, base), title}: per-run x values and the axis they sit on. */
export function layerAxis(states) {
  const names = states.map((s) => s.run.layer_names ?? []);
  const shared = names.every((n) => same(n, names[0]));
  if (shared) {
    const x = layerLabels(names[0]);
    return {
      shared,
      title: t("axis.layer"),
      x: () => x,
      marker: (_s, base) => base,
      layout(lay) {
        lay.xaxis.type = "category";
        lay.xaxis.categoryorder = "array";
        lay.xaxis.categoryarray = x; // input -> output
      },
    };
  }
  const longest = Math.max(...names.map((n) => n.length));
  const step = Math.max(1, Math.ceil(longest / 15)); // tick labels every few layers past ~15
  return {
    shared,
    title: t("axis.layer_from_input"),
    x: (s) => s.run.layer_names.map((_, i) => i + 1),
    // The output layer's marker: a larger diamond, the rest the base marker.
    marker: (s, base) => {
      const n = s.run.layer_names.length;
      const size = base.size ?? 7;
      return {
        ...base,
        symbol: s.run.layer_names.map((_, i) => (i === n - 1 ? "diamond" : "circle")),
        size: s.run.layer_names.map((_, i) => (i === n - 1 ? size * 1.8 : size)),
        line: { width: 1, color: "#000" },
      };
    },
    layout(lay) {
      lay.xaxis.type = "linear";
      lay.xaxis.range = [0.5, longest + 0.5];
      lay.xaxis.tickmode = "linear";
      lay.xaxis.tick0 = 1;
      lay.xaxis.dtick = step;
    },
  };
}
