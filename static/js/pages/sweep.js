// /sweep: first-layer gradient against depth per activation (GET /api/sweep), with the bounds.

import { $, EVENTS, SEL } from "../dom.js";
import { on } from "../bus.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { initChrome } from "../chrome.js";
import { initPngExport } from "../export.js";
import { markAllDirty, register } from "../scheduler.js";
import { sweepChart } from "../charts/sweep.js";
import { sweepTimeChart } from "../charts/sweeptime.js";

let sweep = null;
let sweepTime = null; // the sequence-length sweep of the recurrent models (GET /api/sweep/time)
await initChrome();
initPngExport();
register(sweepChart($(SEL.plot("sweep")), () => sweep));
register(sweepTimeChart($(SEL.plot("sweep-time")), () => sweepTime));
on(EVENTS.lang, markAllDirty);
on(EVENTS.theme, () => {
  markAllDirty();
  window.dispatchEvent(new Event("resize"));
});
const notice = $(SEL.notice);
try {
  const params = new URL(location.href).searchParams;
  const query = new URLSearchParams([...params].filter(([k]) => k === "max_depth" || k === "seeds"));
  sweep = await api.sweep(query.toString());
  notice.hidden = true;
  markAllDirty();
} catch (e) {
  notice.removeAttribute("data-i18n");
  notice.textContent = t("error.server", { error: e.message });
}
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
