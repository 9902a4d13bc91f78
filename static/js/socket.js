// The websocket of one run or group: reconnects with ?since=SEQ so the stream resumes with no gap.

import { EVENTS } from "./dom.js";
import { emit } from "./bus.js";

const FINAL_CODES = new Set([1000, 1008, 4404]); // ended normally, refused, no such run or group
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const BUSY_BACKOFF_MS = 10000; // 1013: the viewer limit is reached, try later

export class StreamSocket {
  /** path: "/ws/runs/ID" or "/ws/groups/ID"; onMessage gets every message with a seq, in order. */
  constructor(path, onMessage) {
    this.path = path;
    this.onMessage = onMessage;
    this.lastSeq = null; // the last seq seen: sent back as ?since= on reconnect
    this.gaps = 0; // seq jumps seen (a replay should leave this at 0)
    this.reconnects = 0;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.lastSeq === null ? "" : `?since=${this.lastSeq}`;
    return `${scheme}//${location.host}${this.path}${since}`;
  }

  connect() {
    this.stopped = false;
    emit(EVENTS.conn, { state: this.reconnects ? "reconnecting" : "connecting" });
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      emit(EVENTS.conn, { state: "live" });
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = (event) => this.closed(ws, event);
  }

  receive(text) {
    const msg = JSON.parse(text);
    if (msg.seq === undefined || msg.seq === null) return; // pong
    if (msg.type !== "snapshot" && this.lastSeq !== null && msg.seq !== this.lastSeq + 1) this.gaps += 1;
    if (msg.type !== "snapshot" && this.lastSeq !== null && msg.seq <= this.lastSeq) return; // duplicate
    this.lastSeq = msg.seq;
    this.onMessage(msg);
  }

  closed(ws, event) {
    if (ws !== this.ws || this.stopped) return;
    if (FINAL_CODES.has(event.code) && !ws.droppedByClient) {
      emit(EVENTS.conn, { state: "closed", code: event.code, reason: event.reason || String(event.code) });
      return;
    }
    const delay = event.code === 1013 ? BUSY_BACKOFF_MS : BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    emit(EVENTS.conn, { state: "reconnecting", code: event.code });
    this.timer = setTimeout(() => {
      this.reconnects += 1;
      this.connect();
    }, delay);
  }

  /** Drop the connection as a network failure would (the page reconnects and resumes). */
  drop() {
    if (!this.ws) return;
    this.ws.droppedByClient = true;
    this.ws.close(4000, "dropped");
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, "page closed");
  }
}
