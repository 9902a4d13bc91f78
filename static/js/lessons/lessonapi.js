// The lesson routes of docs/lessons.md (REST): sessions, opening a step, the measured z_k, the lesson list.

import { request } from "../api.js";

const enc = encodeURIComponent;

export const lessonApi = {
  list: () => request("GET", "/api/lessons"),
  /** Presenter only (a mutating route): a new session of the lesson; its runs are made as steps open. */
  start: (lessonId) => request("POST", `/api/lessons/${enc(lessonId)}/sessions`),
  session: (sessionId) => request("GET", `/api/lessons/sessions/${enc(sessionId)}`),
  /** The lesson's sessions, oldest first (a page without ?session= joins the newest). */
  sessions: (lessonId) => request("GET", `/api/lessons/${enc(lessonId)}/sessions`),
  /** Presenter only: step n's runs training, the others paused, step n+1 prepared. Answers with the session. */
  open: (sessionId, n) => request("POST", `/api/lessons/sessions/${enc(sessionId)}/steps/${n}/open`),
  preactivations: (sessionId, n) => request("GET", `/api/lessons/sessions/${enc(sessionId)}/steps/${n}/preactivations`),
};

export const handoutUrl = (sessionId, lang) => `/api/lessons/sessions/${enc(sessionId)}/handout.html?lang=${enc(lang)}`;
