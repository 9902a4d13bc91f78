// /runs/{id}: one run, every chart.

import { $, SEL } from "../dom.js";
import { t } from "../i18n.js";
import { exportHistory } from "../export.js";
import { startLive } from "./live.js";
import { gradflowChart } from "../charts/gradflow.js";
import { heatmapChart } from "../charts/heatmap.js";
import { linesChart } from "../charts/lines.js";
import { lossChart } from "../charts/loss.js";
import { updateChart } from "../charts/update.js";
import { healthChart } from "../charts/health.js";
import { histChart } from "../charts/hist.js";
import { boundaryChart } from "../charts/boundary.js";
import { chainRuleView } from "../charts/chainrule.js";

const view = $(SEL.view);
const runId = view.dataset.runId;
const plot = (name) => $(SEL.plot(name));
const overlay = $(SEL.actOverlay);

function makeCharts(store) {
  const gradflow = gradflowChart(plot("gradflow"), store, { overlay: () => overlay?.checked });
  overlay?.addEventListener("change", () => gradflow.markDirty());
  const boundaryCard = $(SEL.chartCard("boundary"));
  return [
    gradflow,
    chainRuleView($(SEL.chartCard("chainrule")), store),
    heatmapChart(plot("heatmap"), store),
    lossChart(plot("loss"), store),
    linesChart(plot("lines"), store),
    updateChart(plot("update"), store),
    healthChart(plot("health"), store),
    histChart(plot("hist"), store),
    boundaryChart(plot("boundary"), store, {
      onMissing: (missing) => {
        boundaryCard.classList.toggle("missing", missing);
        boundaryCard.dataset.missing = t("chart.boundary.none");
      },
    }),
  ];
}

function onSnapshot(store) {
  const s = store.runs.get(runId) ?? store.runs.values().next().value;
  if (!s) return;
  $(SEL.viewTitle).textContent = t("run.title", { name: s.run.name || s.run.id });
  document.title = `${s.run.name || s.run.id} · ${t("app.name")}`;
  const same = $(SEL.sameConfig);
  if (same && s.run.config) same.href = `/#${new URLSearchParams(Object.entries(s.run.config).filter(([, v]) => v !== null && typeof v !== "object"))}`;
}

$(SEL.exportCsv)?.addEventListener("click", () => exportHistory(runId, "csv"));
$(SEL.exportJson)?.addEventListener("click", () => exportHistory(runId, "json"));
startLive("run", runId, makeCharts, { onSnapshot });
