// The recorded-runs panel of /: search, replay at a chosen speed, rename, pin, delete, export links, import.

import { $, EVENTS, h } from "./dom.js";
import { on } from "./bus.js";
import { request } from "./api.js";
import { getLang, t } from "./i18n.js";

// The panel's own selectors (templates/_partials/recordings.html).
const R = {
  list: '[data-role="record-list"]',
  search: '[data-role="recordings-search"]',
  speed: '[data-role="recordings-speed"]',
  importFile: '[data-role="recordings-import"]',
  message: '[data-role="recordings-message"]',
};
const SEARCH_DELAY_MS = 200; // one request per pause in typing, not per key

const path = (id, tail = "") => `/api/records/${encodeURIComponent(id)}${tail}`;
const rec = {
  list: (q) => request("GET", `/api/records${q ? `?q=${encodeURIComponent(q)}` : ""}`),
  patch: (id, fields) => request("PATCH", path(id), fields),
  remove: (id) => request("DELETE", path(id)),
  replay: (id, stepsPerSecond) => request("POST", path(id, `/replay?steps_per_second=${stepsPerSecond}`)),
  import: (doc) => request("POST", "/api/records/import", doc),
};

let recordings = [];
let query = "";
let readonly = true;
let renaming = null; // id of the record whose name is being edited
let draft = null; // what has been typed into that name so far: a refresh of the list keeps it
let asked = 0; // lists asked for: only the newest answer is drawn (answers can arrive out of order)

function say(text, isError = false) {
  const box = $(R.message);
  box.hidden = !text;
  box.textContent = text;
  box.classList.toggle("error", isError);
}

const fail = (e) => say(t("error.server", { error: e.message }), true);

async function refresh() {
  const mine = ++asked;
  try {
    const list = await rec.list(query);
    if (mine !== asked) return; // a newer list (after a rename, say) is on its way or drawn
    recordings = list;
    renderRecordings();
  } catch (e) {
    if (mine === asked) fail(e);
  }
}

/** Run an action on one record, then reload the list (the server's order: pinned first, newest first). */
async function act(button, action) {
  button.disabled = true;
  try {
    await action();
    await refresh();
  } catch (e) {
    button.disabled = false;
    fail(e);
  }
}

async function replay(r, button) {
  button.disabled = true;
  try {
    const live = await rec.replay(r.id, $(R.speed)?.value ?? 20);
    location.assign(`/runs/${encodeURIComponent(live.id)}`);
  } catch (e) {
    button.disabled = false;
    fail(e);
  }
}

function remove(r, button) {
  if (!window.confirm(t("recordings.confirm_delete", { name: r.name }))) return;
  act(button, () => rec.remove(r.id));
}

function renameForm(r) {
  const input = h("input", {
    type: "text",
    name: "name",
    value: draft ?? r.name,
    maxlength: 200,
    required: true,
    "aria-label": t("recordings.name_label"),
    oninput: (e) => {
      draft = e.target.value;
    },
  });
  const form = h(
    "form",
    {
      class: "record-rename",
      "data-record-rename": r.id,
      onsubmit: (e) => {
        e.preventDefault();
        const name = input.value.trim();
        if (!name) return input.focus();
        renaming = null;
        act(form.querySelector("button"), () => rec.patch(r.id, { name }));
      },
      onkeydown: (e) => {
        if (e.key !== "Escape") return;
        e.stopPropagation(); // the page's own keys (help dialog, ..) stay out of the edit
        renaming = null;
        renderRecordings();
      },
    },
    input,
    h("button", { type: "submit", class: "btn btn-small btn-primary", text: t("recordings.save") }),
    h("button", {
      type: "button",
      class: "btn btn-small",
      text: t("recordings.cancel"),
      onclick: () => {
        renaming = null;
        renderRecordings();
      },
    }),
  );
  // Opened: the whole name selected. Drawn again by a refresh while typing: focus and caret back after the text.
  queueMicrotask(() => {
    if (draft === null) return input.select();
    input.focus();
    input.setSelectionRange(draft.length, draft.length);
  });
  return form;
}

function actions(r) {
  const live = r.status === "running" || r.status === "paused" || r.status === "created";
  const button = (name, text, onclick, extra = {}) =>
    h("button", { type: "button", class: "btn btn-small", "data-record-action": name, text, onclick: (e) => onclick(e.currentTarget), ...extra });
  return h(
    "span",
    { class: "record-actions" },
    button("replay", t("recordings.replay"), (b) => replay(r, b), { class: "btn btn-small btn-primary" }),
    button("rename", t("recordings.rename"), () => {
      renaming = r.id;
      draft = null;
      renderRecordings();
    }),
    button("pin", t(r.pinned ? "recordings.unpin" : "recordings.pin"), (b) => act(b, () => rec.patch(r.id, { pinned: !r.pinned })), {
      "aria-pressed": r.pinned ? "true" : "false",
    }),
    button("delete", t("recordings.delete"), (b) => remove(r, b), { disabled: live, title: live ? t("recordings.delete_live") : null }),
  );
}

/** A record the server could not read: its id, why, and a way to delete it (the others are listed as usual). */
function damagedRow(r) {
  return h(
    "li",
    { class: "record-item damaged", "data-record": r.id, "data-record-damaged": "" },
    h("span", { class: "record-name", text: r.id }),
    h("span", { class: "record-badge", title: t("recordings.damaged_hint", { why: r.damaged }), text: t("recordings.damaged") }),
    readonly
      ? null
      : h(
          "span",
          { class: "record-actions" },
          h("button", {
            type: "button",
            class: "btn btn-small",
            "data-record-action": "delete",
            text: t("recordings.delete"),
            onclick: (e) => remove({ ...r, name: r.id }, e.currentTarget),
          }),
        ),
  );
}

/** What the run is: activation · init · depth×width, its norm (when it has one), optimizer and learning rate. */
function what(r) {
  if (!r.activation) return null; // a record without a config (an external loop that sent none)
  const parts = [t("recordings.what", { act: r.activation, init: r.init ?? "—", depth: r.depth ?? "?", width: r.width ?? "?" })];
  if (r.norm && r.norm !== "none") parts.push(t("recordings.norm", { norm: r.norm }));
  if (r.optimizer) parts.push(t("recordings.optim", { optimizer: r.optimizer, lr: r.lr ?? "—" }));
  return h("span", { class: "record-what", "data-record-what": "", text: parts.join(" · ") });
}

function row(r) {
  if (r.damaged) return damagedRow(r);
  const date = new Date(r.created * 1000).toLocaleString(getLang(), { dateStyle: "medium", timeStyle: "short" });
  return h(
    "li",
    { class: `record-item${r.pinned ? " pinned" : ""}`, "data-record": r.id },
    renaming === r.id ? renameForm(r) : h("span", { class: "record-name", text: r.name || r.id }),
    r.pinned ? h("span", { class: "record-badge", "data-record-pinned": "", text: t("recordings.pinned") }) : null,
    r.external ? h("span", { class: "record-badge imported", text: t("recordings.imported_badge") }) : null,
    h("span", { class: "record-preset", text: r.lesson ? t("recordings.lesson", { lesson: r.lesson }) : r.preset || t("recordings.custom") }),
    what(r),
    h("span", { class: "status", "data-status": r.status, text: t(`status.${r.status}`) }),
    h("span", { class: "record-steps", "data-steps": r.steps, text: t("recordings.steps", { steps: r.steps }) }),
    h("time", { class: "record-date", datetime: r.date, text: date }),
    h(
      "span",
      { class: "record-exports" },
      h("a", { href: path(r.id, "/export.csv"), download: "", "data-export": "csv", text: "CSV" }),
      h("a", { href: path(r.id, "/export.json"), download: "", "data-export": "json", text: "JSON" }),
      h("a", { href: path(r.id, "/report.html"), target: "_blank", rel: "noopener", "data-export": "html", text: t("recordings.report") }),
    ),
    readonly ? null : actions(r),
  );
}

export function renderRecordings() {
  const list = $(R.list);
  if (!list) return;
  if (!recordings.length) {
    const text = query ? t("recordings.none_match", { q: query }) : t("recordings.none");
    return list.replaceChildren(h("li", { class: "notice", text }));
  }
  list.replaceChildren(...recordings.map(row));
}

async function importFile(input) {
  const file = input.files?.[0];
  if (!file) return;
  let doc;
  try {
    doc = JSON.parse(await file.text());
  } catch {
    input.value = "";
    return say(t("recordings.import_bad", { file: file.name }), true);
  }
  try {
    const r = await rec.import(doc);
    say(t("recordings.imported", { name: r.name }));
    await refresh();
  } catch (e) {
    fail(e);
  } finally {
    input.value = "";
  }
}

/** Fill the panel; a read-only viewer gets the list and the export links, no actions. */
export async function initRecordings(isReadonly) {
  if (!$(R.list)) return;
  readonly = isReadonly;
  if (readonly) for (const el of document.querySelectorAll('[data-role="recordings-presenter"]')) el.remove();
  let timer = null;
  $(R.search).addEventListener("input", (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = e.target.value.trim();
      refresh();
    }, SEARCH_DELAY_MS);
  });
  $(R.importFile)?.addEventListener("change", (e) => importFile(e.target));
  on(EVENTS.lang, renderRecordings); // the static labels are relabelled by i18n.apply(); the rows are built here
  await refresh();
}
