// /runs/{id}: one run, every chart.

import { $, h, SEL } from "../dom.js";
import { t } from "../i18n.js";
import { exportHistory } from "../export.js";
import { unbind } from "../keys.js";
import { startLive } from "./live.js";
import { showUnmeasured, unmeasured } from "../measured.js";
import { showSampling } from "../sampling.js";
import { showGroupControls } from "../groupcontrols.js";
import { gradflowChart } from "../charts/gradflow.js";
import { heatmapChart } from "../charts/heatmap.js";
import { linesChart } from "../charts/lines.js";
import { lossChart } from "../charts/loss.js";
import { updateChart } from "../charts/update.js";
import { healthChart } from "../charts/health.js";
import { histChart, histLayerName } from "../charts/hist.js";
import { boundaryChart } from "../charts/boundary.js";
import { chainRuleView } from "../charts/chainrule.js";
import { followState, isFollowing, shareState } from "../stage.js";
import { isRecurrent, showTimeCards, timegradChart } from "../charts/timegrad.js";
import { timeheatChart } from "../charts/timeheat.js";
import { ffnW2Chart, showFfnCard } from "../charts/ffnw2.js";

const view = $(SEL.view);
const runId = view.dataset.runId;
const plot = (name) => $(SEL.plot(name));
const overlay = $(SEL.actOverlay);
const histLayer = $(SEL.histLayer); // the layer whose histograms sit beside the first layer's
let roomHistLayer = null; // a follower: the presenter's pick, applied once the menu has its layers
let roomWalk = 0; // a follower: the presenter's position in the backprop walkthrough

const CONTROL_KEYS = [" ", "ArrowRight", "r"]; // play/pause, one step, reset: no trainer here to drive

/** Mark the view for an external run: the badge, no controls (nor their keys), and the cards it cannot fill
 * hidden with one line saying what they lack (measured.js). A replay of a 2-D run recorded here (it has
 * `points`) does bring its boundaries: that card stays. */
function showExternal(run, hasPoints) {
  const external = Boolean(run.external);
  document.body.classList.toggle("external", external);
  $(SEL.externalBadge).hidden = !external;
  if (!external) return;
  CONTROL_KEYS.forEach(unbind);
  showUnmeasured(unmeasured(run, hasPoints));
  showSampling(run);
}

/** One option per layer after the first; the last is chosen until someone picks another (kept across resets). */
function fillHistLayers(names) {
  if (!histLayer) return;
  const keep = roomHistLayer ?? histLayer.value;
  histLayer.replaceChildren(...names.slice(1).map((_, i) => h("option", { value: String(i + 1), text: histLayerName(names, i + 1) })));
  histLayer.value = keep && Number(keep) < names.length ? keep : String(names.length - 1);
}

function makeCharts(store) {
  const gradflow = gradflowChart(plot("gradflow"), store, { overlay: () => overlay?.checked });
  overlay?.addEventListener("change", () => {
    shareState("overlay", overlay.checked);
    gradflow.markDirty();
  });
  const hist = histChart(plot("hist"), store, { picked: () => (histLayer?.value ? Number(histLayer.value) : null) });
  histLayer?.addEventListener("change", () => {
    shareState("hist_layer", Number(histLayer.value));
    hist.markDirty();
  });
  const chain = chainRuleView($(SEL.chartCard("chainrule")), store, {
    driven: () => (isFollowing() ? roomWalk : null),
    onWalk: (walk) => shareState("walk", walk),
  });
  // A follower shows what the presenter picked; the walkthrough moves only with the presenter's ↑/↓.
  followState("overlay", (on) => {
    if (overlay) overlay.checked = Boolean(on);
    gradflow.markDirty?.();
  });
  followState("hist_layer", (layer) => {
    roomHistLayer = layer === null ? null : String(layer);
    if (histLayer && roomHistLayer !== null && [...histLayer.options].some((o) => o.value === roomHistLayer)) histLayer.value = roomHistLayer;
    hist.markDirty?.();
  });
  followState("walk", (walk) => {
    roomWalk = Number(walk) || 0;
    chain.markDirty?.();
  });
  const boundaryCard = $(SEL.chartCard("boundary"));
  return [
    gradflow,
    chain,
    timegradChart(plot("timegrad"), $('[data-role="time-verdict"]'), store),
    timeheatChart(plot("timeheat"), store),
    ffnW2Chart(plot("ffnw2"), store),
    heatmapChart(plot("heatmap"), store),
    lossChart(plot("loss"), store),
    linesChart(plot("lines"), store),
    updateChart(plot("update"), store),
    healthChart(plot("health"), store),
    hist,
    boundaryChart(plot("boundary"), store, {
      onMissing: (missing) => {
        const s = store.runs.values().next().value;
        if (document.body.classList.contains("external") && !s?.points) return; // labelled once by showExternal
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
  showExternal(s.run, Boolean(s.points));
  showGroupControls(s.run);
  $(SEL.replayBadge).hidden = s.run.kind !== "replay";
  fillHistLayers(s.run.layer_names ?? []);
  showTimeCards(store);
  showFfnCard(store);
  // The chain-rule card writes out an MLP's layers (a′(z_k) and W_k) or a recurrent run's steps back through time
  // (charts/chaintime.js): for a CNN or a Transformer it says where their product is drawn instead (an external
  // run has no architecture here and keeps its own label).
  const arch = s.run.config?.architecture;
  if (arch && arch !== "mlp" && !isRecurrent(s)) {
    const chain = $(SEL.chartCard("chainrule"));
    chain.classList.add("missing");
    chain.dataset.missing = t("chain.elsewhere.layers");
  }
  const same = $(SEL.sameConfig);
  if (same && s.run.config && !s.run.external)
    same.href = `/#${new URLSearchParams(Object.entries(s.run.config).filter(([, v]) => v !== null && typeof v !== "object"))}`;
}

$(SEL.exportCsv)?.addEventListener("click", () => exportHistory(runId, "csv"));
$(SEL.exportJson)?.addEventListener("click", () => exportHistory(runId, "json"));
startLive("run", runId, makeCharts, { onSnapshot });
