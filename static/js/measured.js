// Which cards an external run fills. Its client lists what it measures (run.config.measured, docs/client.md); a
// card it cannot fill is hidden, and one line above the cards says once what is not measured and how to get it.

import { $, h, SEL } from "./dom.js";
import { t } from "./i18n.js";

// Card -> the wire field it needs (null: nothing an external run can send).
const NEEDS = { chainrule: "mean_act_deriv", update: "update_ratio", health: "mean_act_deriv", hist: "grad_hist", boundary: null };

/** The cards this run leaves empty: by its own list, or (a client that lists nothing) all it may lack. */
export function unmeasured(run, hasPoints) {
  const measured = Array.isArray(run.config?.measured) ? new Set(run.config.measured) : new Set();
  return Object.entries(NEEDS)
    .filter(([card, field]) => !(card === "boundary" && hasPoints) && !(field && measured.has(field)))
    .map(([card]) => card);
}

/** Hide those cards and say once, above the cards, what they would have shown. */
export function showUnmeasured(cards) {
  let note = document.querySelector('[data-role="not-measured"]');
  for (const name of Object.keys(NEEDS)) {
    const card = $(SEL.chartCard(name));
    if (card) card.hidden = cards.includes(name);
  }
  if (!cards.length) return note?.remove();
  const first = $(SEL.chartCard("gradflow"));
  if (!note && first) {
    note = h("p", { class: "not-measured", "data-role": "not-measured" });
    first.parentElement.insertBefore(note, first.parentElement.firstChild);
  }
  if (note) note.textContent = t("external.not_measured", { what: cards.map((c) => t(`external.panel.${c}`)).join(", ") });
}
