// /groups/{id}: 2-4 runs side by side, shared log axes, in lockstep (one socket for the group).

import { $, h, SEL } from "../dom.js";
import { t } from "../i18n.js";
import { startLive } from "./live.js";
import { gradflowChart } from "../charts/gradflow.js";
import { ratioChart } from "../charts/ratio.js";
import { derivChart } from "../charts/deriv.js";
import { lossChart } from "../charts/loss.js";
import { showTimeCards, timegradChart } from "../charts/timegrad.js";
import { ffnW2Chart, showFfnCard } from "../charts/ffnw2.js";
import { runLabel } from "../charts/plot.js";
import { runColors } from "../theme.js";

const groupId = $(SEL.view).dataset.groupId;
const plot = (name) => $(SEL.plot(name));

function makeCharts(store) {
  return [
    gradflowChart(plot("gradflow"), store),
    timegradChart(plot("timegrad"), $('[data-role="time-verdict"]'), store),
    ffnW2Chart(plot("ffnw2"), store),
    ratioChart(plot("ratio"), store),
    derivChart(plot("deriv"), store),
    lossChart(plot("loss"), store),
  ];
}

function onSnapshot(store) {
  const states = Array.from(store.runs.values());
  showTimeCards(store);
  showFfnCard(store);
  // a′(z) per layer is measured for the MLP's and the CNN's hidden layers only: say so for the other kinds
  const measured = (s) => ["mlp", "cnn", undefined].includes(s.run.config?.architecture);
  const deriv = $(SEL.chartCard("deriv"));
  const none = states.length > 0 && !states.some(measured);
  deriv.classList.toggle("missing", none);
  if (none) deriv.dataset.missing = t("chart.deriv.not_measured");
  const title = states.map(runLabel).join(" · ");
  $(SEL.viewTitle).textContent = `${t("group.title")}: ${title}`;
  document.title = `${title} · ${t("app.name")}`;
  const colors = runColors(states); // one legend for every chart of the view: they share the colours
  $(SEL.legend).replaceChildren(
    ...states.map((s) =>
      h("span", { class: "legend-item" }, h("span", { class: "swatch", style: `background:${colors.get(s.run.id)}` }), runLabel(s)),
    ),
  );
  $(SEL.replayBadge).hidden = !(states.length > 0 && states.every((s) => s.run.kind === "replay")); // a recorded comparison
  const readonly = document.body.classList.contains("readonly") ? "?view=1" : "";
  $(SEL.runLinks)?.replaceChildren(
    ...states.map((s) => h("li", {}, h("a", { href: `/runs/${encodeURIComponent(s.run.id)}${readonly}`, text: `${t("run.open")}: ${runLabel(s)}` }))),
  );
}

startLive("group", groupId, makeCharts, { onSnapshot });
