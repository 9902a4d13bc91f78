// The deck: which step is shown, the counter, the overview, the clicker's keys and the address (?step=N).

import { $, h } from "../dom.js";
import { getLang, t } from "../i18n.js";
import { bind } from "../keys.js";

export const DECK = {
  prev: '[data-role="deck-prev"]',
  next: '[data-role="deck-next"]',
  counter: '[data-role="deck-counter"]',
  overviewOpen: '[data-role="deck-overview-open"]',
  overview: '[data-role="deck-overview"]',
  list: '[data-role="deck-list"]',
};

/** The stage module (lecture mode) republishes the page's location on this event. */
export const LOCATION_EVENT = "gradcast:location";

const clamp = (n, total) => Math.min(total, Math.max(1, Number.isFinite(n) ? n : 1));

/** steps: the lesson's steps; show(n) draws step n (1-based). Returns {go(n), current(), relabel()}. */
export function initDeck(steps, show, { params = {} } = {}) {
  const total = steps.length;
  let current = clamp(parseInt(new URL(location.href).searchParams.get("step") ?? "1", 10), total);

  function writeLocation() {
    const url = new URL(location.href);
    url.searchParams.set("step", String(current));
    for (const [k, v] of Object.entries(params)) if (v) url.searchParams.set(k, v);
    if (url.href !== location.href) history.replaceState(history.state, "", url);
    document.dispatchEvent(new CustomEvent(LOCATION_EVENT));
  }

  function relabel() {
    $(DECK.counter).textContent = t("lesson.counter", { n: current, total });
    $(DECK.prev).disabled = current <= 1;
    $(DECK.next).disabled = current >= total;
    const lang = getLang();
    $(DECK.list).replaceChildren(
      ...steps.map((s, i) =>
        h(
          "li",
          { class: i + 1 === current ? "current" : "" },
          h("button", {
            type: "button",
            class: "linklike",
            "data-step": String(i + 1),
            text: s.title[lang] ?? s.title.en,
            onclick: () => {
              closeOverview();
              go(i + 1);
            },
          }),
        ),
      ),
    );
  }

  function go(n) {
    const next = clamp(n, total);
    if (next === current && document.body.dataset.lessonStep === String(next)) return;
    current = next;
    writeLocation();
    relabel();
    show(current);
  }

  const overview = $(DECK.overview);
  const closeOverview = () => overview.open && overview.close();
  const toggleOverview = () => (overview.open ? overview.close() : overview.showModal());
  $(DECK.prev).addEventListener("click", () => go(current - 1));
  $(DECK.next).addEventListener("click", () => go(current + 1));
  $(DECK.overviewOpen).addEventListener("click", toggleOverview);
  for (const key of ["ArrowRight", "PageDown"]) bind(key, () => go(current + 1)); // a clicker's "next"
  for (const key of ["ArrowLeft", "PageUp"]) bind(key, () => go(current - 1)); // and "back"
  bind("o", toggleOverview);
  window.addEventListener("popstate", () => go(parseInt(new URL(location.href).searchParams.get("step") ?? "1", 10)));

  writeLocation();
  relabel();
  show(current);
  return {
    go,
    current: () => current,
    relabel,
    setParam: (k, v) => {
      params[k] = v;
      writeLocation();
    },
  };
}
