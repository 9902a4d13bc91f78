// The run page's grouping controls (grouping.js): one choice of grouping for the gradient-flow bars, the heat map
// and the lines, and which groups the lines show. Shown for external runs only.

import { $$, h } from "./dom.js";
import { t } from "./i18n.js";
import { markAllDirty } from "./scheduler.js";
import { groupable, groupsOf, grouping, MODES, modeOf, setMode, setPicked } from "./grouping.js";
import { pickLayers } from "./charts/lines.js";

const groupBy = () => document.querySelector('[data-role="group-by"]');
const linesPick = () => document.querySelector('[data-role="lines-pick"]');

function fillLines(run) {
  const select = linesPick();
  if (!select) return;
  const groups = groupsOf(run, modeOf(run));
  const chosen = new Set(grouping.picked ?? pickLayers(groups.length));
  select.replaceChildren(...groups.map((g, i) => h("option", { value: String(i), text: g.label, selected: chosen.has(i) })));
  select.size = Math.min(6, groups.length);
}

/** Call on every snapshot: shows the controls for an external run and fills them with its groups. */
export function showGroupControls(run) {
  const on = groupable(run);
  for (const el of $$('[data-role="group-control"]')) el.hidden = !on;
  if (!on) return;
  const select = groupBy();
  select.replaceChildren(...MODES.map((m) => h("option", { value: m, text: t(`group.mode.${m}`) })));
  select.value = modeOf(run);
  select.onchange = () => {
    setMode(select.value);
    fillLines(run);
    markAllDirty();
  };
  const lines = linesPick();
  lines.onchange = () => {
    setPicked(Array.from(lines.selectedOptions, (o) => Number(o.value)));
    markAllDirty();
  };
  fillLines(run);
}
