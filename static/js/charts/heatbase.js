// What the heat maps share: log10 of a gradient norm per cell, a colour range that widens to whole decades as
// values arrive (and never narrows, so colours keep their meaning while the map scrolls), the Viridis trace.

/** A chart of the scheduler (name, cost, el, reset, draw) whose draw(scale) gets the map's log scale. */
export function heatChart(name, el, draw) {
  const scale = logScale();
  return {
    name,
    cost: "plotly",
    el,
    reset: () => scale.reset(),
    draw() {
      return draw.call(this, scale);
    },
  };
}

function logScale() {
  let zmin = Infinity;
  let zmax = -Infinity;
  return {
    reset() {
      zmin = Infinity;
      zmax = -Infinity;
    },
    /** log10(g) for a positive norm (the range grows to hold it), null for anything else (zero, not finite). */
    log(g) {
      if (!(g > 0)) return null;
      const d = Math.log10(g);
      zmin = Math.min(zmin, Math.floor(d));
      zmax = Math.max(zmax, Math.ceil(d));
      return d;
    },
    /** The heat-map trace over x, y, z with the range so far (at least one decade) and its colour bar. */
    trace(fields) {
      return {
        type: "heatmap",
        zmin,
        zmax: Math.max(zmax, zmin + 1),
        colorscale: "Viridis",
        colorbar: { title: { text: "log₁₀", side: "right" }, thickness: 14, outlinewidth: 0 },
        ...fields,
      };
    },
  };
}
