// Projector mode: large type, high contrast, minimal chrome; full screen on request. Kept per device (in
// localStorage) across pages until turned off, and in the URL (?projector=1) for a link that opens in it.

import { EVENTS } from "./dom.js";
import { emit } from "./bus.js";

const KEY = "gradcast.projector"; // "1" while on; this device's own, never the room's (stage.js)

function remember(onOff) {
  try {
    if (onOff) localStorage.setItem(KEY, "1");
    else localStorage.removeItem(KEY);
  } catch {
    // storage refused (private mode): the URL still carries it
  }
}

export function setProjector(onOff) {
  document.body.classList.toggle("projector", onOff);
  remember(onOff);
  const url = new URL(location.href);
  if (onOff) url.searchParams.set("projector", "1");
  else url.searchParams.delete("projector");
  history.replaceState(history.state, "", url);
  emit(EVENTS.theme, { projector: onOff });
}

/** On every page load: ?projector=1 turns it on (and remembers); otherwise the device's remembered choice. */
export function restoreProjector() {
  const asked = new URL(location.href).searchParams.get("projector");
  let stored = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch {
    stored = null;
  }
  const onOff = asked === "1" || (asked === null && stored === "1");
  if (asked !== null) remember(onOff);
  if (onOff !== document.body.classList.contains("projector")) setProjector(onOff);
  else if (onOff) emit(EVENTS.theme, { projector: true });
}

export const toggleProjector = () => setProjector(!document.body.classList.contains("projector"));

export function toggleFullscreen() {
  if (document.fullscreenElement) return document.exitFullscreen().catch(() => {});
  return document.documentElement.requestFullscreen?.().catch(() => {}); // refused without a user gesture: no harm
}
