// e. The chain rule, live, in native MathML: dL/dW1 = dL/dy · a'_n W_n ⋯ a'_1 x, each factor's measured
// mean a'(z_k) and ||W_k|| beneath it, the run's own bound sup|a'(z)| drawn and named (the registry's: 0.25 for
// the sigmoid, 1 for tanh and ReLU); paused, a walk from the output down.

import { $, EVENTS, h, SEL } from "../dom.js";
import { on } from "../bus.js";
import { getLang, t } from "../i18n.js";
import { sci } from "../format.js";
import { activationName, derivBound } from "../registry.js";
import { drawsThroughTime, renderTimeChain } from "./chaintime.js";
import { dL, mi, mo, showFormula, sub, withValue } from "./mathml.js";

const WALK_MS = 900; // one factor per beat when the walk plays by itself
const SHOWN_EDGE = 2; // factors written out at each end of a long product; ⋯ between

/** One factor a'_k W_k (a'_1 alone: x follows) with its measured values written beneath (munder). */
function factor(k, layer, current) {
  if (k === 1) return withValue(sub("a′", 1), sci(layer.mean_act_deriv), current);
  return withValue([sub("a′", k), sub("W", k)], `${sci(layer.mean_act_deriv)} · ${sci(layer.weight_norm)}`, current);
}

/** What the run's bound means for the product: below 1 every layer shrinks it; at 1 or above the activation does
 * not by itself, and the weights decide. "" for a run without a registry activation (an external one). */
export function boundNote(key) {
  const bound = derivBound(key);
  if (bound === null) return "";
  const vars = { activation: activationName(key), bound: String(Number(bound.toPrecision(3))) };
  const text = t(bound < 1 ? "chain.bound_below_one" : "chain.bound_not_below_one", vars);
  return getLang() === "en" ? text[0].toUpperCase() + text.slice(1) : text; // "Sigmoid's a′ never exceeds …"
}

/** driven() -> the walk's position set from elsewhere (a follower: the presenter's), or null for its own walk;
 * onWalk(position) after every change of its own walk (the presenter's page shares it with the room). */
export function chainRuleView(root, store, { driven = () => null, onWalk = () => {} } = {}) {
  const formula = $(SEL.chainFormula, root);
  const factors = $(SEL.chainFactors, root);
  const walkAt = $(SEL.walkAt, root);
  const walkHint = $(SEL.walkHint, root);
  const walkRow = walkHint.parentElement; // the walk steps through layers: hidden for a chain rule through time
  const explain = $(".chain-explain", root);
  let walk = 0; // factors multiplied so far, from the output down (0 = none)
  let walkTimer = null;
  let lastStatus = null;
  let view = null;
  let reported = 0;
  const report = () => {
    if (walk === reported) return;
    reported = walk;
    onWalk(walk);
  };

  const hidden = (s) => s.latestFull.layers.filter((l) => l.name !== "output" && l.mean_act_deriv !== null && l.mean_act_deriv !== undefined);

  function render(s) {
    const throughTime = drawsThroughTime(s); // a recurrent run: one factor per step back instead of per layer
    walkRow.hidden = throughTime;
    const explainKey = throughTime ? "time.explain" : "chain.explain";
    if (explain && explain.dataset.i18n !== explainKey) {
      explain.dataset.i18n = explainKey;
      explain.textContent = t(explainKey);
    }
    if (throughTime) return renderTimeChain(formula, factors, s);
    const layers = hidden(s); // input -> output
    const n = layers.length;
    const paused = s.run.status === "paused";
    const parts = [dL(sub("W", 1)), mo("="), dL(mi("ŷ")), mo("·")];
    const note = boundNote(s.run.config?.activation);
    const current = paused && walk > 0 ? n - walk : -1; // index into layers of the walk's newest factor
    const ks = Array.from({ length: n }, (_, i) => n - 1 - i); // output side first
    const shown = n <= 2 * SHOWN_EDGE ? ks : [...ks.slice(0, SHOWN_EDGE), null, ...ks.slice(n - SHOWN_EDGE)];
    for (const k of shown) {
      if (k === null) parts.push(mo("⋯"));
      else parts.push(factor(k + 1, layers[k], k === current));
    }
    parts.push(mo("·"), mi("x"));
    showFormula(formula, parts);

    // One card per layer, output side first: a', its bar against the run's bound, ||W||, the running product.
    // The bar's scale is 0 … max(1, bound): the bound's tick sits at 25 % for the sigmoid, at the end for ReLU.
    const key = s.run.config?.activation;
    const bound = derivBound(key);
    const scale = Math.max(1, bound ?? 1);
    const boundAt = bound === null ? null : (bound / scale) * 100;
    let product = 1;
    const cards = ks.map((k, i) => {
      const l = layers[k];
      product *= l.mean_act_deriv;
      const width = Math.min(100, Math.max(0, (l.mean_act_deriv / scale) * 100));
      const state = !paused || walk === 0 ? "" : i < walk - 1 ? " done" : i === walk - 1 ? " current" : " todo";
      return h(
        "div",
        { class: `factor-card${state}`, "data-layer": String(k + 1) },
        h("span", { class: "factor-name", text: `a′${toSub(k + 1)}` }),
        h("span", { class: "factor-deriv", text: sci(l.mean_act_deriv) }),
        h(
          "span",
          { class: "deriv-bar" },
          h("span", { class: "deriv-fill", style: `width:${width}%` }),
          boundAt === null ? null : h("span", { class: "deriv-bound", style: `left:calc(${boundAt}% - 3px)`, title: note }),
        ),
        h("span", { class: "factor-weight", text: `‖W${toSub(k + 1)}‖ ${sci(l.weight_norm)}` }),
        h("span", { class: "factor-product", title: t("chain.product"), text: `∏ ${sci(product)}` }),
      );
    });
    factors.dataset.bound = bound ?? "";
    factors.replaceChildren(note ? h("p", { class: "bound-note", "data-bound": String(bound), text: `▏${note}` }) : null, ...cards);

    // a follower's walk is the presenter's: its keys do not move it
    walkHint.textContent = driven() !== null ? t("follow.walk_driven") : paused ? t("chain.walk_hint") : t("chain.walk_only_paused");
    if (paused && walk > 0) {
      const k = n - walk;
      const running = layers.slice(k).reduce((p, l) => p * l.mean_act_deriv, 1);
      walkAt.textContent = t("chain.walk_at", {
        layer: `${t("axis.layer_short")} ${k + 1}`,
        deriv: sci(layers[k].mean_act_deriv),
        product: sci(running),
      });
    } else walkAt.textContent = "";
    return n;
  }

  function stopWalk() {
    clearInterval(walkTimer);
    walkTimer = null;
  }

  function startWalk(n) {
    stopWalk();
    walk = 0;
    walkTimer = setInterval(() => {
      if (walk >= n) return stopWalk();
      walk += 1;
      report();
      view?.markDirty();
    }, WALK_MS);
  }

  on(EVENTS.walk, ({ delta }) => {
    const s = store.runs.values().next().value;
    if (!s?.latestFull || s.run.status !== "paused" || driven() !== null) return;
    stopWalk();
    walk = Math.min(hidden(s).length, Math.max(0, walk + delta));
    report();
    view?.markDirty();
  });

  view = {
    name: "chainrule",
    cost: "dom",
    el: root,
    markDirty: null, // set by the page: scheduler.markDirty(view)
    draw() {
      const s = store.runs.values().next().value;
      if (!s?.latestFull) return 0;
      const status = s.run.status;
      if (status !== lastStatus) {
        if (status === "paused" && driven() === null) startWalk(hidden(s).length);
        else {
          stopWalk();
          walk = 0;
          report();
        }
        lastStatus = status;
      }
      const target = driven();
      if (target !== null) walk = status === "paused" ? Math.min(hidden(s).length, Math.max(0, target)) : 0;
      render(s);
      return s.latestFull.t || 0;
    },
  };
  return view;
}

const SUBS = "₀₁₂₃₄₅₆₇₈₉";
const toSub = (n) => String(n).replace(/\d/g, (d) => SUBS[d]);
