"""Pictures of a Raft run, drawn from its trace (``distlab.raft.timeline``).

- ``raft_timeline``: one band per server, coloured by role over time (follower,
  candidate, leader; a gap with a red cross while crashed), the term written where
  each candidacy or leadership begins, commit ticks, partitions shaded: RaftScope's
  view, flattened onto a time axis.
- ``raft_logs``: the servers' logs at one moment, one row per server and one box per
  entry coloured by term (as in the paper's Figures 6–8); committed entries are solid,
  uncommitted ones hatched; a grey block stands for the snapshot prefix.
- ``animate_raft``: both, frame by frame: the static twin of a Raft explorer.

Taught in notebooks 2.6–2.8.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..raft.timeline import partition_spans, role_segments, servers_of, views_at
from ..sim import Simulation, Trace
from .animation import Animation, animate
from .style import CRASH_COLOR, NODE_LINE, PALETTE, PARTITION_FILL

__all__ = ["raft_timeline", "raft_logs", "animate_raft", "ROLE_COLORS", "term_color"]

ROLE_COLORS = {"follower": "#d9d9d9", "candidate": "#E69F00", "leader": "#0072B2"}


def term_color(term: int) -> str:
    """The colour of a term's log entries (the palette, cycled; term 0 grey)."""
    if term <= 0:
        return "#bdbdbd"
    cycle = [c for c in PALETTE if c not in ("#000000",)]
    return cycle[(term - 1) % len(cycle)]


def _source(source: Any) -> Trace:
    if isinstance(source, Simulation):
        return source.trace
    if isinstance(source, Trace):
        return source
    trace = getattr(source, "trace", None)          # a Cluster
    if isinstance(trace, Trace):
        return trace
    raise TypeError(f"expected a Simulation, a Trace or a Cluster, got {type(source).__name__}")


def raft_timeline(source: Any, *, servers: Sequence[str] | None = None,
                  start: float | None = None, end: float | None = None,
                  now: float | None = None, ax: Axes | None = None,
                  figsize: tuple[float, float] | None = None, commits: bool = True,
                  terms: bool = True, legend: bool = True, title: str | None = None) -> Axes:
    """Roles over time, one band per server; returns the ``Axes``.

    ``now`` draws only what had happened by then, with a vertical line (for frames).
    """
    trace = _source(source)
    events = trace.events
    last = events[-1].time if events else 1.0
    hi = now if now is not None else (end if end is not None else last)
    lo = start if start is not None else 0.0
    names = list(servers) if servers is not None else servers_of(trace)
    row = {n: i for i, n in enumerate(names)}
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (8.0, 0.42 * len(names) + 1.2))
    span = (end if end is not None else last) - lo or 1.0
    for t0, t1, groups in partition_spans(trace, end=hi):
        if t1 >= lo and t0 <= hi:
            ax.axvspan(max(t0, lo), min(t1, hi), color=PARTITION_FILL, zorder=0, lw=0)
    for seg in role_segments(trace, end=hi):
        if seg.node not in row or seg.end < lo or seg.start > hi:
            continue
        y = row[seg.node]
        x0, x1 = max(seg.start, lo), min(seg.end, hi)
        if seg.role == "down":
            ax.plot([x0, x1], [y, y], color=CRASH_COLOR, lw=1.0, ls=":", zorder=2)
            ax.plot([x0], [y], marker="X", ms=8, color=CRASH_COLOR, zorder=5)
            continue
        ax.add_patch(Rectangle((x0, y - 0.3), max(x1 - x0, span * 0.002), 0.6,
                               facecolor=ROLE_COLORS.get(seg.role, "#d9d9d9"),
                               edgecolor="none", zorder=2))
        if terms and seg.role in ("leader", "candidate") and x1 - x0 > span * 0.012:
            ax.text(x0 + span * 0.004, y, f"t{seg.term}", va="center", ha="left",
                    fontsize=7.5, color="white" if seg.role == "leader" else "black",
                    zorder=4, clip_on=True)
    if commits:
        xs, ys = [], []
        for e in events:
            if e.time > hi:
                break
            if e.kind == "output" and e.info == "commit" and e.node in row and e.time >= lo:
                xs.append(e.time)
                ys.append(row[e.node] + 0.38)
        ax.plot(xs, ys, ls="none", marker="|", ms=5, color=NODE_LINE, zorder=3)
    if now is not None:
        ax.axvline(now, color=NODE_LINE, lw=0.8, ls="--", zorder=6)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.4, -0.6)
    ax.set_xlim(lo, end if end is not None else (last if now is None else max(last, now)))
    ax.set_xlabel("time")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    if legend:
        handles = [Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="none")
                   for c in ROLE_COLORS.values()]
        labels = list(ROLE_COLORS)
        if commits:
            handles.append(plt.Line2D([], [], ls="none", marker="|", color=NODE_LINE))
            labels.append("commit")
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  handlelength=1.2)
    if title:
        ax.set_title(title, loc="left")
    return ax


def raft_logs(source: Any, *, time: float | None = None,
              servers: Sequence[str] | None = None, ax: Axes | None = None,
              figsize: tuple[float, float] | None = None, last: int = 16,
              commands: bool = False, title: str | None = None) -> Axes:
    """The servers' logs at ``time`` (default: the end), as in the paper's figures.

    Shows at most the ``last`` indices; ``commands`` writes each entry's command
    instead of its term."""
    trace = _source(source)
    views = views_at(trace, time)
    names = list(servers) if servers is not None else servers_of(trace)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (8.0, 0.42 * len(names) + 1.0))
    top = max((views[n].last_index for n in names if n in views), default=0)
    first = max(1, top - last + 1)
    for y, n in enumerate(names):
        v = views.get(n)
        if v is None:
            continue
        if v.base_index >= first:
            ax.add_patch(Rectangle((first - 0.45, y - 0.35), v.base_index - first + 0.9, 0.7,
                                   facecolor="#eeeeee", edgecolor="#9e9e9e", lw=0.8))
            ax.text((first + v.base_index) / 2, y, f"snapshot ≤{v.base_index}", ha="center",
                    va="center", fontsize=7, color="#616161", clip_on=True)
        for index, term, command in v.entries:
            if index < first:
                continue
            committed = index <= v.commit_index
            ax.add_patch(Rectangle((index - 0.45, y - 0.35), 0.9, 0.7,
                                   facecolor=term_color(term) if committed else "white",
                                   edgecolor=term_color(term), lw=1.4,
                                   hatch=None if committed else "////"))
            label = _short(command) if commands else str(term)
            ax.text(index, y, label, ha="center", va="center", fontsize=7.5,
                    color="white" if committed else "black", clip_on=True,
                    bbox=None if committed else dict(facecolor="white", edgecolor="none",
                                                     pad=0.6))
        state = "down" if not v.up else v.role[0].upper()
        ax.text(first - 0.8, y, f"{state} t{v.term}", ha="right", va="center", fontsize=8,
                color=CRASH_COLOR if not v.up else NODE_LINE)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.4, -0.6)
    ax.set_xlim(first - 2.6, max(top, first + 3) + 0.6)
    ticks = [i for i in range(first, max(top, first) + 1)]
    ax.set_xticks(ticks if len(ticks) <= 20 else ticks[::2])
    ax.set_xlabel("log index (solid: committed; hatched: not yet)")
    ax.tick_params(axis="y", length=0)
    for side in ("left", "top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, loc="left")
    return ax


def _short(command: Any) -> str:
    text = type(command).__name__ if hasattr(command, "__dataclass_fields__") else repr(command)
    if type(command).__name__ == "Command":
        text = f"{command.op[0]}{command.key}"
    if type(command).__name__ == "NoOp":
        text = "·"
    if type(command).__name__ == "Configuration":
        text = "cfg"
    return text if len(text) <= 4 else text[:3] + "…"


def animate_raft(source: Any, *, times: Sequence[float], servers: Sequence[str] | None = None,
                 captions: Sequence[str] | None = None, last: int = 12,
                 figsize: tuple[float, float] | None = None, dpi: int = 80,
                 interval_ms: int = 1200) -> Animation:
    """Frames of ``raft_timeline`` (growing) above ``raft_logs`` (at each time)."""
    trace = _source(source)
    times = list(times)
    if not times:
        raise ValueError("times must hold at least one frame time")
    if captions is not None and len(captions) != len(times):
        raise ValueError(f"captions must have one entry per time ({len(times)}), "
                         f"got {len(captions)}")
    names = list(servers) if servers is not None else servers_of(trace)
    end = max(times[-1], trace.events[-1].time if trace.events else 1.0)
    h = 0.34 * len(names)
    figsize = figsize or (8.6, 2 * h + 1.6)
    fh = figsize[1]

    def draw(fig: Figure, i: int) -> None:
        t = times[i]
        ax1 = fig.add_axes((0.09, 1 - (h + 0.45) / fh, 0.76, h / fh))
        raft_timeline(trace, servers=names, end=end, now=t, ax=ax1)
        ax1.set_xlabel("")
        ax1.set_title(captions[i] if captions else f"t = {t:.0f}", loc="left", fontsize=10)
        ax2 = fig.add_axes((0.09, 0.45 / fh, 0.76, h / fh))
        raft_logs(trace, time=t, servers=names, ax=ax2, last=last)

    return animate(draw, len(times), figsize=figsize, dpi=dpi, interval_ms=interval_ms,
                   layout="fixed")
