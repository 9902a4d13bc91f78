// /sweep: first-layer gradient against depth per activation (GET /api/sweep), with the bounds, for PyTorch's
// default init, each activation's recommended init, or both side by side (?init=default|recommended|both).

import { $, EVENTS, SEL } from "../dom.js";
import { on } from "../bus.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { initChrome } from "../chrome.js";
import { initPngExport } from "../export.js";
import { markAllDirty, register } from "../scheduler.js";
import { sweepChart } from "../charts/sweep.js";
import { sweepTimeChart } from "../charts/sweeptime.js";
import { LOCATION_EVENT } from "../stage.js";

const CHOICES = { both: ["recommended", "default"], recommended: ["recommended"], default: ["default"] };

let sweeps = []; // [{init: "recommended" | "default", ...GET /api/sweep's answer}], in drawing order
await initChrome();
initPngExport();
register(sweepChart($(SEL.plot("sweep")), () => sweeps));
let sweepTime = null; // the sequence-length sweep of the recurrent models (GET /api/sweep/time)
register(sweepTimeChart($(SEL.plot("sweep-time")), () => sweepTime));
const select = $(SEL.sweepInit);
const shown = $(SEL.sweepShown);
const notice = $(SEL.notice);
const params = new URL(location.href).searchParams;

function describe() {
  shown.textContent = sweeps.length ? t("sweep.shown", { inits: sweeps.map((s) => t(`sweep.init.${s.init}`)).join(" · ") }) : "";
}

async function load(choice) {
  notice.hidden = false;
  const inits = CHOICES[choice] ?? CHOICES.both;
  const url = new URL(location.href);
  url.searchParams.set("init", choice);
  history.replaceState(history.state, "", url);
  document.dispatchEvent(new CustomEvent(LOCATION_EVENT)); // the room's address has the init now: followers keep it
  try {
    const got = [];
    for (const init of inits) {
      const query = new URLSearchParams([...params].filter(([k]) => k === "max_depth" || k === "seeds"));
      query.set("init", init);
      got.push(await api.sweep(query.toString())); // one at a time: the server computes them one at a time
    }
    sweeps = got;
    notice.hidden = true;
  } catch (e) {
    notice.removeAttribute("data-i18n");
    notice.textContent = t("error.server", { error: e.message });
  }
  describe();
  markAllDirty();
}

on(EVENTS.lang, () => (describe(), markAllDirty()));
on(EVENTS.theme, () => {
  markAllDirty();
  window.dispatchEvent(new Event("resize"));
});
select.value = CHOICES[params.get("init")] ? params.get("init") : "both";
select.addEventListener("change", async () => {
  document.body.dataset.ready = "loading";
  await load(select.value);
  document.body.dataset.ready = "sweep";
});
await load(select.value);
document.body.dataset.ready = "sweep";
const noticeTime = $('[data-role="notice-time"]');
try {
  const params = new URL(location.href).searchParams;
  sweepTime = await api.sweepTime(new URLSearchParams([...params].filter(([k]) => k === "max_len")).toString());
  noticeTime.hidden = true;
  markAllDirty();
} catch (e) {
  noticeTime.removeAttribute("data-i18n");
  noticeTime.textContent = t("error.server", { error: e.message });
}
document.body.dataset.readyTime = "sweep-time";
