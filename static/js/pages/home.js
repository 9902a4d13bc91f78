// /: the presets gallery, the builder form (from /api/schema) and the runs on this server.

import { EVENTS } from "../dom.js";
import { on } from "../bus.js";
import { initChrome } from "../chrome.js";
import { initGallery, renderGallery } from "../gallery.js";
import { initBuilder, relabelBuilder } from "../builder.js";
import { initRunList, renderRuns } from "../runlist.js";
import { initClassroom } from "../classroom.js";
import { apply } from "../i18n.js";

const session = await initChrome();
initClassroom(session);
apply();
await Promise.all([initGallery(session.readonly), initBuilder(), initRunList(session.readonly)]);
on(EVENTS.lang, () => {
  renderGallery();
  relabelBuilder();
  renderRuns();
});
await (await import("../recordings.js")).initRecordings(session.readonly); // recorded runs panel
const lessons = await import("../lessons/list.js"); // the lessons, built-in and the lecturers' own
await lessons.initLessons(session.readonly);
on(EVENTS.lang, () => lessons.renderLessons(session.readonly));
document.body.dataset.ready = "home";
