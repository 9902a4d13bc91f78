"""Where the page's main thread spends its time: a V8 CPU profile over CDP, summed by function.

Used by bench/render.py --profile SECONDS. Plotly's bundle is minified, but V8 names a function after the property
it is assigned to (`ui.doCalcdata`, `Fa._doPlot`), so its entry points read in the table. Two lists: self time (the
function's own code) and total time (each sample counted once for every distinct function on its stack).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import PurePosixPath

SAMPLING_US = 250  # one sample every 250 µs: fine enough for a 10 ms redraw, light enough to not change it


def start(cdp) -> None:
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": SAMPLING_US})
    cdp.send("Profiler.start")


def _label(frame: dict) -> str:
    name = frame["functionName"] or "(anonymous)"
    url = frame.get("url") or ""
    where = PurePosixPath(url.split("?")[0]).name if url else ""
    return f"{name} [{where}]" if where else name


def summarize(cdp, top: int = 25) -> str:
    """Stop the profiler; the top functions by self and by total time, in ms per second of profile."""
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.send("Profiler.disable")
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent: dict[int, int] = {}
    for n in profile["nodes"]:
        for c in n.get("children", []):
            parent[c] = n["id"]
    self_ms: dict[str, float] = defaultdict(float)
    total_ms: dict[str, float] = defaultdict(float)
    stacks: dict[int, set[str]] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        ms = delta / 1000
        self_ms[_label(nodes[sample]["callFrame"])] += ms
        if sample not in stacks:
            names, node = set(), sample
            while node in nodes:
                names.add(_label(nodes[node]["callFrame"]))
                node = parent.get(node, -1)
            stacks[sample] = names
        for name in stacks[sample]:
            total_ms[name] += ms
    seconds = (profile["endTime"] - profile["startTime"]) / 1e6
    idle = {"(idle)", "(program)", "(root)", "(garbage collector)"}
    lines = [
        f"CPU profile over {seconds:.1f} s (ms per second of profile; idle {self_ms.get('(idle)', 0) / seconds:.0f})"
    ]
    lines.append(
        f"  garbage collector {self_ms.get('(garbage collector)', 0) / seconds:.0f}, program {self_ms.get('(program)', 0) / seconds:.0f}"
    )
    lines.append("  self time:")
    for name, ms in sorted(((k, v) for k, v in self_ms.items() if k not in idle), key=lambda kv: -kv[1])[
        :top
    ]:
        lines.append(f"    {ms / seconds:7.1f}  {name}")
    lines.append("  total time:")
    for name, ms in sorted(((k, v) for k, v in total_ms.items() if k not in idle), key=lambda kv: -kv[1])[
        :top
    ]:
        lines.append(f"    {ms / seconds:7.1f}  {name}")
    lines.append("  total time, the page's own modules (static/js):")
    own = [(k, v) for k, v in total_ms.items() if "[" in k and "plotly" not in k and "render_probe" not in k]
    for name, ms in sorted(own, key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {ms / seconds:7.1f}  {name}")
    return "\n".join(lines)
