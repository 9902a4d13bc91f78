// What one step shows: its text and formula, its cards (the rest hidden), the runs it streams, the sweep or
// the function plot. Runs come from the lesson session: the presenter opens the step (POST), a follower reads
// which runs the presenter's step uses (GET) and streams the same ones.

import { $, $$, h, SEL } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { api } from "../api.js";
import { StreamSocket } from "../socket.js";
import { markAllDirty, markDirty } from "../scheduler.js";
import { runColors } from "../theme.js";
import { runLabel } from "../charts/plot.js";
import { lessonApi } from "./lessonapi.js";

export const STAGE = {
  title: '[data-role="step-title"]',
  text: '[data-role="step-text"]',
  formula: '[data-role="step-formula"]',
  numbers: '[data-role="step-numbers"]',
  grid: '[data-role="lesson-grid"]',
  play: '[data-role="lesson-play"]',
  handout: '[data-role="lesson-handout"]',
};

const PROBE_MS = 1000; // the measured z_k are fetched again this often while a function step is shown
const FOLLOW_TRIES = 240; // a follower asks for the presenter's runs of this step at most this many times,
const FOLLOW_MS = 250; // this far apart (the stage may announce a step a moment before the presenter opened it)
const AHEAD_TRIES = 20; // a follower asks for the next step's runs at most this many times while a step is shown,
const AHEAD_MS = 500; // this far apart (the presenter's page prepares them while the step is shown)
const needsRuns = (view) => view.kind === "preset" || view.kind === "record" || (view.kind === "function" && view.measure);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** session: {id | null, presenter}; charts: {function: view, sweep: view}; the store is the page's one store. */
export function createStage(lesson, store, session, charts) {
  let showing = 0; // bumped by every show(): an older show() stops at its next await
  let current = null; // the step object shown
  let source = null; // {kind, id, runs, replay} streamed now
  let known = null; // a follower's newest answer of GET /api/lessons/sessions/{id}: the steps' runs
  let socket = null;
  let probeTimer = null;
  const sweeps = new Map(); // query -> Promise of the sweep
  const notice = $(SEL.notice);
  const data = { fn: null, sweep: null }; // what the function and sweep charts draw
  let opening = Promise.resolve(); // the presenter's opens go out one after another, in the order of the clicks

  /** POST open for step n once the opens before it answered; skipped (null) when another step was shown since:
   * a clicker pressed four times quickly opens only the step it lands on. */
  function openInOrder(n, token) {
    const run = () => (token === showing ? lessonApi.open(session.id, n) : null);
    const answer = opening.then(run, run);
    opening = answer.catch(() => null);
    return answer;
  }

  function say(text) {
    notice.textContent = text ?? "";
    notice.hidden = !text;
  }

  function renderText() {
    if (!current) return;
    const lang = getLang();
    $(STAGE.title).textContent = current.title[lang] ?? current.title.en;
    $(STAGE.text).textContent = current.text[lang] ?? current.text.en;
    document.title = `${current.title[lang] ?? current.title.en} · ${lesson.title[lang] ?? lesson.title.en}`;
  }

  function renderFormula() {
    // MathML rendered on the server by latex2mathml from the lesson's LaTeX (every input character escaped);
    // parsed as markup only here, and the CSP runs no inline script whatever it contained.
    $(STAGE.formula).innerHTML = current.formula_mathml ?? "";
    $(STAGE.formula).hidden = !current.formula_mathml;
  }

  function layoutCards() {
    const grid = $(STAGE.grid);
    grid.dataset.view = current.view.kind;
    grid.dataset.layout = current.comparison ? "comparison" : "single";
    for (const card of $$("[data-chart]", grid)) {
      card.hidden = !current.panels.includes(card.dataset.chart);
      card.classList.toggle("highlight", card.dataset.chart === current.highlight);
    }
    window.dispatchEvent(new Event("resize")); // Plotly's responsive charts fit their (now shown) boxes
  }

  function renderLegend() {
    const states = Array.from(store.runs.values());
    const colors = runColors(states);
    $(SEL.legend).replaceChildren(
      ...(states.length > 1
        ? states.map((s) =>
            h("span", { class: "legend-item" }, h("span", { class: "swatch", style: `background:${colors.get(s.run.id)}` }), runLabel(s)),
          )
        : []),
    );
  }

  /** Stream `next` (or nothing); the same runs as now keep their socket and history (steps sharing a network). */
  function connect(next) {
    if (next && source && next.kind === source.kind && next.id === source.id) return;
    socket?.close();
    socket = null;
    source = next;
    store.apply({ type: "snapshot", runs: [], group: null }); // empty until the new snapshot arrives
    markAllDirty();
    if (!next) return;
    const path = next.kind === "group" ? `/ws/groups/${encodeURIComponent(next.id)}` : `/ws/runs/${encodeURIComponent(next.id)}`;
    socket = new StreamSocket(path, (msg) => store.apply(msg));
    socket.connect();
  }

  /** The runs of step n: opened by the presenter, or looked up (and waited for) by a follower. A follower takes
   * runs it already knows of at once (steps sharing a network, a step shown before) and checks them behind. */
  async function sourceOf(n, token) {
    if (!session.id) return null;
    if (session.presenter) {
      const answer = await openInOrder(n, token);
      return answer ? answer.steps[n - 1].source : null;
    }
    const knownSource = known?.steps[n - 1].source;
    if (knownSource) {
      recheck(n, token);
      return knownSource;
    }
    for (let i = 0; i < FOLLOW_TRIES && token === showing; i++) {
      known = await lessonApi.session(session.id);
      const found = known.steps[n - 1].source;
      if (found) return found;
      say(t("lesson.waiting"));
      await sleep(FOLLOW_MS);
    }
    return null;
  }

  /** A follower's known runs of step n, asked again: the presenter may have made new ones (a run deleted). */
  function recheck(n, token) {
    lessonApi
      .session(session.id)
      .then((answer) => {
        known = answer;
        const found = answer.steps[n - 1].source;
        if (token === showing && found && source && found.id !== source.id) connect(found);
      })
      .catch(() => {}); // the server is restarting: the next step asks again
  }

  /** A follower learns the runs of step n+1 once the presenter's page has prepared them (it does so while step n is
   * shown), so that the next step shows at once too; a few requests per step at most. */
  async function learnAhead(n, token) {
    const next = lesson.steps[n];
    if (session.presenter || !session.id || !next || !needsRuns(next.view)) return;
    for (let i = 0; i < AHEAD_TRIES && token === showing && !known?.steps[n].source; i++) {
      await sleep(AHEAD_MS);
      if (token !== showing) return;
      try {
        known = await lessonApi.session(session.id);
      } catch {
        return; // the server is restarting: the step asks when it is shown
      }
    }
  }

  function sweepOf(view) {
    const query = `max_depth=${view.max_depth}&seeds=${view.seeds}`;
    if (!sweeps.has(query))
      sweeps.set(
        query,
        api.sweep(query).catch((e) => {
          sweeps.delete(query);
          throw e;
        }),
      );
    return sweeps.get(query);
  }

  function stopProbe() {
    clearTimeout(probeTimer);
    probeTimer = null;
  }

  async function probe(n, token) {
    if (token !== showing || !session.id) return;
    try {
      const measured = await lessonApi.preactivations(session.id, n);
      if (token !== showing) return; // answered after another step was shown: not this step's z
      data.fn.measured = measured;
      markDirty(charts.function);
    } catch {
      // not prepared yet (a follower ahead of the presenter): asked again below
    }
    if (token === showing) probeTimer = setTimeout(() => probe(n, token), PROBE_MS);
  }

  /** Show step n (1-based): text at once, then its runs, sweep or function data. */
  async function show(n) {
    const token = ++showing;
    current = lesson.steps[n - 1];
    document.body.dataset.lessonStep = String(n);
    delete document.body.dataset.stepReady;
    stopProbe();
    say(null);
    renderText();
    renderFormula();
    layoutCards();
    data.fn = current.curves ? { step: n, curves: current.curves, measured: null } : null;
    markDirty(charts.function);
    try {
      const view = current.view;
      let next = null;
      if (needsRuns(view)) {
        if (!session.id) say(t("lesson.not_started"));
        else if (session.presenter) say(t("lesson.preparing"));
        next = await sourceOf(n, token);
      } else if (session.presenter && session.id) {
        await openInOrder(n, token); // pauses the previous step's runs
      }
      if (token !== showing) return;
      connect(next);
      if (view.kind === "sweep") data.sweep = await sweepOf(view);
      if (token !== showing) return;
      if (view.kind === "function" && view.measure) probe(n, token);
      say(needsRuns(view) && !next ? t(session.id ? "lesson.waiting" : "lesson.not_started") : null);
      markAllDirty();
      document.body.dataset.stepReady = String(n);
      const after = lesson.steps[n];
      if (after?.view.kind === "sweep") sweepOf(after.view).catch(() => {}); // ready before the click
      learnAhead(n, token);
    } catch (e) {
      if (token === showing) say(t("lesson.error", { error: e.message }));
    }
  }

  function togglePlay() {
    if (!source || !session.presenter) return;
    const running = store.status() === "running";
    if (source.replay) return api.replay(source.id, { paused: running }).catch((e) => say(t("error.server", { error: e.message })));
    return api.act(source.kind, source.id, running ? "pause" : "resume").catch((e) => say(t("error.server", { error: e.message })));
  }

  function reflectPlay() {
    const play = $(STAGE.play);
    if (!play) return;
    play.dataset.state = store.status() === "running" ? "pause" : "play";
    play.disabled = !source;
  }

  return {
    show,
    togglePlay,
    reflectPlay,
    renderLegend,
    relabel: () => {
      renderText();
      renderLegend();
    },
    stepNames: () => current?.numbers ?? [],
    fnData: () => data.fn,
    sweepData: () => (data.sweep ? [data.sweep] : []), // the sweep chart draws a list of sweeps (one per init)
    source: () => source,
    knows: (n) => Boolean(known?.steps[n - 1]?.source), // a follower knows step n's runs before it is shown
  };
}
