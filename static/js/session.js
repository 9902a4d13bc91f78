// Who is looking: the presenter gets controls; a read-only viewer (?view=1 or presenter=false) gets none.

import { $$, SEL } from "./dom.js";
import { api } from "./api.js";

const urlReadonly = () => document.body.dataset.readonly === "1";

/** {presenter, lecture, viewer_url}; a server without the route counts as a presenter on this machine. */
export async function loadSession() {
  let session;
  try {
    session = await api.session();
  } catch {
    session = { presenter: true, lecture: false, viewer_url: null };
  }
  const readonly = urlReadonly() || session.presenter === false;
  if (readonly) {
    document.body.classList.add("readonly");
    for (const sel of [SEL.controls, SEL.builderSection]) for (const el of $$(sel)) el.remove();
  }
  return { ...session, readonly };
}

/** The link students open. In a lecture: the one stable /follow link (viewer_url's origin: the LAN address),
 * which always opens what the room sees; otherwise the read-only link to this very view. */
export function viewerLink(session) {
  const origin = session.viewer_url ? new URL(session.viewer_url).origin : location.origin;
  if (session.lecture) return new URL("/follow", origin).href;
  const url = new URL(location.pathname, origin);
  url.searchParams.set("view", "1");
  const lang = new URL(location.href).searchParams.get("lang");
  if (lang) url.searchParams.set("lang", lang);
  return url.href;
}
