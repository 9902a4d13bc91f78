// Big models stay readable: layers grouped by module path (blocks.3.*) or by module type (Linear, LayerNorm, Conv,
// Embedding), one choice for the gradient-flow bars, the heat map and the per-layer lines; and which groups the
// lines show. A group's gradient norm is the L2 norm over its layers' norms: the norm of all its gradients.

export const MAX_GROUPS = 24; // rows and bars that stay legible on a laptop: past it, consecutive paths merge
export const MODES = ["layer", "path", "type"];

/** The page's choice: mode (null: automatic), picked line groups (null: automatic). version bumps on a change. */
export const grouping = { mode: null, picked: null, version: 0 };

export function setMode(mode) {
  grouping.mode = mode;
  grouping.picked = null;
  grouping.version += 1;
}

export function setPicked(indices) {
  grouping.picked = indices.length ? indices : null;
  grouping.version += 1;
}

/** "blocks.3.attn.qkv" -> "blocks.3.*"; "bert.embeddings.word_embeddings" -> "bert.embeddings.*"; "head" -> "head". */
export function pathKey(name) {
  const parts = name.split(".");
  const numbered = parts.findIndex((p, i) => i > 0 && /^\d+$/.test(p));
  if (numbered > 0 && numbered < parts.length - 1) return `${parts.slice(0, numbered + 1).join(".")}.*`;
  if (numbered > 0 || parts.length === 1) return name;
  return `${parts.slice(0, -1).join(".")}.*`;
}

/** Conv1d/2d/3d -> Conv, BatchNorm1d/2d -> BatchNorm; other module types as they are. */
export function typeKey(kind) {
  return kind.replace(/^(Conv|ConvTranspose|BatchNorm|InstanceNorm)\dd$/, "$1");
}

function byKey(keys, contiguous) {
  const groups = [];
  const index = new Map();
  keys.forEach((key, i) => {
    const last = groups[groups.length - 1];
    if (contiguous ? last?.label === key : index.has(key)) (contiguous ? last : groups[index.get(key)]).members.push(i);
    else {
      index.set(key, groups.length);
      groups.push({ label: key, members: [i] });
    }
  });
  return groups;
}

/** Consecutive groups merged `size` at a time: "blocks.0.*" … "blocks.4.*" -> "blocks.0–4.*". */
function merge(groups, size) {
  const out = [];
  for (let i = 0; i < groups.length; i += size) {
    const chunk = groups.slice(i, i + size);
    const first = chunk[0].label;
    const last = chunk[chunk.length - 1].label;
    const a = first.match(/^(.*)\.(\d+)\.\*$/);
    const b = last.match(/^(.*)\.(\d+)\.\*$/);
    const label = chunk.length === 1 ? first : a && b && a[1] === b[1] ? `${a[1]}.${a[2]}–${b[2]}.*` : `${first} … ${last}`;
    out.push({ label, members: chunk.flatMap((g) => g.members) });
  }
  return out;
}

const cache = new WeakMap(); // run object -> {mode -> groups}

/** [{label, members: [layer index]}] of a run's layers under `mode` (input -> output for layer and path). */
export function groupsOf(run, mode) {
  let perRun = cache.get(run);
  if (!perRun) {
    perRun = {};
    cache.set(run, perRun);
  }
  if (perRun[mode]) return perRun[mode];
  const names = run.layer_names ?? [];
  let groups;
  if (mode === "path") {
    groups = byKey(names.map(pathKey), true);
    if (groups.length > MAX_GROUPS) groups = merge(groups, Math.ceil(groups.length / MAX_GROUPS));
  } else if (mode === "type") {
    const kinds = run.config?.layer_types;
    const keys = Array.isArray(kinds) && kinds.length === names.length ? kinds.map(typeKey) : names.map(() => "?");
    groups = byKey(keys, false).map((g) => ({ label: `${g.label} ×${g.members.length}`, members: g.members }));
  } else {
    groups = names.map((name, i) => ({ label: name, members: [i] }));
  }
  perRun[mode] = groups;
  return groups;
}

/** The mode in force: the page's choice, else the first that gives at most MAX_GROUPS groups. */
export function modeOf(run) {
  if (grouping.mode) return grouping.mode;
  return MODES.find((m) => groupsOf(run, m).length <= MAX_GROUPS) ?? "type";
}

/** Per-group L2 norm of per-layer norms (null when a member is null: not finite). */
export function reduce(values, groups) {
  return groups.map(({ members }) => {
    if (members.length === 1) return values[members[0]] ?? null;
    let sum = 0;
    for (const i of members) {
      const v = values[i];
      if (v === null || v === undefined) return null;
      sum += v * v;
    }
    return Math.sqrt(sum);
  });
}

/** Per-group update ratio ||dW|| / ||W|| from the layers' ratios and weight norms (null when one is missing). */
export function reduceRatios(layers, groups) {
  return groups.map(({ members }) => {
    let moved = 0;
    let size = 0;
    for (const i of members) {
      const r = layers[i]?.update_ratio;
      const w = layers[i]?.weight_norm;
      if (r === null || r === undefined || w === null || w === undefined) return null;
      moved += (r * w) ** 2;
      size += w * w;
    }
    return size > 0 ? Math.sqrt(moved / size) : null;
  });
}

/** Whether grouping applies to this run at all: external runs (the lecture's networks are 1 … N, out). */
export const groupable = (run) => Boolean(run?.external);
