// English and Korean strings from the server's one catalogue (the JSON block in base.html); l toggles.

import { $, $$, EVENTS, SEL } from "./dom.js";
import { emit } from "./bus.js";

const bundle = JSON.parse($(SEL.catalogue).textContent); // {"en": {key: text}, "ko": {...}}
export const LANGS = Object.keys(bundle);
let lang = LANGS.includes(document.documentElement.lang) ? document.documentElement.lang : LANGS[0];

export const getLang = () => lang;
export const has = (key) => key in bundle[lang];

/** The string for key with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const text = bundle[lang][key] ?? bundle[LANGS[0]][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Re-render every element that names its catalogue key. */
export function apply(root = document) {
  for (const el of $$(SEL.i18n, root)) el.textContent = t(el.dataset.i18n);
  for (const el of $$(SEL.i18nTitle, root)) el.title = t(el.dataset.i18nTitle);
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  document.documentElement.lang = lang;
  apply();
  const url = new URL(location.href);
  url.searchParams.set("lang", lang);
  history.replaceState(history.state, "", url);
  emit(EVENTS.lang, { lang });
}

export const toggleLang = () => setLang(LANGS[(LANGS.indexOf(lang) + 1) % LANGS.length]);
