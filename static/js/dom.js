// Every selector and event name of the front end, in one map.

export const SEL = {
  catalogue: "#i18n-catalogue",
  registry: "#registry",
  view: "#view",
  i18n: "[data-i18n]",
  i18nTitle: "[data-i18n-title]",
  // header and dialogs
  conn: '[data-role="conn"]',
  viewTitle: '[data-role="view-title"]',
  externalBadge: '[data-role="external-badge"]',
  replayBadge: '[data-role="replay-badge"]',
  langToggle: '[data-role="lang-toggle"]',
  projectorToggle: '[data-role="projector-toggle"]',
  helpOpen: '[data-role="help-open"]',
  helpDialog: '[data-role="help-dialog"]',
  viewerOpen: '[data-role="viewer-open"]',
  viewerDialog: '[data-role="viewer-dialog"]',
  viewerQr: '[data-role="viewer-qr"]',
  viewerUrl: '[data-role="viewer-url"]',
  // live views
  verdicts: '[data-role="verdicts"]',
  status: '[data-role="status"]',
  step: '[data-role="step"]',
  notice: '[data-role="notice"]',
  sweepInit: '[data-role="sweep-init"]',
  sweepShown: '[data-role="sweep-shown"]',
  controls: '[data-role="controls"]',
  playToggle: '[data-role="play-toggle"]',
  stepButton: '[data-role="step-once"]',
  resetButton: '[data-role="reset"]',
  speed: '[data-role="speed"]',
  speedValue: '[data-role="speed-value"]',
  controlError: '[data-role="control-error"]',
  timeline: '[data-role="timeline"]',
  timelineRange: '[data-role="timeline-range"]',
  timelineValue: '[data-role="timeline-value"]',
  exportCsv: '[data-role="export-csv"]',
  exportJson: '[data-role="export-json"]',
  exportPng: "[data-export-png]",
  sameConfig: '[data-role="same-config"]',
  shareLink: '[data-role="share-link"]',
  runLinks: '[data-role="run-links"]',
  legend: '[data-role="legend"]',
  grid: ".grid",
  actOverlay: '[data-role="act-overlay"]',
  histLayer: '[data-role="hist-layer"]',
  chartCard: (name) => `[data-chart="${name}"]`,
  chartCards: "[data-chart]",
  plot: (name) => `#chart-${name}`,
  // chain rule panel
  chainFormula: '[data-role="chain-formula"]',
  chainFactors: '[data-role="chain-factors"]',
  walkHint: '[data-role="chain-walk-hint"]',
  walkPrev: '[data-role="walk-prev"]',
  walkNext: '[data-role="walk-next"]',
  walkAt: '[data-role="chain-walk-at"]',
  // home
  gallery: '[data-role="gallery"]',
  builder: '[data-role="builder"]',
  builderSection: '[data-role="builder-section"]',
  builderFields: '[data-role="builder-fields"]',
  builderDefaults: '[data-role="builder-defaults"]',
  builderError: '[data-role="builder-error"]',
  runList: '[data-role="run-list"]',
};

export const EVENTS = {
  storeChange: "gradcast:store-change", // detail: {runId, full, reset}
  storeStatus: "gradcast:store-status", // detail: {runId, status}
  storeSnapshot: "gradcast:store-snapshot",
  conn: "gradcast:connection", // detail: {state, reason}
  lang: "gradcast:lang", // detail: {lang}
  theme: "gradcast:theme", // detail: {projector}
  walk: "gradcast:walk", // detail: {delta}
  stage: "gradcast:stage", // detail: {role, following, current, movedOn} (stage.js)
};

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** Create an element with attributes and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}
