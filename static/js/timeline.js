// A replay's timeline: a slider over its recorded steps that follows the replay; letting go seeks there, for
// every viewer (REST only: the socket brings the snapshot of that step). Hidden unless the view is a replay.

import { $, EVENTS, SEL } from "./dom.js";
import { on } from "./bus.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { bind } from "./keys.js";

/** kind "run" | "group"; getState() -> {replay: {first, last} | null, step}; send(request) shows errors. */
export function initTimeline(kind, id, getState, send) {
  const root = $(SEL.timeline);
  if (!root) return null; // read-only viewer: no controls
  const range = $(SEL.timelineRange, root);
  const out = $(SEL.timelineValue, root);
  let dragging = false; // while held, the store's step does not move the thumb

  const show = (step, last) => {
    out.textContent = t("replay.at", { step, last });
  };

  function sync() {
    const { replay, step } = getState();
    root.hidden = !replay;
    if (!replay) return;
    range.max = String(replay.last);
    if (!dragging) range.value = String(step);
    show(dragging ? range.valueAsNumber : step, replay.last);
  }
  range.addEventListener("pointerdown", () => {
    dragging = true;
  });
  range.addEventListener("input", () => {
    dragging = true;
    show(range.valueAsNumber, Number(range.max));
  });
  range.addEventListener("change", async () => {
    await send(() => api.seek(kind, id, range.valueAsNumber));
    dragging = false;
    sync();
  });
  let queued = false; // frames of a group come several per animation frame: move the thumb once per frame
  on(EVENTS.storeChange, () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      sync();
    });
  });
  // ← one recorded step back (→ is one step on, as for every run): a walk through the record, step by step.
  bind("ArrowLeft", () => {
    const { replay, step } = getState();
    if (replay && step > 0) send(() => api.seek(kind, id, step - 1));
  });
  on(EVENTS.storeStatus, sync);
  on(EVENTS.storeSnapshot, sync);
  on(EVENTS.lang, sync);
  sync();
  return { sync };
}
