// Every page's chrome: header buttons and keys f, p, l, ?, q; the session decides what a viewer sees; in a
// lecture, the stage (stage.js) makes the presenter's page publish and a viewer's page follow.

import { $, SEL } from "./dom.js";
import { apply, toggleLang } from "./i18n.js";
import { bind } from "./keys.js";
import { restoreProjector, toggleFullscreen, toggleProjector } from "./projector.js";
import { toggleHelp, toggleViewerLink } from "./overlays.js";
import { loadSession, viewerLink } from "./session.js";
import { initStage } from "./stage.js";
import { initFollowBar } from "./followbar.js";
import { showFlash } from "./flash.js";

export async function initChrome() {
  apply();
  restoreProjector();
  const session = await loadSession();
  initStage(session);
  initFollowBar();
  showFlash();
  const showViewer = () => toggleViewerLink(viewerLink(session));
  $(SEL.langToggle)?.addEventListener("click", toggleLang);
  $(SEL.projectorToggle)?.addEventListener("click", toggleProjector);
  $(SEL.helpOpen)?.addEventListener("click", toggleHelp);
  const viewerButton = $(SEL.viewerOpen);
  if (viewerButton && session.lecture && !session.readonly) {
    viewerButton.hidden = false;
    viewerButton.addEventListener("click", showViewer);
  }
  bind("f", toggleFullscreen);
  bind("p", toggleProjector);
  bind("l", toggleLang);
  bind("?", toggleHelp);
  bind("q", showViewer);
  document.body.dataset.ready = "chrome";
  return session;
}
