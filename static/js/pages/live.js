// What the run view and the comparison view share: socket -> store -> charts, controls, verdicts, export.

import { $, EVENTS, SEL } from "../dom.js";
import { emit, on } from "../bus.js";
import { t } from "../i18n.js";
import { bind } from "../keys.js";
import { initChrome } from "../chrome.js";
import { initControls } from "../controls.js";
import { initTimeline } from "../timeline.js";
import { initPngExport } from "../export.js";
import { StreamSocket } from "../socket.js";
import { Store } from "../store.js";
import { markAllDirty, markDirty, register } from "../scheduler.js";
import { progressView, verdictsView } from "../charts/verdicts.js";
import { bumpEpoch } from "../charts/plot.js";
import { shareState } from "../stage.js";

/** The page's live objects, for the browser tests and bench/render.py (import this module to reach them). */
export const live = { store: null, socket: null, charts: [], controls: null, timeline: null };

function showNotice(text) {
  const notice = $(SEL.notice);
  notice.textContent = text;
  notice.hidden = !text;
}

/** kind "run" | "group"; makeCharts(store) -> [chart views] in redraw order. */
export async function startLive(kind, id, makeCharts, { onSnapshot = () => {} } = {}) {
  const store = new Store();
  live.store = store;
  await initChrome();

  const views = [verdictsView($(SEL.view), store), progressView($(SEL.view), store), ...makeCharts(store)];
  for (const v of views) {
    if (!v.markDirty) v.markDirty = () => markDirty(v);
    register(v);
  }
  live.charts = views;
  on(EVENTS.storeChange, ({ reset }) => {
    if (reset) {
      for (const v of views) v.reset?.();
      bumpEpoch();
    }
    markAllDirty();
  });
  on(EVENTS.storeSnapshot, () => onSnapshot(store));
  on(EVENTS.storeSnapshot, bumpEpoch);
  on(EVENTS.lang, () => {
    onSnapshot(store);
    bumpEpoch();
    markAllDirty();
  });
  on(EVENTS.theme, () => {
    bumpEpoch();
    markAllDirty();
    window.dispatchEvent(new Event("resize")); // Plotly's responsive charts refit their new boxes
  });

  const share = $(SEL.shareLink);
  if (share) share.href = `${location.pathname}?view=1`;
  initPngExport();
  bind("ArrowDown", () => emit(EVENTS.walk, { delta: 1 }));
  bind("ArrowUp", () => emit(EVENTS.walk, { delta: -1 }));
  $(SEL.walkNext)?.addEventListener("click", () => emit(EVENTS.walk, { delta: 1 }));
  $(SEL.walkPrev)?.addEventListener("click", () => emit(EVENTS.walk, { delta: -1 }));
  on(EVENTS.storeStatus, () => shareState("status", store.status())); // paused or running, for the room

  const first = () => store.runs.values().next().value;
  live.controls = initControls(kind, id, () => ({
    status: store.runs.size ? store.status() : undefined,
    stepsPerSecond: first()?.run.steps_per_second,
  }));
  if (live.controls) {
    // A replay's timeline spans its longest record; the step is where the replay is (the furthest run).
    live.timeline = initTimeline(
      kind,
      id,
      () => {
        const states = Array.from(store.runs.values()).filter((s) => s.run.replay);
        if (!states.length) return { replay: null, step: 0 };
        const last = Math.max(...states.map((s) => s.run.replay.last));
        return { replay: { first: 0, last }, step: Math.max(...states.map((s) => s.run.step ?? 0)) };
      },
      live.controls.send,
    );
  }

  const path = kind === "group" ? `/ws/groups/${encodeURIComponent(id)}` : `/ws/runs/${encodeURIComponent(id)}`;
  const socket = new StreamSocket(path, (msg) => store.apply(msg));
  live.socket = socket;
  const conn = $(SEL.conn);
  let lastConn = null;
  on(EVENTS.lang, () => lastConn && showConn(lastConn));
  const showConn = ({ state, reason }) => {
    conn.hidden = false;
    conn.dataset.state = state;
    conn.textContent = state === "closed" ? t("conn.closed", { reason }) : t(`conn.${state}`);
  };
  on(EVENTS.conn, (detail) => {
    lastConn = detail;
    showConn(detail);
    const { code } = detail;
    if (code === 4404) {
      showNotice(t(kind === "group" ? "group.not_found" : "run.not_found", { id }));
      $(SEL.grid)?.setAttribute("hidden", "");
    }
  });
  socket.connect();
  document.body.dataset.ready = "live";
  return live;
}
