// Transformer runs: ||dL/dW2|| of each block's feed-forward net against the block index, log y — the quantity of
// Xiong et al. (2020)'s Figure 3 (post-LN's grows towards the last block at initialisation, pre-LN's stays level).

import { t } from "../i18n.js";
import { layout, lineWidth, markerSize, runColors } from "../theme.js";
import { changed, decadeStep, react, runLabel, StickyLogRange } from "./plot.js";

const W2 = /^block(\d+)\.ffn\.w2$/; // the layer names of docs/protocol.md
const CARD = '[data-chart="ffnw2"]';

/** [{block, grad}] of one step record's FFN W2 layers, block 1 first (empty for other architectures). */
export function ffnW2(rec) {
  const out = [];
  for (const layer of rec?.layers ?? []) {
    const m = W2.exec(layer.name);
    if (m) out.push({ block: Number(m[1]), grad: layer.weight_grad_norm });
  }
  return out;
}

/** Show the card only when some run of the view is a Transformer (call on every snapshot). */
export function showFfnCard(store) {
  const any = Array.from(store.runs.values()).some((s) => s.run.config?.architecture === "transformer" || ffnW2(s.latest).length);
  document.querySelector(CARD)?.toggleAttribute("hidden", !any);
}

export function ffnW2Chart(el, store) {
  const range = new StickyLogRange();
  showFfnCard(store); // hidden until a snapshot brings a Transformer run
  return {
    name: "ffnw2",
    cost: "plotly",
    el,
    reset: () => range.reset(),
    draw() {
      const all = Array.from(store.runs.values());
      const states = all.filter((s) => ffnW2(s.latestFinite ?? s.latest).length);
      if (!states.length) return null;
      if (!changed(this, states.map((s) => s.latest.step).join())) return null;
      const colors = runColors(all);
      const traces = states.map((s) => {
        const rows = ffnW2(s.latestFinite ?? s.latest);
        return {
          type: "scatter",
          mode: "lines+markers",
          x: rows.map((r) => r.block),
          y: rows.map((r) => r.grad),
          name: runLabel(s),
          line: { color: colors.get(s.run.id), width: lineWidth() },
          marker: { size: markerSize(), color: colors.get(s.run.id) },
          meta: { run: s.run.id, step: s.latest.step },
        };
      });
      const lay = layout({ x: t("axis.block"), y: t("axis.ffn_w2"), ylog: true, legend: states.length > 1 });
      lay.yaxis.range = range.fit(traces.flatMap((tr) => tr.y));
      lay.yaxis.dtick = decadeStep(lay.yaxis.range);
      lay.xaxis.dtick = 1;
      react(el, traces, lay);
      return Math.max(...states.map((s) => s.latestT));
    },
  };
}
