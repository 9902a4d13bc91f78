// A follower's strip at the foot of the screen: "following the presenter" with one tap to explore alone, or,
// while exploring, one tap to follow again (and a word when the presenter has moved on meanwhile).

import { h, EVENTS } from "./dom.js";
import { on } from "./bus.js";
import { t } from "./i18n.js";
import { explore, follow, stage } from "./stage.js";

export function initFollowBar() {
  if (stage.role !== "follower") return;
  const text = h("span", { class: "follow-text", "data-role": "follow-text" });
  const moved = h("span", { class: "follow-moved", "data-role": "follow-moved", "data-i18n": "follow.moved_on", hidden: true });
  const button = h("button", { type: "button", class: "btn follow-button", "data-role": "follow-toggle" });
  const bar = h(
    "aside",
    { class: "follow-bar", "data-role": "follow-bar", "aria-live": "polite" },
    h("span", { class: "follow-words" }, text, moved),
    button,
  );
  button.addEventListener("click", () => (stage.following ? explore() : follow()));
  function render() {
    bar.dataset.state = stage.following ? "on" : stage.movedOn ? "moved" : "off";
    text.dataset.i18n = stage.following ? "follow.on" : "follow.off";
    text.textContent = t(text.dataset.i18n);
    moved.hidden = stage.following || !stage.movedOn;
    moved.textContent = t("follow.moved_on");
    button.dataset.i18n = stage.following ? "follow.explore" : "follow.back";
    button.textContent = t(button.dataset.i18n);
  }
  render();
  on(EVENTS.stage, render);
  document.body.append(bar);
  document.body.classList.add("has-follow-bar");
}
