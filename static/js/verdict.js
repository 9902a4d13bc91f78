// The verdict in plain words: vanishing, healthy, exploding, diverged (thresholds on first ÷ last layer gradient).

export const VANISHING_BELOW = 1e-3; // first-layer gradient under a thousandth of the last layer's
export const EXPLODING_ABOVE = 1e3;
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

/** {kind, ratio?, step?, reason?} for one RunState. */
export function verdictOf(state) {
  if (!state) return { kind: "waiting" };
  const { status, reason } = state.run;
  if (status === "failed") return { kind: "failed", reason: reason ?? "" };
  if (status === "diverged" || state.divergedStep !== null) {
    return { kind: "diverged", step: state.divergedStep ?? state.run.step };
  }
  const time = state.latestFull?.time; // a recurrent run: the verdict is about the chain rule through time
  const g = time?.hidden_grad_norm;
  if (g?.length && g[0] !== null && g[g.length - 1] > 0) {
    const ratio = g[0] / g[g.length - 1]; // ||dL/dh_1|| ÷ ||dL/dh_T||
    const kind = ratio < VANISHING_BELOW ? "vanishing" : ratio > EXPLODING_ABOVE ? "exploding" : "healthy";
    return { kind, ratio, through: "time", T: time.t[time.t.length - 1] };
  }
  const n = state.weightGradNorm.length;
  if (!n) return { kind: "waiting" };
  const ratio = median(state.weightGradNorm.slice(Math.max(0, n - SMOOTH_STEPS)).map(gradRatio));
  if (ratio === null) return { kind: "waiting" };
  const kind = ratio < VANISHING_BELOW ? "vanishing" : ratio > EXPLODING_ABOVE ? "exploding" : "healthy";
  return { kind, ratio };
}
