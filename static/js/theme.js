// Colours (Okabe-Ito: safe for colour-blind viewers), fonts and the shared Plotly layout, normal and projector.

export const OKABE_ITO = {
  black: "#000000",
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
};

// The lecture's activations keep one colour everywhere (legend key = registry key).
const ACTIVATION_COLOR = {
  sigmoid: OKABE_ITO.vermillion,
  relu: OKABE_ITO.blue,
  leaky_relu: OKABE_ITO.green,
  tanh: OKABE_ITO.orange,
  gelu: OKABE_ITO.purple,
};
const SEQUENCE = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.orange, OKABE_ITO.skyBlue, OKABE_ITO.black];

export const colorAt = (i) => SEQUENCE[i % SEQUENCE.length];

/** run id -> colour: by activation when the runs differ in it, else by position. */
export function runColors(states) {
  const acts = states.map((s) => s.run.config?.activation);
  const byActivation = new Set(acts).size === acts.length && acts.every((a) => a in ACTIVATION_COLOR);
  return new Map(states.map((s, i) => [s.run.id, byActivation ? ACTIVATION_COLOR[acts[i]] : colorAt(i)]));
}

// The other activations (depth sweep): colour plus dash, so no two lines look alike.
const OTHER_ACTIVATION_STYLE = {
  elu: { color: OKABE_ITO.skyBlue, dash: "solid" },
  silu: { color: OKABE_ITO.black, dash: "solid" },
  selu: { color: OKABE_ITO.purple, dash: "dot" },
  linear: { color: OKABE_ITO.black, dash: "dot" },
};

/** {color, dash} of an activation's line; the lecture's four (and GELU) solid in their own colours. */
export function activationStyle(key, i) {
  if (key in ACTIVATION_COLOR) return { color: ACTIVATION_COLOR[key], dash: "solid" };
  return OTHER_ACTIVATION_STYLE[key] ?? { color: colorAt(i), dash: "dashdot" };
}

export const LECTURE_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu"];

export const isProjector = () => document.body.classList.contains("projector");

const FONT = 'system-ui, "Noto Sans CJK KR", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", "Liberation Sans", sans-serif';

export function fontSize() {
  return isProjector() ? 18 : 13;
}

export const lineWidth = () => (isProjector() ? 4 : 2.5);
export const markerSize = () => (isProjector() ? 11 : 7);

// ticklabeloverflow "allow" on the value axes: their labels sit beside the plot, within the margins, and never
// run past the chart's box; Plotly's default ("hide past div") measures every label against every other on each
// redraw, and a step axis's labels move with every step. A step axis (steps: true) gets the same and a right margin
// that holds half of its widest label (1.14×10⁴), so the label at the newest step shows whole, never cut.
function axis(title, extra = {}) {
  return {
    title: { text: title, standoff: 6 },
    gridcolor: "#d9d9d9",
    linecolor: "#333",
    zeroline: false,
    automargin: false, // fixed margins: automargin measures every label's box on every redraw
    ticks: "outside",
    exponentformat: "power",
    ...extra,
  };
}

/** The base layout every chart extends; ranges stay put across redraws (uirevision). */
export function layout({ x = "", y = "", ylog = false, xlog = false, y2 = null, legend = true, steps = false } = {}) {
  const size = fontSize();
  const out = {
    font: { family: FONT, size, color: "#111" },
    // Room for tick labels (10⁻⁸) and the axis titles, in proportion to the font; legend above the plot.
    margin: { l: size * 5.6, r: y2 ? size * 5 : steps ? size * 3.2 : size * 1.2, t: legend ? size * 2.6 : size * 0.8, b: size * 4 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    showlegend: legend,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size } },
    // Log axes: one tick per decade (Plotly labels 2, 3, 5 between decades when the span is short).
    xaxis: axis(x, { ...(xlog ? { type: "log", dtick: 1 } : {}), ...(steps ? { ticklabeloverflow: "allow" } : {}) }),
    yaxis: axis(y, { ...(ylog ? { type: "log", dtick: 1 } : {}), ticklabeloverflow: "allow" }),
    hovermode: "closest",
    uirevision: "keep",
  };
  if (y2)
    out.yaxis2 = axis(y2, {
      overlaying: "y",
      side: "right",
      range: [0, 1.02],
      dtick: 0.25,
      tickformat: ".0%",
      showgrid: false,
      ticklabeloverflow: "allow",
    });
  return out;
}

export const CONFIG = { displayModeBar: false, responsive: true, displaylogo: false, scrollZoom: false };
