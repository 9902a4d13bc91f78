// The run builder: one form field per property of the server's RunConfig schema; the URL hash keeps the form.

import { $, h, SEL } from "./dom.js";
import { api } from "./api.js";
import { has, t } from "./i18n.js";
import { activation, activationName, initExplain, initName } from "./registry.js";

let fields = []; // {name, kind: "enum" | "bool" | "int" | "number" | "string", spec, optional, input}

/** Follow $ref / allOf / anyOf-with-null down to the property's own type. */
function resolve(prop, schema) {
  let optional = false;
  let spec = { ...prop };
  for (let guard = 0; guard < 5; guard++) {
    if (spec.$ref) {
      const target = spec.$ref.split("/").pop();
      const { $ref, ...rest } = spec;
      spec = { ...(schema.$defs?.[target] ?? schema.definitions?.[target] ?? {}), ...rest };
    } else if (spec.allOf?.length === 1) {
      const { allOf, ...rest } = spec;
      spec = { ...allOf[0], ...rest };
    } else if (spec.anyOf) {
      const options = spec.anyOf.filter((o) => o.type !== "null");
      optional = options.length < spec.anyOf.length;
      const { anyOf, ...rest } = spec;
      spec = { ...options[0], ...rest };
    } else break;
  }
  const kind = spec.enum ? "enum" : spec.type === "boolean" ? "bool" : spec.type === "integer" ? "int" : spec.type === "number" ? "number" : "string";
  return { spec, kind, optional };
}

const fieldLabel = (name, spec) => (has(`field.${name}`) ? t(`field.${name}`) : (spec.title ?? name));

function optionLabel(name, value) {
  if (name === "activation") return activationName(value);
  if (name === "init") return initName(value);
  return has(`option.${value}`) ? t(`option.${value}`) : String(value);
}

/** The line under a field: the chosen init's purpose, the chosen activation's formula and partner init (from the
 * registry); the schema's description otherwise. */
function helpText(f) {
  const value = f.input?.value;
  if (f.name === "init" && initExplain(value)) return initExplain(value);
  const act = f.name === "activation" ? activation(value) : null;
  if (act) return `${act.formula} · ${t("builder.recommended_init", { init: initName(act.recommended_init) })}`;
  return f.spec.description ?? "";
}

function refreshHelp() {
  for (const f of fields) {
    const el = f.input?.closest(".field")?.querySelector(".field-help");
    if (el) el.textContent = helpText(f);
  }
}

function makeInput(f) {
  const { name, kind, spec } = f;
  const id = `field-${name}`;
  if (kind === "enum") {
    return h("select", { id, name }, ...spec.enum.map((v) => h("option", { value: v, text: optionLabel(name, v) })));
  }
  if (kind === "bool") return h("input", { id, name, type: "checkbox" });
  if (kind === "int" || kind === "number") {
    return h("input", {
      id,
      name,
      type: "number",
      inputmode: kind === "int" ? "numeric" : "decimal",
      min: spec.minimum ?? spec.exclusiveMinimum,
      max: spec.maximum ?? spec.exclusiveMaximum,
      step: kind === "int" ? "1" : "any",
    });
  }
  return h("input", { id, name, type: "text", maxlength: spec.maxLength });
}

function setValue(f, value) {
  if (f.kind === "bool") f.input.checked = value === true || value === "true";
  else f.input.value = value === null || value === undefined ? "" : String(value);
}

function getValue(f) {
  if (f.kind === "bool") return f.input.checked;
  const raw = f.input.value.trim();
  if (raw === "") return f.optional ? null : undefined;
  if (f.kind === "int") return Number.parseInt(raw, 10);
  if (f.kind === "number") return Number(raw);
  return raw;
}

/** The form's values that differ from the defaults, as the URL hash (shareable). */
function syncHash() {
  const params = new URLSearchParams();
  for (const f of fields) {
    const v = getValue(f);
    if (v !== undefined && v !== (f.spec.default ?? null)) params.set(f.name, String(v));
  }
  const hash = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${location.search}${hash ? `#${hash}` : ""}`);
}

function fillFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const f of fields) setValue(f, params.has(f.name) ? params.get(f.name) : f.spec.default);
}

/** Picking an architecture sets the fields it brings its own defaults for (an rnn reads 'adding' with tanh);
 * the schema's architecture field lists them, so the form and the server agree on what a blank means. */
function applyArchitectureDefaults(arch) {
  const table = fields.find((f) => f.name === "architecture")?.spec.architecture_defaults ?? {};
  const touched = new Set(Object.values(table).flatMap((d) => Object.keys(d)));
  for (const f of fields) if (touched.has(f.name)) setValue(f, table[arch]?.[f.name] ?? f.spec.default);
}

export async function initBuilder() {
  const form = $(SEL.builder);
  if (!form) return; // read-only viewer
  const box = $(SEL.builderFields);
  const error = $(SEL.builderError);
  let schema;
  try {
    schema = await api.schema();
  } catch (e) {
    box.replaceChildren(h("p", { class: "control-error", text: t("error.server", { error: e.message }) }));
    return;
  }
  fields = Object.entries(schema.properties ?? {}).map(([name, prop]) => ({ name, ...resolve(prop, schema) }));
  box.replaceChildren(
    ...fields.map((f) => {
      f.input = makeInput(f);
      const help = f.spec.description || f.kind === "enum" ? h("small", { class: "field-help", text: "" }) : null;
      return h(
        "div",
        { class: `field field-${f.kind}`, "data-field": f.name },
        h("label", { for: f.input.id, text: fieldLabel(f.name, f.spec) }),
        f.input,
        help,
      );
    }),
  );
  fillFromHash();
  refreshHelp();
  fields.find((f) => f.name === "architecture")?.input.addEventListener("change", (e) => applyArchitectureDefaults(e.target.value));
  form.addEventListener("input", syncHash);
  form.addEventListener("change", syncHash);
  form.addEventListener("change", refreshHelp);
  window.addEventListener("hashchange", () => {
    fillFromHash();
    refreshHelp();
  });
  $(SEL.builderDefaults).addEventListener("click", () => {
    history.replaceState(history.state, "", `${location.pathname}${location.search}`);
    fillFromHash();
    refreshHelp();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    for (const el of form.querySelectorAll(".field.invalid")) el.classList.remove("invalid");
    const body = {};
    for (const f of fields) {
      const v = getValue(f);
      if (v !== undefined) body[f.name] = v;
    }
    try {
      const run = await api.createRun(body);
      location.assign(`/runs/${encodeURIComponent(run.id)}`);
    } catch (e) {
      error.textContent = t("error.server", { error: e.message });
      error.hidden = false;
      if (e.field) form.querySelector(`[data-field="${CSS.escape(e.field)}"]`)?.classList.add("invalid");
    }
  });
}

/** Relabel the fields in the current language (values stay). */
export function relabelBuilder() {
  for (const f of fields) {
    const label = document.querySelector(`label[for="${f.input.id}"]`);
    if (label) label.textContent = fieldLabel(f.name, f.spec);
    if (f.kind === "enum") for (const o of f.input.options) o.textContent = optionLabel(f.name, o.value);
  }
  refreshHelp();
}
