// REST calls of docs/protocol.md; an error carries the server's message (422 names the field).

import { getLang } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, message, field = null) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

export async function request(method, path, body) {
  // Accept-Language: the page's language, for what the server names on our behalf (a new run's default name).
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", "Accept-Language": getLang() } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (resp.status === 204) return null;
  const data = await resp.json().catch(() => null);
  if (!resp.ok) {
    const detail = data?.detail;
    if (Array.isArray(detail) && detail.length) {
      const loc = (detail[0].loc || []).filter((p) => p !== "body");
      throw new ApiError(resp.status, `${loc.join(".")}: ${detail[0].msg}`, loc[0] ?? null);
    }
    throw new ApiError(resp.status, typeof detail === "string" ? detail : `HTTP ${resp.status}`);
  }
  return data;
}

const base = (kind) => (kind === "group" ? "/api/groups" : "/api/runs");

export const api = {
  schema: () => request("GET", "/api/schema"),
  presets: () => request("GET", "/api/presets"),
  session: () => request("GET", "/api/session"),
  /** The presenter's page: {path, state} -> the stage {seq, path, state} (docs/protocol.md "Stage"). */
  publishStage: (body) => request("POST", "/api/stage", body),
  sweep: (query = "") => request("GET", `/api/sweep${query ? `?${query}` : ""}`),
  sweepTime: (query = "") => request("GET", `/api/sweep/time${query ? `?${query}` : ""}`),
  runs: () => request("GET", "/api/runs"),
  run: (id, history = "records") => request("GET", `/api/runs/${encodeURIComponent(id)}?history=${history}`),
  createRun: (config) => request("POST", "/api/runs", config),
  startPreset: (name, body = {}) => request("POST", `/api/presets/${encodeURIComponent(name)}/runs`, body),
  /** action: pause | resume | step | stop | reset, on a run or a group. */
  act: (kind, id, action) => request("POST", `${base(kind)}/${encodeURIComponent(id)}/${action}`),
  patch: (kind, id, fields) => request("PATCH", `${base(kind)}/${encodeURIComponent(id)}`, fields),
  /** A replay (run or group) to a recorded step, 0 = the start (docs/recording.md). */
  seek: (kind, id, step) => request("POST", `${base(kind)}/${encodeURIComponent(id)}/seek`, { step }),
};
