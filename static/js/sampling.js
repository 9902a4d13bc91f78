// One line on an external run's page: which steps carry gradient norms (run.config.grad_norm_every, docs/client.md).
// The loss chart has every step; the norm charts have the steps that read them.

import { $, h, SEL } from "./dom.js";
import { t } from "./i18n.js";

const ROLE = '[data-role="grad-norm-every"]';

/** "0.93 ms", "12 ms", "1.5 s": two significant digits. */
function duration(seconds) {
  const ms = seconds * 1000;
  return ms < 1000 ? `${Number(ms.toPrecision(2))} ms` : `${Number(seconds.toPrecision(2))} s`;
}

/** The line's text for a run's {every, auto, step_seconds?, norm_seconds?}, or null when it sent none. */
export function samplingText(sampling) {
  if (!sampling || !Number.isInteger(sampling.every) || sampling.every < 1) return null;
  const k = sampling.every;
  const measured = sampling.auto && sampling.step_seconds > 0 && sampling.norm_seconds >= 0;
  const why = measured
    ? { time: duration(sampling.step_seconds), share: `${Number(((100 * sampling.norm_seconds) / sampling.step_seconds).toPrecision(2))} %` }
    : {};
  if (k === 1) return t(measured ? "sampling.every_step_auto" : sampling.auto ? "sampling.measuring" : "sampling.every_step", why);
  return t(measured ? "sampling.every_k_auto" : "sampling.every_k", { k, ...why });
}

/** Show (or update, or remove) the line above the cards. */
export function showSampling(run) {
  const text = samplingText(run.config?.grad_norm_every);
  let line = document.querySelector(ROLE);
  if (text === null) return line?.remove();
  const first = $(SEL.chartCard("gradflow"));
  if (!line && first) {
    line = h("p", { class: "not-measured", "data-role": "grad-norm-every" });
    first.parentElement.insertBefore(line, first.parentElement.firstChild);
  }
  if (line) line.textContent = text;
}
