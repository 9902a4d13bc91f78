// Transformer runs: ||dL/dW2|| of each block's feed-forward net against the block index, log y — the quantity of
// Xiong et al. (2020)'s Figure 3 (post-LN's grows towards the last block at initialisation, pre-LN's stays level).

import { profileChart } from "./profile.js";

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

/** The newest finite record's FFN W2 norms against the block index (labelled with the newest step). */
function blocks(s) {
  const rows = ffnW2(s.latestFinite ?? s.latest);
  return rows.length ? { x: rows.map((r) => r.block), y: rows.map((r) => r.grad), step: s.latest.step } : null;
}

export function ffnW2Chart(el, store) {
  showFfnCard(store); // hidden until a snapshot brings a Transformer run
  return profileChart("ffnw2", el, store, { profile: blocks, axes: ["axis.block", "axis.ffn_w2"], markers: true, xStep: 1 });
}
