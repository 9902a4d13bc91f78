// /sweep: first-layer gradient against depth per activation (GET /api/sweep), with the bounds.

import { $, EVENTS, SEL } from "../dom.js";
import { on } from "../bus.js";
import { t } from "../i18n.js";
import { api } from "../api.js";
import { initChrome } from "../chrome.js";
import { initPngExport } from "../export.js";
import { markAllDirty, register } from "../scheduler.js";
import { sweepChart } from "../charts/sweep.js";

let sweep = null;
await initChrome();
initPngExport();
register(sweepChart($(SEL.plot("sweep")), () => sweep));
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
