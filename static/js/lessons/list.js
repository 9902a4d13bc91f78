// The home page's lessons: built-in and the lecturers' own files, each opened with one click, exported as a file;
// a file that did not load is listed with its error (naming the step and field).

import { $, h } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { lessonApi } from "./lessonapi.js";

const BOX = '[data-role="lesson-list"]';
let answer = { lessons: [], errors: [] };

const pick = (texts) => texts?.[getLang()] ?? texts?.en ?? "";
const enc = encodeURIComponent;

export function renderLessons(readonly = false) {
  const box = $(BOX);
  if (!box) return;
  const query = readonly ? "?view=1" : "";
  box.replaceChildren(
    ...answer.lessons.map((l) =>
      h(
        "article",
        { class: "preset-card lesson-card", "data-lesson": l.id },
        h("h3", { text: pick(l.title) }),
        h("p", {
          class: "preset-kind",
          text: [t("home.lesson_steps", { n: l.steps }), l.origin === "builtin" ? t("home.lesson_builtin") : l.file].join(" · "),
        }),
        l.summary ? h("p", { class: "preset-explanation", text: pick(l.summary) }) : null,
        h(
          "p",
          { class: "lesson-actions" },
          h("a", { class: "btn btn-primary", href: `/lessons/${enc(l.id)}${query}`, "data-open-lesson": l.id, text: t("home.lesson_open") }),
          h("a", {
            class: "btn btn-small",
            href: `/api/lessons/${enc(l.id)}/export.${l.format}`,
            download: `${l.id}.${l.format}`,
            text: `${t("home.lesson_export")} (${l.format.toUpperCase()})`,
          }),
        ),
      ),
    ),
  );
  const errors = $('[data-role="lesson-errors"]');
  errors.hidden = !answer.errors.length;
  $('[data-role="lesson-error-list"]').replaceChildren(...answer.errors.map((e) => h("li", { "data-file": e.file, text: e.message })));
}

export async function initLessons(readonly) {
  try {
    answer = await lessonApi.list();
  } catch {
    answer = { lessons: [], errors: [] };
  }
  renderLessons(readonly);
}
