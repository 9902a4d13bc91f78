// The presenter's home page in a lecture: the one viewer link of the whole lecture and its QR code, up top, and
// the lessons right under it (a lecture is usually given from one).

import { $, h, SEL } from "./dom.js";
import { viewerLink } from "./session.js";

export function initClassroom(session) {
  if (!session.lecture || session.readonly) return;
  const link = viewerLink(session);
  const card = h(
    "section",
    { class: "section classroom-card", "data-role": "classroom" },
    h("img", { class: "classroom-qr", src: `/qr.svg?u=${encodeURIComponent(link)}`, alt: "QR", width: "160", height: "160" }),
    h(
      "div",
      { class: "classroom-text" },
      h("h2", { "data-i18n": "classroom.title" }),
      h("p", { class: "viewer-url", "data-role": "classroom-url", text: link }),
      h("p", { class: "hint", "data-i18n": "classroom.hint" }),
    ),
  );
  $(SEL.view).prepend(card);
  const lessons = $(".lessons-section");
  if (lessons) card.after(lessons);
}
