// Non-finite values (NaN, ±∞ arrive as null, docs/protocol.md) are marked where they happen, never dropped
// silently: a cross at the top edge of the log axis, named in the legend and the hover.

import { OKABE_ITO } from "../theme.js";

/** The cross trace's style; x, y and meta come from the chart. */
export const NONFINITE_MARKER = (name) => ({
  type: "scatter",
  mode: "markers",
  name,
  marker: { symbol: "x-thin-open", size: 14, color: OKABE_ITO.vermillion, line: { width: 3, color: OKABE_ITO.vermillion } },
  hoverinfo: "name+x",
  cliponaxis: false,
});

/** Where a series' value is null (not finite): {x: [...], y: [...]} at height `top` (data units), or null. */
export function nonFiniteAt(xs, ys, top) {
  const x = [];
  for (let i = 0; i < ys.length; i++) if (ys[i] === null) x.push(xs[i]);
  return x.length ? { x, y: x.map(() => top) } : null;
}
