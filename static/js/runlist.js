// The runs on this server, newest first, each linking to its view (and to its comparison).

import { $, h, SEL } from "./dom.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

let runs = [];
let suffix = "";

export function renderRuns() {
  const list = $(SEL.runList);
  if (!runs.length) return list.replaceChildren(h("li", { class: "notice", text: t("home.no_runs") }));
  const sorted = [...runs].sort((a, b) => (b.created ?? 0) - (a.created ?? 0));
  list.replaceChildren(
    ...sorted.map((r) =>
      h(
        "li",
        { class: "run-item", "data-run": r.id },
        h("a", { href: `/runs/${encodeURIComponent(r.id)}${suffix}`, text: r.name || r.id }),
        r.external
          ? h("span", { class: "badge external-badge", "data-role": "external-mark", title: t("run.external"), text: t("run.external_short") })
          : null,
        h("span", { class: "status", "data-status": r.status, text: t(`status.${r.status}`) }),
        h("span", { class: "step", text: t("run.step", { step: r.step }) }),
        r.group ? h("a", { class: "group-link", href: `/groups/${encodeURIComponent(r.group)}${suffix}`, text: t("group.title") }) : null,
      ),
    ),
  );
}

const REFRESH_MS = 5000; // a run started elsewhere (an external loop, another tab) shows within this

async function refresh() {
  try {
    runs = await api.runs();
    renderRuns();
  } catch (e) {
    $(SEL.runList).replaceChildren(h("li", { class: "control-error", text: t("error.server", { error: e.message }) }));
  }
}

export async function initRunList(readonly) {
  suffix = readonly ? "?view=1" : "";
  await refresh();
  setInterval(() => document.visibilityState === "visible" && refresh(), REFRESH_MS);
}
