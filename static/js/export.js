// Export: PNG of any chart (Plotly.downloadImage), CSV and JSON of a run's history (GET /api/runs/{id}).

import { $$, SEL } from "./dom.js";
import { api } from "./api.js";

const PER_LAYER = [
  "weight_grad_norm",
  "bias_grad_norm",
  "act_grad_norm",
  "mean_act_deriv",
  "weight_norm",
  "update_ratio",
  "saturated_frac",
  "dead_frac",
];
const PER_STEP = ["step", "t", "loss", "train_acc", "test_acc", "test_loss"];

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const cell = (v) => (v === null || v === undefined ? "" : String(v));

/** One row per step: the step's numbers, then each layer's (columns layer1.weight_grad_norm, ...). */
export function historyCsv(run) {
  const names = run.layer_names;
  const header = [...PER_STEP, ...names.flatMap((n) => PER_LAYER.map((m) => `${n}.${m}`))];
  const rows = run.history.map((rec) => {
    const byName = new Map(rec.layers.map((l) => [l.name, l]));
    return [...PER_STEP.map((k) => cell(rec[k])), ...names.flatMap((n) => PER_LAYER.map((m) => cell(byName.get(n)?.[m])))].join(",");
  });
  return `${[header.join(","), ...rows].join("\n")}\n`;
}

export async function exportHistory(runId, format) {
  const run = await api.run(runId, "records");
  if (format === "json") download(`gradcast-${runId}.json`, "application/json", JSON.stringify(run, null, 1));
  else download(`gradcast-${runId}.csv`, "text/csv", historyCsv(run));
}

export function initPngExport() {
  for (const button of $$(SEL.exportPng)) {
    button.addEventListener("click", () => {
      const el = document.querySelector(SEL.plot(button.dataset.exportPng));
      if (el?.data)
        window.Plotly.downloadImage(el, { format: "png", filename: `gradcast-${button.dataset.exportPng}`, width: 1280, height: 720, scale: 1 });
    });
  }
}
