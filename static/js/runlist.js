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
        h("span", { class: "status", "data-status": r.status, text: t(`status.${r.status}`) }),
        h("span", { class: "step", text: t("run.step", { step: r.step }) }),
        r.group ? h("a", { class: "group-link", href: `/groups/${encodeURIComponent(r.group)}${suffix}`, text: t("group.title") }) : null,
      ),
    ),
  );
}

export async function initRunList(readonly) {
  suffix = readonly ? "?view=1" : "";
  try {
    runs = await api.runs();
    renderRuns();
  } catch (e) {
    $(SEL.runList).replaceChildren(h("li", { class: "control-error", text: t("error.server", { error: e.message }) }));
  }
}
