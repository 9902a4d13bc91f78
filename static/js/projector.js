// Projector mode: large type, high contrast, minimal chrome; full screen on request. Kept in the URL.

import { EVENTS } from "./dom.js";
import { emit } from "./bus.js";

export function setProjector(onOff) {
  document.body.classList.toggle("projector", onOff);
  const url = new URL(location.href);
  if (onOff) url.searchParams.set("projector", "1");
  else url.searchParams.delete("projector");
  history.replaceState(history.state, "", url);
  emit(EVENTS.theme, { projector: onOff });
}

export const toggleProjector = () => setProjector(!document.body.classList.contains("projector"));

export function toggleFullscreen() {
  if (document.fullscreenElement) return document.exitFullscreen().catch(() => {});
  return document.documentElement.requestFullscreen?.().catch(() => {}); // refused without a user gesture: no harm
}
