// The verdict as data: vanishing, healthy, exploding, diverged (thresholds on the first ÷ last layer gradient),
// the ratio at the run's first step beside the ratio now, and the cause when the measurements show one. Pure:
// a RunState in, a plain object out (charts/verdicts.js writes the words; tests call both in the browser).

import { activation } from "./registry.js";

export const VANISHING_BELOW = 1e-3; // first-layer gradient under a thousandth of the last layer's
export const EXPLODING_ABOVE = 1e3;
export const SATURATED_BELOW = 1e-2; // a′(z) under which a unit counts as saturated (the server's saturated_frac)
const CAUSE_SHARE = 0.2; // mean share of hidden units saturated (or dead) from which it is named as the cause
const EXPLODED_NORM = 1e3; // a gradient norm this large before a divergence: the gradient exploded first
const SMOOTH_STEPS = 15; // median over the newest steps, so one noisy step does not flip the verdict

/** first ÷ last layer ||dL/dW|| of one step's per-layer list (null if not finite). */
export function gradRatio(grads) {
  const first = grads[0];
  const last = grads[grads.length - 1];
  if (first === null || last === null || !(last > 0)) return null;
  return first / last;
}

function median(values) {
  const v = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[v.length >> 1] : null;
}

const kindOf = (ratio) => (ratio < VANISHING_BELOW ? "vanishing" : ratio > EXPLODING_ABOVE ? "exploding" : "healthy");

/** Mean of one metric over the hidden layers of a display-rate record (null if not measured). */
function hiddenMean(rec, metric) {
  const layers = rec?.layers.filter((l) => l.name !== "output" && l[metric] !== null && l[metric] !== undefined) ?? [];
  return layers.length ? layers.reduce((a, l) => a + l[metric], 0) / layers.length : null;
}

/** Product of the measured mean a′(z_k) over the hidden layers of a record: the activations' share of the chain
 * rule (null if not measured). */
function derivProduct(rec) {
  const layers = rec?.layers.filter((l) => l.name !== "output" && Number.isFinite(l.mean_act_deriv)) ?? [];
  return layers.length ? { product: layers.reduce((p, l) => p * l.mean_act_deriv, 1), layers: layers.length } : null;
}

/** What made the gradient vanish or explode, from the measurements (null when they name nothing).
 *
 * Vanishing: dead units (a rectifier's output 0 on the whole batch), else saturated units (a′ < 0.01 on the
 * whole batch), else for a saturating activation the measured a′ themselves when their product accounts for at
 * least half the decades lost (the sigmoid's bound 0.25; tanh pushed into its flat tails), else the weights. */
function causeOf(state, kind, ratio, initKind) {
  const config = state.run.config ?? {};
  const act = activation(config.activation);
  if (!act) return null; // an external run: no registry activation, no probe of a′
  const base = { activation: config.activation, init: config.init, recommendedInit: act.recommended_init, bound: act.deriv_bound };
  const during = initKind !== null && initKind !== kind; // it began otherwise: it happened during training
  if (kind === "vanishing") {
    const rec = state.latestFull;
    const dead = hiddenMean(rec, "dead_frac");
    if (dead !== null && dead >= CAUSE_SHARE) return { ...base, kind: "dead", share: dead, during };
    const saturated = hiddenMean(rec, "saturated_frac");
    if (saturated !== null && saturated >= CAUSE_SHARE) return { ...base, kind: "saturated", share: saturated, during };
    const measured = derivProduct(rec);
    if (act.kind === "saturating" && measured && measured.product <= Math.sqrt(ratio)) {
      if (act.deriv_bound < 1) return { ...base, kind: "bound", ...measured };
      const first = state.firstFull && state.firstFull !== rec ? derivProduct(state.firstFull) : null;
      const fell = during && first && first.product > measured.product;
      return {
        ...base,
        kind: fell ? "deriv_fell" : "deriv_small",
        ...measured,
        // biome-ignore lint/suspicious/noThenProperty: `then` is the verdict's value at step 1, never awaited
        then: first?.product ?? null,
        thenStep: state.firstFull?.step ?? null,
      };
    }
    return { ...base, kind: "weights_small" };
  }
  if (kind === "exploding") return { ...base, kind: "weights_large" };
  return null;
}

/** {kind, ratio?, step?, reason?, init?: {step, ratio}, cause?, maxNorm?} for one RunState. */
export function verdictOf(state) {
  if (!state) return { kind: "waiting" };
  const { status, reason } = state.run;
  if (status === "failed") return { kind: "failed", reason: reason ?? "" };
  const n = state.weightGradNorm.length;
  // The first step the page holds (both the server's history and the store keep it when they thin).
  const firstRatio = n ? gradRatio(state.weightGradNorm[0]) : null;
  const init = firstRatio === null ? null : { step: state.steps[0], ratio: firstRatio };
  if (status === "diverged" || state.divergedStep !== null) {
    const finite = state.weightGradNorm.flat().filter((g) => g !== null && Number.isFinite(g));
    const maxNorm = finite.length ? Math.max(...finite) : null;
    return { kind: "diverged", step: state.divergedStep ?? state.run.step, init, maxNorm, exploded: maxNorm !== null && maxNorm >= EXPLODED_NORM };
  }
  const time = state.latestFull?.time; // a recurrent run: the verdict is about the chain rule through time
  const g = time?.hidden_grad_norm;
  if (g?.length && g[0] !== null && g[g.length - 1] > 0) {
    const ratio = g[0] / g[g.length - 1]; // ||dL/dh_1|| ÷ ||dL/dh_T||
    return { kind: kindOf(ratio), ratio, through: "time", T: time.t[time.t.length - 1] };
  }
  if (!n) return { kind: "waiting" };
  const ratio = median(state.weightGradNorm.slice(Math.max(0, n - SMOOTH_STEPS)).map(gradRatio));
  if (ratio === null) return { kind: "waiting" };
  const kind = kindOf(ratio);
  const step = state.steps[n - 1];
  const cause = causeOf(state, kind, ratio, init ? kindOf(init.ratio) : null);
  return { kind, ratio, step, init: init && init.step < step ? init : null, cause };
}
