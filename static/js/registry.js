// The registries' vocabulary, as the server embeds it (GET /api/registry's answer): labels in both languages,
// formulas, each activation's derivative bound sup|a′(z)| and recommended init. No label or constant is
// typed twice: the page knows an activation only by what this block says.

import { $, SEL } from "./dom.js";
import { getLang } from "./i18n.js";

const REGISTRY = JSON.parse($(SEL.registry)?.textContent || '{"activations": {}, "inits": {}}');

/** {key, label, formula, deriv_bound, recommended_init, kind} of an activation, or null (an external run's). */
export const activation = (key) => REGISTRY.activations[key] ?? null;
export const init = (key) => REGISTRY.inits[key] ?? null;
export const isActivation = (key) => key in REGISTRY.activations;
export const isInit = (key) => key in REGISTRY.inits;
export const activationKeys = () => Object.keys(REGISTRY.activations);

const pick = (texts) => texts?.[getLang()] ?? texts?.en ?? "";

/** Display name of an activation in the current language (the registry key stays the value everywhere else). */
export const activationName = (key) => (isActivation(key) ? pick(REGISTRY.activations[key].label) : key);
export const initName = (key) => (isInit(key) ? pick(REGISTRY.inits[key].label) : key);
/** One line on what an init is for (the builder shows it under the menu). */
export const initExplain = (key) => (isInit(key) ? pick(REGISTRY.inits[key].explain) : "");

/** sup|a′(z)| of a run's activation, or null when the run has no registry activation (an external run). */
export const derivBound = (key) => activation(key)?.deriv_bound ?? null;
