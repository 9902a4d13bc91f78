"""The redraw scheduler (static/js/scheduler.js) in Debian's chromium, with charts that cost what Plotly's do.

Three charts that each take 20 ms to draw and are dirty again after every redraw (data arriving faster than the
page can draw): the chart in focus, registered last, must be drawn first in every frame, and the two others must
still get their turns (the frame budget fits one 20 ms chart beside it; an overdue one is drawn past it).
"""

import pytest

from tests.browser.support import Watched

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FRAMES = 24
RUN = f"""() => import('/static/js/scheduler.js').then((s) => new Promise((resolve) => {{
  const log = []; // [frame, chart name] per redraw, in order
  let frame = 0;
  let running = true;
  const tick = () => {{ frame += 1; if (frame < {FRAMES}) requestAnimationFrame(tick); else {{ running = false; resolve(log); }} }};
  requestAnimationFrame(tick);
  const chart = (name, focus) => ({{
    name, cost: 'plotly', el: null, focus,
    draw() {{
      const t0 = performance.now();
      while (performance.now() - t0 < 20) {{}} // a redraw's cost
      log.push([frame, name]);
      if (running) s.markDirty(this); // the next step has arrived already
      return 0;
    }},
  }});
  s.register(chart('a', false));
  s.register(chart('b', false));
  s.register(chart('focus', true));
}}))"""


def test_the_chart_in_focus_draws_first_every_frame_and_the_others_still_draw(srv, context):
    w = Watched(context, srv.url)
    w.goto("/")  # a page that registers no charts of its own
    log = w.page.evaluate(RUN)
    frames: dict[int, list[str]] = {}
    for frame, name in log:
        frames.setdefault(frame, []).append(name)
    assert len(frames) >= FRAMES // 2, log  # the loop ran for many frames
    for names in frames.values():
        assert names[0] == "focus" and names.count("focus") == 1, (names, log)  # first, once a frame
    drawn = [name for _, name in log]
    # Every frame with a redraw drew the focus; the others took turns (never starved for the whole run).
    assert drawn.count("focus") == len(frames)
    assert drawn.count("a") >= 3 and drawn.count("b") >= 3, drawn
    w.assert_clean()
