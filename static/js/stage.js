// The stage of lecture mode (docs/protocol.md "Stage"): the presenter's page publishes where it is and the view
// state that matters to the room (POST /api/stage); a follower's page goes where it goes (/ws/stage).
// Language, projector mode and theme are each device's own: never published, never followed.

import { api } from "./api.js";
import { EVENTS, SEL } from "./dom.js";
import { emit } from "./bus.js";

export const DEVICE_PARAMS = ["lang", "projector", "view", "token"];
export const LOCATION_EVENT = "gradcast:location"; // a page changed its own URL (history.replaceState/pushState)
const FOLLOW_KEY = "gradcast.following"; // sessionStorage, per tab: "0" while exploring on one's own
const AWAY_KEY = "gradcast.away-path"; // the room's path when this tab stopped following
const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
const RETRY_MS = 1000; // a publish that failed (not refused) is tried again after this
const FOCUS_SETTLE_MS = 250; // the presenter's scrolling settles this long before the card in focus is published

/** What the tests and other modules read: role "presenter" | "follower" | null, the newest stage seen. */
export const stage = { role: null, following: false, current: null, movedOn: false };

const shared = {}; // presenter: the state published with the path
const appliers = new Map(); // follower: key -> [apply(value)]
const applied = {}; // follower: key -> the JSON of the value last applied
let pathHandler = null; // a page that can show another path of its own without a reload (lesson steps)

/** pathname + search without each device's own parameters (the room's location of `href`). */
export function roomPath(href = location.href) {
  const url = new URL(href, location.origin);
  for (const p of DEVICE_PARAMS) url.searchParams.delete(p);
  return url.pathname + (url.search === "?" ? "" : url.search);
}

// ---- presenter ---------------------------------------------------------------------------------------

let inflight = false;
let pending = false;

async function flush() {
  if (inflight || !pending || stage.role !== "presenter") return;
  pending = false;
  inflight = true;
  try {
    stage.current = await api.publishStage({ path: roomPath(), state: { ...shared } });
    document.body.dataset.stageSeq = String(stage.current.seq);
  } catch (e) {
    if (e.status === 401 || e.status === 403)
      stage.role = null; // not the presenter after all: stop trying
    else if (!(e.status >= 400 && e.status < 500) && !pending) setTimeout(publish, RETRY_MS); // server restarting, network away
  } finally {
    inflight = false;
    if (pending) flush();
  }
}

function publish() {
  pending = true;
  queueMicrotask(flush); // changes made in one task go out as one stage
}

/** Presenter: one field of the room's view state (null removes it); published at once. Elsewhere: nothing. */
export function shareState(key, value) {
  if (value === null || value === undefined) delete shared[key];
  else shared[key] = value;
  if (stage.role === "presenter") publish();
}

/** The chart card nearest the top of the presenter's screen once scrolling settles (none at the very top). */
function watchFocus() {
  let timer = null;
  window.addEventListener(
    "scroll",
    () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const cards = [...document.querySelectorAll(SEL.chartCards)];
        const top = document.querySelector(".topbar")?.getBoundingClientRect().bottom ?? 0;
        const card = window.scrollY < 40 ? null : cards.find((c) => c.getBoundingClientRect().bottom > top + 80);
        if ((card?.dataset.chart ?? null) !== (shared.focus ?? null)) shareState("focus", card?.dataset.chart ?? null);
      }, FOCUS_SETTLE_MS);
    },
    { passive: true },
  );
}

// ---- follower ----------------------------------------------------------------------------------------

/** Follower: apply(value) whenever the room's state[key] changes, and now with the current one. */
export function followState(key, apply) {
  if (!appliers.has(key)) appliers.set(key, []);
  appliers.get(key).push(apply);
  if (stage.role === "follower" && stage.following && stage.current) {
    applied[key] = JSON.stringify(stage.current.state[key] ?? null);
    apply(stage.current.state[key] ?? null);
  }
}

/** The card the presenter is looking at: scrolled to and outlined (none: back to the top of the page). */
function showFocus(name) {
  for (const card of document.querySelectorAll(".in-focus")) card.classList.remove("in-focus");
  const card = name ? document.querySelector(SEL.chartCard(name)) : null;
  if (card) {
    card.classList.add("in-focus");
    card.scrollIntoView({ block: "start", behavior: "smooth" });
  } else if (name === null && window.scrollY > 0) window.scrollTo({ top: 0, behavior: "smooth" });
}

/** A page that can move to another path of its own in place: handler(path) -> true when it did. */
export function onStagePath(handler) {
  pathHandler = handler;
}

/** The room's path on this device: its own lang and projector kept, read-only. */
function ownUrl(path) {
  const here = new URL(location.href);
  const url = new URL(path, location.origin);
  for (const p of ["lang", "projector"]) if (here.searchParams.has(p)) url.searchParams.set(p, here.searchParams.get(p));
  url.searchParams.set("view", "1");
  return url.pathname + url.search;
}

function applyState(state) {
  for (const [key, list] of appliers) {
    const json = JSON.stringify(state[key] ?? null);
    if (applied[key] === json) continue;
    applied[key] = json;
    for (const apply of list) apply(state[key] ?? null);
  }
}

function receive(msg) {
  stage.current = msg;
  if (!stage.following) {
    stage.movedOn = msg.path !== sessionStorage.getItem(AWAY_KEY);
    emit(EVENTS.stage, { ...stage });
    return;
  }
  if (msg.seq === 0) return; // the presenter's page has not published yet: nothing to follow
  if (msg.path !== roomPath()) {
    if (pathHandler?.(msg.path)) {
      history.replaceState(history.state, "", ownUrl(msg.path));
    } else {
      location.replace(ownUrl(msg.path));
      return;
    }
  }
  applyState(msg.state);
  document.body.dataset.stageSeq = String(msg.seq);
  emit(EVENTS.stage, { ...stage });
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws/stage`);
  ws.onopen = () => {
    attempt = 0;
  };
  ws.onmessage = (event) => receive(JSON.parse(event.data));
  ws.onclose = (event) => {
    if (event.code === 1008) return; // refused: retrying cannot help
    setTimeout(() => connect(attempt + 1), BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
  };
}

/** Stop following: this tab stays where it is until "follow the presenter". */
export function explore() {
  if (stage.role !== "follower" || !stage.following) return;
  stage.following = false;
  stage.movedOn = false;
  sessionStorage.setItem(FOLLOW_KEY, "0");
  sessionStorage.setItem(AWAY_KEY, stage.current?.path ?? roomPath());
  document.body.dataset.follow = "off";
  emit(EVENTS.stage, { ...stage });
}

/** Follow again: go where the room is now and take its view state. */
export function follow() {
  if (stage.role !== "follower") return;
  stage.following = true;
  stage.movedOn = false;
  sessionStorage.setItem(FOLLOW_KEY, "1");
  document.body.dataset.follow = "on";
  for (const key of Object.keys(applied)) delete applied[key];
  if (stage.current) receive(stage.current);
  else emit(EVENTS.stage, { ...stage });
}

export const isFollowing = () => stage.role === "follower" && stage.following;

/** Called once per page by chrome.js: the presenter of a lecture publishes, a read-only viewer follows. */
export function initStage(session) {
  if (!session.lecture) return stage;
  if (!session.readonly && session.presenter) {
    stage.role = "presenter";
    document.addEventListener(LOCATION_EVENT, publish);
    watchFocus();
    publish();
  } else if (session.readonly) {
    stage.role = "follower";
    stage.following = sessionStorage.getItem(FOLLOW_KEY) !== "0";
    followState("focus", showFocus);
    document.body.dataset.follow = stage.following ? "on" : "off";
    // Opening a link of one's own is exploring: the page must not snap back to the room's.
    document.addEventListener(
      "click",
      (event) => {
        const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
        if (link && new URL(link.href, location.href).origin === location.origin) explore();
      },
      true,
    );
    connect();
  }
  return stage;
}
