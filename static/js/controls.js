// Play/pause, step, reset and speed for a run or a group (a replay too): REST calls only (the socket brings the
// result).

import { $, EVENTS, SEL } from "./dom.js";
import { on } from "./bus.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { bind } from "./keys.js";

export const SPEEDS = [1, 2, 3, 5, 8, 12, 20, 30, 50, 80, 120, 200, 0]; // steps/s; 0 = as fast as it goes

const speedText = (v) => (v === 0 ? t("controls.speed_max") : t("controls.speed_value", { n: v }));

/** kind: "run" | "group"; getState() -> {status, stepsPerSecond} from the store. */
export function initControls(kind, id, getState) {
  const root = $(SEL.controls);
  if (!root) return null; // read-only viewer
  const play = $(SEL.playToggle, root);
  const slider = $(SEL.speed, root);
  const out = $(SEL.speedValue, root);
  const error = $(SEL.controlError, root);
  let speedTouched = false;

  /** The request's answer, or null with the server's error shown under the controls. */
  async function send(request) {
    try {
      error.hidden = true;
      return await request();
    } catch (e) {
      error.textContent = t("error.server", { error: e.message });
      error.hidden = false;
      return null;
    }
  }

  async function act(action) {
    const answer = await send(() => api.act(kind, id, action));
    if (answer?.status) reflect(answer.status);
  }

  function reflect(status) {
    play.dataset.state = status === "running" ? "pause" : "play";
    play.disabled = !["running", "paused", "created"].includes(status);
  }

  const togglePlay = () => act(play.dataset.state === "pause" ? "pause" : "resume");
  // One step applies to a paused run: a running one is paused first (the server answers 409 otherwise).
  async function stepOnce() {
    if (play.dataset.state === "pause") await act("pause");
    await act("step");
  }
  play.addEventListener("click", togglePlay);
  $(SEL.stepButton, root).addEventListener("click", stepOnce);
  $(SEL.resetButton, root).addEventListener("click", () => act("reset"));
  slider.addEventListener("input", () => {
    speedTouched = true;
    out.textContent = speedText(SPEEDS[slider.valueAsNumber]);
  });
  slider.addEventListener("change", () => {
    const fields = { steps_per_second: SPEEDS[slider.valueAsNumber] };
    return send(() => api.patch(kind, id, fields));
  });
  bind(" ", togglePlay);
  bind("ArrowRight", stepOnce);
  bind("r", () => act("reset"));

  function sync() {
    const { status, stepsPerSecond } = getState();
    if (status) reflect(status);
    if (!speedTouched && stepsPerSecond !== undefined) {
      const i = SPEEDS.indexOf(stepsPerSecond);
      slider.value = String(i >= 0 ? i : SPEEDS.findIndex((v) => v >= stepsPerSecond || v === 0));
    }
    out.textContent = speedText(SPEEDS[slider.valueAsNumber]);
  }
  on(EVENTS.storeStatus, sync);
  on(EVENTS.storeSnapshot, sync);
  on(EVENTS.lang, sync);
  sync();
  return { togglePlay, send };
}
