// The presets gallery: one card per preset, its one-line explanation, one click to start it.

import { $, h, SEL } from "./dom.js";
import { api } from "./api.js";
import { getLang, t } from "./i18n.js";
import { flash } from "./flash.js";

let presets = [];
let canStart = true;

/** Where a started preset is watched: its group (a comparison) or its only run. */
export const viewOf = (answer) => (answer.group ? `/groups/${encodeURIComponent(answer.group)}` : `/runs/${encodeURIComponent(answer.runs[0].id)}`);

async function start(preset, button) {
  button.disabled = true;
  try {
    // At the running-run limit the page pauses the oldest runs rather than dead-end in front of the room.
    const answer = await api.startPreset(preset.name, { make_room: true });
    if (answer.paused_runs?.length) flash(t("classroom.made_room", { n: answer.paused_runs.length }));
    location.assign(viewOf(answer));
  } catch (e) {
    button.disabled = false;
    button.after(h("span", { class: "control-error", text: t("error.server", { error: e.message }) }));
  }
}

const pick = (texts) => texts?.[getLang()] ?? texts?.en ?? "";

export function renderGallery() {
  const box = $(SEL.gallery);
  box.replaceChildren(
    ...presets.map((p) =>
      h(
        "article",
        { class: `preset-card kind-${p.kind}`, "data-preset": p.name },
        h("h3", { text: pick(p.title) }),
        h("p", { class: "preset-kind", text: p.kind === "comparison" ? t("home.kind.comparison", { n: p.runs.length }) : t("home.kind.single") }),
        h("p", { class: "preset-explanation", text: pick(p.explanation) }),
        canStart
          ? h("button", {
              type: "button",
              class: "btn btn-primary",
              "data-start-preset": p.name,
              text: t("home.start"),
              onclick: (e) => start(p, e.currentTarget),
            })
          : null,
      ),
    ),
  );
}

export async function initGallery(readonly) {
  canStart = !readonly;
  try {
    // Comparisons first: they make the lecture's point side by side.
    const all = await api.presets();
    presets = [...all.filter((p) => p.kind === "comparison"), ...all.filter((p) => p.kind !== "comparison")];
    renderGallery();
  } catch (e) {
    $(SEL.gallery).replaceChildren(h("p", { class: "control-error", text: t("error.server", { error: e.message }) }));
  }
}
