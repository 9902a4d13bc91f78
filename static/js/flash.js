// A sentence for the next page this tab opens (e.g. "paused 3 runs to make room"), shown once at its top.

import { $, h, SEL } from "./dom.js";

const KEY = "gradcast.flash";

export function flash(text) {
  sessionStorage.setItem(KEY, text);
}

/** Show and forget the sentence left by the previous page, if any. */
export function showFlash() {
  const text = sessionStorage.getItem(KEY);
  if (!text) return;
  sessionStorage.removeItem(KEY);
  const note = h(
    "p",
    { class: "flash", "data-role": "flash", role: "status" },
    text,
    h("button", { type: "button", class: "btn btn-small", text: "×", "aria-label": "close", onclick: () => note.remove() }),
  );
  $(SEL.view).prepend(note);
}
