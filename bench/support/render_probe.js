// Injected by bench/render.py before any page script runs (never served to a user): times what the page does
// without a line of benchmark code in static/js. It reads what it measures from the outside:
//   window.Plotly.react     wrapped when Plotly's bundle assigns it (and Plotly.animate, a data-only redraw): per
//                           chart (the div's data-plot), the time until the call returns (the frame's synchronous
//                           share) and until its promise settles
//   step-to-paint           at each react, the newest server time (s) in the page's store (pages/live.js), to the
//                           moment after the frame that shows it is on screen (a message posted in that frame)
//   key press               keydown (capture) -> the moment after the next frame is on screen
//   frames in               the websocket's "frame" messages (a listener beside the page's own onmessage), and
//                           each one's arrival: server time of its step -> the message reaching the page (ms), the
//                           share of step-to-paint that the server, the network and the machine's load take
// Every list is bounded (CAP): a 10-minute run must not grow the heap it measures.
(() => {
  const CAP = 5000;
  const probe = { reacts: [], latencies: [], keys: [], arrivals: [], draws: {}, frames: 0 };
  const push = (list, value) => {
    list.push(value);
    if (list.length > CAP) list.splice(0, list.length - CAP);
  };
  const afterPaint = (fn) =>
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = fn;
      channel.port2.postMessage(0);
    });
  let live = null; // pages/live.js's `live`, asked for at the first redraw (the page's own modules ran by then)
  let asked = false;
  const newestT = () => {
    if (!asked) {
      asked = true;
      import("/static/js/pages/live.js").then(
        (l) => {
          live = l.live;
        },
        () => {},
      );
    }
    const runs = live?.store?.runs;
    if (!runs) return 0;
    let t = 0;
    for (const s of runs.values()) t = Math.max(t, s.latestT || 0);
    return t;
  };

  // Plotly.animate without a redraw (charts/plot.js: only the data changed) draws the traces in microtasks, which
  // run once the frame's task has returned (after the other charts of the frame), and settles its promise a frame
  // later. The data-only redraws of one task form a batch: its microtasks run from the first one (queued before
  // the first call) to the end of a chain of microtasks longer than Plotly's; each redraw's cost is its
  // synchronous part plus an equal share of that time (their chains interleave, so only the sum is exact).
  const afterMicrotasks = (fn, hops = 64) => (hops ? Promise.resolve().then(() => afterMicrotasks(fn, hops - 1)) : fn());
  let batch = null; // the data-only redraws of the running task
  function animateBatch() {
    if (batch) return batch;
    const b = { members: [], start: 0 };
    batch = b;
    Promise.resolve().then(() => {
      b.start = performance.now();
      batch = null;
    });
    afterMicrotasks(() => {
      const share = (performance.now() - b.start) / b.members.length;
      for (const m of b.members) push(probe.reacts, { chart: m.name, ms: m.sync + share, sync: m.sync + share, method: "animate" });
    });
    return b;
  }
  function timed(plotly, method) {
    const call = plotly[method];
    plotly[method] = function (el, ...rest) {
      if (el?.id === "bench-bare") return call.call(this, el, ...rest); // bench/render.py's own yardstick
      const name = el?.dataset?.plot ?? "?";
      const dataT = newestT();
      const b = method === "animate" ? animateBatch() : null;
      const t0 = performance.now();
      const done = call.call(this, el, ...rest);
      const sync = performance.now() - t0;
      probe.draws[name] = (probe.draws[name] ?? 0) + 1;
      if (b) b.members.push({ name, sync });
      else {
        const settled = () => push(probe.reacts, { chart: name, ms: performance.now() - t0, sync, method });
        Promise.resolve(done).then(settled, settled);
      }
      if (dataT) afterPaint(() => push(probe.latencies, { chart: name, ms: Date.now() - dataT * 1000 }));
      return done;
    };
  }
  function wrap(plotly) {
    timed(plotly, "react");
    timed(plotly, "animate");
  }
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: () => plotly,
    set: (v) => {
      plotly = v;
      if (v && typeof v.react === "function") wrap(v);
    },
  });

  const FRAME = /"type":\s?"frame"/; // near the start of a message (after its "seq")
  const T = /"t":\s?([0-9.]+)/; // the step's server time (s), early in the record
  const arrived = (data) => {
    probe.frames += 1;
    const t = T.exec(data.slice(0, 400));
    if (t) push(probe.arrivals, Date.now() - Number(t[1]) * 1000);
  };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => typeof e.data === "string" && FRAME.test(e.data.slice(0, 64)) && arrived(e.data));
    }
  };

  document.addEventListener(
    "keydown",
    (event) => {
      const started = event.timeStamp;
      afterPaint(() => push(probe.keys, performance.now() - started));
    },
    { capture: true },
  );

  window.__renderProbe = {
    read: () => ({
      ...probe,
      reacts: probe.reacts.slice(),
      latencies: probe.latencies.slice(),
      keys: probe.keys.slice(),
      arrivals: probe.arrivals.slice(),
      draws: { ...probe.draws },
    }),
    reset: () => {
      probe.reacts.length = probe.latencies.length = probe.keys.length = probe.arrivals.length = probe.frames = 0;
      for (const k in probe.draws) probe.draws[k] = 0;
    },
  };
})();
