// The one store: the only `switch` on the wire's message types. Charts read it; only the socket feeds it.

import { EVENTS } from "./dom.js";
import { emit } from "./bus.js";

const STEP_CAP = 1200; // every-step points kept per run; past it the older half is thinned 2:1
const FULL_CAP = 150; // display-rate records kept per run (histograms)
const EVAL_CAP = 600; // accuracy and test-loss points kept per run
const RECENT_FRAMES = 8; // frame records kept per run for a chart that shows every frame in turn (gradflow.js)

/** Two aligned series with their older half thinned 2:1. */
function thinned(a, b) {
  const half = a.length >> 1;
  const keep = (_, i) => i >= half || i % 2 === 0;
  return [a.filter(keep), b.filter(keep)];
}

const isFull = (rec) => (rec.layers?.[0]?.mean_act_deriv ?? null) !== null || rec.layers?.[0]?.grad_hist !== undefined;

/** One run's state: its metadata, every-step series (bounded), display-rate records (bounded). */
export class RunState {
  constructor(run, points = null) {
    this.run = run;
    this.points = points; // {x, y, label, index}: 2-D training points under the boundary (static), or null
    this.clear();
  }

  clear() {
    this.lossSteps = []; // every step's number
    this.loss = []; // train loss per step of lossSteps (nats; null if not finite)
    // The steps whose gradients were read: all of them, or every k-th of an external run (run.config.grad_norm_every).
    this.steps = [];
    this.weightGradNorm = []; // per step of `steps`: [per layer ||dL/dW_k||] input -> output
    this.full = []; // display-rate step records (per-layer metrics), oldest first
    this.evals = []; // {step, train_acc, test_acc, test_loss} of the steps that evaluated, oldest first
    this.metrics = []; // {step, values: {name: number|null}}: a step's own named scalars (external runs), oldest first
    this.latest = null; // newest step record (any kind)
    this.recentFrames = []; // the newest RECENT_FRAMES frame records whose gradients are all finite, oldest first
    this.latestFinite = null; // newest record with a finite gradient (what a diverged run last showed)
    this.latestFull = null; // newest display-rate record
    this.firstFull = null; // oldest display-rate record seen (the run's first step: the verdict's "at step 1")
    this.latestT = 0; // server time (s) of the newest record
    this.divergedStep = null;
    this.boundary = null;
  }

  get lastStep() {
    return this.lossSteps.length ? this.lossSteps[this.lossSteps.length - 1] : 0;
  }

  /** One step; grads is [] for a step whose gradients were not read (its loss still counts). */
  pushCompact(step, loss, grads) {
    if (this.lossSteps.length && step <= this.lastStep) return;
    if (this.lossSteps.length >= STEP_CAP) [this.lossSteps, this.loss] = thinned(this.lossSteps, this.loss);
    this.lossSteps.push(step);
    this.loss.push(loss);
    if (grads.length) {
      if (this.steps.length >= STEP_CAP) [this.steps, this.weightGradNorm] = thinned(this.steps, this.weightGradNorm);
      this.steps.push(step);
      this.weightGradNorm.push(grads);
    }
    if (this.divergedStep === null && (loss === null || grads.some((g) => g === null))) this.divergedStep = step;
  }

  pushRecord(rec) {
    if (this.steps.length && rec.step < this.lastStep) this.clear(); // the run was reset
    this.pushCompact(
      rec.step,
      rec.loss,
      rec.layers.map((l) => l.weight_grad_norm),
    );
    this.latest = rec;
    if (rec.layers.some((l) => l.weight_grad_norm !== null)) this.latestFinite = rec;
    if (rec.layers.length && rec.layers.every((l) => l.weight_grad_norm !== null)) {
      this.recentFrames.push(rec);
      if (this.recentFrames.length > RECENT_FRAMES) this.recentFrames.shift();
    }
    this.latestT = Math.max(this.latestT, rec.t || 0);
    if (rec.diverged && this.divergedStep === null) this.divergedStep = rec.diverged.step ?? rec.step;
    if (rec.nonfinite && this.divergedStep === null) this.divergedStep = rec.step;
    if (rec.boundary) this.boundary = rec.boundary;
    if (rec.train_acc !== undefined || rec.test_acc !== undefined) {
      this.evals.push({ step: rec.step, train_acc: rec.train_acc ?? null, test_acc: rec.test_acc ?? null, test_loss: rec.test_loss ?? null });
      if (this.evals.length > EVAL_CAP) this.evals.splice(0, this.evals.length - EVAL_CAP);
    }
    if (rec.metrics) {
      this.metrics.push({ step: rec.step, values: rec.metrics });
      if (this.metrics.length > EVAL_CAP) this.metrics.splice(0, this.metrics.length - EVAL_CAP);
    }
    if (isFull(rec)) {
      this.firstFull ??= rec;
      this.latestFull = rec;
      this.full.push(rec);
      if (this.full.length > FULL_CAP) this.full.splice(0, this.full.length - FULL_CAP);
    }
  }

  pushBetween(between) {
    if (!between?.step) return;
    for (let i = 0; i < between.step.length; i++) {
      this.pushCompact(between.step[i], between.loss[i], between.weight_grad_norm[i]);
    }
  }
}

export class Store {
  constructor() {
    this.runs = new Map(); // run id -> RunState, in the server's order
    this.group = null;
  }

  get order() {
    return Array.from(this.runs.keys());
  }

  /** Apply one server message (see docs/protocol.md). */
  apply(msg) {
    switch (msg.type) {
      case "snapshot": {
        this.runs.clear();
        this.group = msg.group ?? null;
        for (const { run, history, points } of msg.runs) {
          const state = new RunState(run, points ?? null);
          for (const rec of history) state.pushRecord(rec);
          this.runs.set(run.id, state);
        }
        emit(EVENTS.storeSnapshot, {});
        for (const id of this.runs.keys()) emit(EVENTS.storeChange, { runId: id, full: true, reset: true });
        break;
      }
      case "frame": {
        const state = this.runs.get(msg.run);
        if (!state) return;
        const before = state.lastStep;
        state.pushBetween(msg.between);
        state.pushRecord(msg);
        state.run.step = Math.max(state.run.step ?? 0, msg.step);
        emit(EVENTS.storeChange, { runId: msg.run, full: isFull(msg), reset: msg.step < before });
        break;
      }
      case "status": {
        const state = this.runs.get(msg.run);
        if (!state) return;
        Object.assign(state.run, { status: msg.status, step: msg.step, reason: msg.reason ?? null });
        const reset = msg.step === 0 && state.lossSteps.length > 0;
        if (reset) state.clear();
        emit(EVENTS.storeStatus, { runId: msg.run, status: msg.status });
        emit(EVENTS.storeChange, { runId: msg.run, full: true, reset });
        break;
      }
      default:
        break; // a newer server's message type: ignored
    }
  }

  /** The group's status: "running" if any run runs, else the first run's. */
  status() {
    const states = Array.from(this.runs.values()).map((s) => s.run.status);
    return states.includes("running") ? "running" : (states[0] ?? "created");
  }
}
