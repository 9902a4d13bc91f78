// /lessons/{id}: a lesson, one step at a time (?step=N), driven by → / ← or a clicker; ?session=S names the
// presenter's runs, so a follower opening the same address sees the same step and the same runs. In lecture mode
// the stage (stage.js) carries the presenter's address: a follower moves to the new step in place.

import { $, EVENTS, SEL } from "../dom.js";
import { emit, on } from "../bus.js";
import { getLang } from "../i18n.js";
import { bind } from "../keys.js";
import { initChrome } from "../chrome.js";
import { initPngExport } from "../export.js";
import { Store } from "../store.js";
import { markAllDirty, markDirty, register } from "../scheduler.js";
import { bumpEpoch } from "../charts/plot.js";
import { progressView } from "../charts/verdicts.js";
import { gradflowChart } from "../charts/gradflow.js";
import { chainRuleView } from "../charts/chainrule.js";
import { updateChart } from "../charts/update.js";
import { derivChart } from "../charts/deriv.js";
import { ratioChart } from "../charts/ratio.js";
import { lossChart } from "../charts/loss.js";
import { sweepChart } from "../charts/sweep.js";
import { functionChart } from "../lessons/funcplot.js";
import { numbersView } from "../lessons/numbers.js";
import { handoutUrl, lessonApi } from "../lessons/lessonapi.js";
import { createStage, STAGE } from "../lessons/stage.js";
import { initDeck } from "../lessons/deck.js";
import { followState, isFollowing, onStagePath, shareState, stage as room } from "../stage.js";

const lesson = JSON.parse($("#lesson-data").textContent);
const plot = (name) => $(SEL.plot(name));

/** The page's live objects, for the browser tests. */
export const lessonPage = { store: null, stage: null, deck: null, session: null };

/** The session whose runs this page shows: the one in the address, else the lesson's newest (a presenter's second
 * tab or a reload reuses its runs), else (presenter) a new one; null when a follower arrives before the presenter
 * started. */
async function findSession(presenter) {
  const given = new URL(location.href).searchParams.get("session");
  if (given) {
    try {
      return (await lessonApi.session(given)).id;
    } catch {
      // the server restarted: the newest session, or a new one
    }
  }
  const newest = (await lessonApi.sessions(lesson.id)).at(-1);
  if (newest) return newest.id;
  return presenter ? (await lessonApi.start(lesson.id)).id : null;
}

const chrome = await initChrome();
const store = new Store();
lessonPage.store = store;
const presenter = !chrome.readonly;
const session = { id: await findSession(presenter).catch(() => null), presenter };
lessonPage.session = session;

const charts = {};
const stage = createStage(lesson, store, session, charts);
charts.function = functionChart(plot("function"), stage.fnData);
let roomWalk = 0; // a follower's walkthrough position: the presenter's (↑/↓ on the presenter's page only)
const chain = chainRuleView($(SEL.chartCard("chainrule")), store, {
  driven: () => (isFollowing() ? roomWalk : null),
  onWalk: (walk) => shareState("walk", walk),
});
const views = [
  progressView($(SEL.view), store),
  numbersView($(STAGE.numbers), store, stage.stepNames),
  gradflowChart(plot("gradflow"), store),
  chain,
  updateChart(plot("update"), store),
  derivChart(plot("deriv"), store),
  ratioChart(plot("ratio"), store),
  lossChart(plot("loss"), store),
  sweepChart(plot("sweep"), stage.sweepData),
  charts.function,
];
for (const v of views) {
  if (!v.markDirty) v.markDirty = () => markDirty(v);
  register(v);
}
on(EVENTS.storeChange, ({ reset }) => {
  if (reset) {
    for (const v of views) v.reset?.();
    bumpEpoch();
  }
  markAllDirty();
});
on(EVENTS.storeSnapshot, () => {
  bumpEpoch();
  stage.renderLegend();
  stage.reflectPlay();
});
on(EVENTS.storeStatus, stage.reflectPlay);
on(EVENTS.theme, () => {
  bumpEpoch();
  markAllDirty();
  window.dispatchEvent(new Event("resize"));
});
initPngExport();

const handout = $(STAGE.handout);
const linkHandout = () => {
  if (handout && session.id) {
    handout.href = handoutUrl(session.id, getLang());
    handout.hidden = false;
  }
};
linkHandout();
on(EVENTS.lang, () => {
  stage.relabel();
  deck.relabel();
  linkHandout();
  bumpEpoch();
  markAllDirty();
});

$(STAGE.play)?.addEventListener("click", stage.togglePlay);
if (presenter) bind(" ", stage.togglePlay);
bind("ArrowDown", () => emit(EVENTS.walk, { delta: 1 }));
bind("ArrowUp", () => emit(EVENTS.walk, { delta: -1 }));

const deck = initDeck(lesson.steps, stage.show, { params: { session: session.id } });
lessonPage.stage = stage;
lessonPage.deck = deck;
document.body.dataset.ready = "lesson";

followState("walk", (walk) => {
  roomWalk = Number(walk) || 0;
  chain.markDirty();
});

/** The room's path (stage.js): another step of this lesson and session is shown in place, without a reload;
 * anything else (another page, another session's runs) is left to stage.js, which loads it. */
function showRoomPath(path) {
  const url = new URL(path, location.origin);
  const sid = url.searchParams.get("session");
  if (url.pathname !== location.pathname || (sid && sid !== session.id)) return false;
  deck.go(parseInt(url.searchParams.get("step") ?? "1", 10));
  return true;
}
onStagePath(showRoomPath);

// Without lecture mode there is no stage: a read-only page (?view=1) keeps to the presenter's step by asking the
// session now and then. In a lecture the stage moves followers, within a second of the presenter's key.
const POLL_MS = 2000;
if (!presenter && session.id && room.role !== "follower") {
  setInterval(async () => {
    try {
      const { current } = await lessonApi.session(session.id);
      if (current !== deck.current()) deck.go(current);
    } catch {
      // the server is restarting: the socket's reconnect says so
    }
  }, POLL_MS);
}
