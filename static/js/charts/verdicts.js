// The verdict in plain words per run, with status and step: what the room reads first.

import { $, h, SEL } from "../dom.js";
import { t } from "../i18n.js";
import { sci } from "../format.js";
import { verdictOf } from "../verdict.js";
import { runColors } from "../theme.js";
import { runLabel } from "./plot.js";

function sentence(v) {
  if (v.kind === "vanishing" || v.kind === "healthy" || v.kind === "exploding") {
    const ratio = v.kind === "exploding" ? sci(v.ratio, 2) : sci(v.ratio, 1);
    if (v.through === "time") return t(`verdict.time.${v.kind}`, { ratio, T: v.T });
    return t(`verdict.${v.kind}`, { ratio });
  }
  if (v.kind === "diverged") return t("verdict.diverged", { step: v.step });
  if (v.kind === "failed") return t("verdict.failed", { reason: v.reason });
  return t("verdict.waiting");
}

/** The verdict sentences, rewritten at most 4 times a second: readable from the back row, and a rewrite costs
 * the page a style and layout pass. */
export function verdictsView(root, store) {
  const box = $(SEL.verdicts, root);
  let shown = "";
  return {
    name: "verdicts",
    cost: "dom",
    every: 250, // ms
    el: box,
    draw() {
      const states = Array.from(store.runs.values());
      if (!states.length) return 0;
      const colors = runColors(states);
      const many = states.length > 1;
      const rows = states.map((s) => ({ s, v: verdictOf(s) }));
      const key = JSON.stringify(rows.map(({ s, v }) => [s.run.id, v.kind, v.kind === "waiting" ? 0 : sci(v.ratio ?? 0, 1), v.step, document.documentElement.lang, runLabel(s)]));
      if (key === shown) return 0;
      shown = key;
      box.classList.toggle("many", many);
      box.replaceChildren(
        ...rows.map(({ s, v }) =>
          h(
            "p",
            { class: "verdict", "data-kind": v.kind, "data-run": s.run.id, "data-ratio": v.ratio ?? "", style: `--run-color:${colors.get(s.run.id)}` },
            many ? h("span", { class: "swatch", style: `background:${colors.get(s.run.id)}` }) : null,
            many ? h("strong", { class: "run-label", text: runLabel(s) }) : null,
            h("span", { class: "verdict-short", text: t(`verdict.short.${v.kind}`) }),
            h("span", { class: "verdict-text", text: sentence(v) }),
          ),
        ),
      );
      return 0;
    },
  };
}

/** The status badge and the step counter: every frame (two short texts). */
export function progressView(root, store) {
  const statusEl = $(SEL.status, root);
  const stepEl = $(SEL.step, root);
  return {
    name: "progress",
    cost: "dom",
    el: stepEl,
    draw() {
      const states = Array.from(store.runs.values());
      if (!states.length) return 0;
      const status = store.status();
      statusEl.textContent = t(`status.${status}`);
      statusEl.dataset.status = status;
      const step = Math.max(...states.map((s) => s.run.step ?? s.lastStep));
      const max = states[0].run.max_steps;
      stepEl.textContent = max ? t("run.step_of", { step, max }) : t("run.step", { step });
      return 0;
    },
  };
}
