"""Space-time (Lamport) diagrams drawn from a trace.

One horizontal line per node, time to the right (as in Kleppmann's lectures and
ShiViz turned on its side). Each message is an arrow from its send to its delivery;
a lost message ends in a cross; a crash is a red cross followed by a dotted line until
the node restarts; a partition shades the time it lasts. ``event_labels`` writes a
value (a Lamport or vector timestamp, say) next to each event.

Readable up to about 8 nodes and 100 messages. Taught first in notebook 1.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import is_dataclass
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ..sim.trace import Trace, TraceEvent
from .style import PALETTE, DROP_COLOR, CRASH_COLOR, NODE_LINE, PARTITION_FILL

__all__ = ["spacetime", "message_label", "trace_nodes"]


def message_label(msg: Any, width: int = 18) -> str:
    """A short label for a message: its type and first field, or its text."""
    if isinstance(msg, str):
        text = msg
    elif is_dataclass(msg):
        fields = getattr(msg, "__dataclass_fields__", {})
        name = type(msg).__name__
        first = next(iter(fields), None)
        text = name if first is None else f"{name}({getattr(msg, first)!r})"
        if len(fields) > 1 and len(text) + 4 <= width:
            text = text[:-1] + ", …)"
    else:
        text = repr(msg)
    return text if len(text) <= width else text[: width - 1] + "…"


def trace_nodes(trace: Trace | Iterable[TraceEvent]) -> list[str]:
    """Nodes in order of first appearance in the trace."""
    seen: dict[str, None] = {}
    for e in trace:
        if e.node is not None and e.node not in seen:
            seen[e.node] = None
        if e.kind == "send" and e.peer not in seen:
            seen[e.peer] = None
    return list(seen)


def _as_trace(obj: Any) -> tuple[list[TraceEvent], list[str] | None]:
    if isinstance(obj, Trace):
        return obj.events, None
    if hasattr(obj, "trace") and isinstance(obj.trace, Trace):  # a Simulation
        return obj.trace.events, list(obj.node_ids)
    if isinstance(obj, (list, tuple)) and all(isinstance(e, TraceEvent) for e in obj):
        return list(obj), None
    raise TypeError(f"spacetime() draws a Simulation, a Trace or a list of TraceEvent; "
                    f"got {type(obj).__name__}")


def spacetime(source: Any, *, nodes: Sequence[str] | None = None,
              start: float | None = None, end: float | None = None,
              now: float | None = None, ax: Axes | None = None,
              figsize: tuple[float, float] | None = None,
              label: Callable[[Any], str | None] | None = message_label,
              event_labels: Callable[[TraceEvent], str | None] | None = None,
              annotations: bool = True, timers: bool = False, persists: bool = False,
              outputs: bool | Callable[[TraceEvent], str | None] = False,
              drops: bool = True, max_labels: int = 30, legend: bool = True,
              color_by: Callable[[Any], str] | None = None,
              colors: dict[str, str] | None = None,
              hide: Callable[[TraceEvent], bool] | None = None,
              title: str | None = None, xlabel: str = "time") -> Axes:
    """Draw a space-time diagram; returns the matplotlib ``Axes``.

    Parameters
    ----------
    source
        A ``Simulation``, a ``Trace`` or a list of ``TraceEvent``.
    nodes
        Rows, top to bottom (default: the simulation's nodes, or order of appearance).
    start, end
        The time window (default: the whole trace).
    now
        Draw only what had happened by ``now`` (messages in flight end at ``now``)
        and a vertical line there: the frames of a step-through animation.
    label
        ``label(msg)`` writes a label on each arrow (``None``: no labels). Labels are
        left out when more than ``max_labels`` arrows are drawn.
    event_labels
        ``event_labels(event)`` writes a value (e.g. a timestamp) at sends, deliveries,
        timers, annotations and outputs; return ``None`` to skip an event.
    annotations, timers, persists, drops
        Show ``annotate`` notes, fired timers, durable writes, lost messages.
    outputs
        Mark ``output`` events (deliveries, decisions) with a diamond; a function
        ``outputs(event) -> str | None`` also labels them.
    color_by
        Key for colouring arrows (default: the message's type name).
    hide
        ``hide(event)`` leaves events out of the picture (e.g. background gossip);
        a hidden send hides its message's arrow.
    colors
        Fixed colours for some keys (e.g. ``{"Accept": "#D55E00"}``), so a kind of
        message keeps its colour from one figure to the next; others get the palette.
    """
    events, sim_nodes = _as_trace(source)
    if hide is not None:
        hidden = {e.msg_id for e in events if e.kind == "send" and hide(e)}
        events = [e for e in events if not hide(e) and (e.msg_id is None or e.msg_id not in hidden)]
    if nodes is None:
        nodes = sim_nodes or trace_nodes(events)
    nodes = list(nodes)
    if not nodes:
        raise ValueError("nothing to draw: the trace has no nodes")
    row = {n: i for i, n in enumerate(nodes)}
    t_first = 0.0
    t_last = max((e.time for e in events), default=1.0)
    lo = t_first if start is None else start
    hi = (now if now is not None else t_last) if end is None else end
    if hi <= lo:
        hi = lo + 1.0
    cutoff = hi if now is None else now
    visible = [e for e in events if e.time <= cutoff]

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize or (8.0, 0.5 * len(nodes) + 1.3))
    color_key = color_by or (lambda m: type(m).__name__)
    fixed = dict(colors or {})
    colors = {}
    free = [c for c in PALETTE if c not in fixed.values()] or PALETTE

    def color_for(msg: Any) -> str:
        key = color_key(msg)
        if key not in colors:
            colors[key] = fixed.get(key) or free[sum(1 for k in colors if k not in fixed)
                                                  % len(free)]
        return colors[key]

    # node lines, with crashed stretches dotted
    down_since: dict[str, float] = {}
    downs: list[tuple[str, float, float]] = []
    for e in visible:
        if e.kind == "crash" and e.node in row:
            down_since[e.node] = e.time
        elif e.kind == "restart" and e.node in down_since:
            downs.append((e.node, down_since.pop(e.node), e.time))
    for n, t0 in down_since.items():
        downs.append((n, t0, hi))
    for n in nodes:
        ax.plot([lo, hi], [row[n], row[n]], color=NODE_LINE, lw=1.2, zorder=1,
                solid_capstyle="butt")
    for n, t0, t1 in downs:
        ax.plot([max(t0, lo), min(t1, hi)], [row[n]] * 2, color="white", lw=2.6, zorder=1.5)
        ax.plot([max(t0, lo), min(t1, hi)], [row[n]] * 2, color=CRASH_COLOR, lw=1.0,
                ls=(0, (1, 2)), zorder=1.6)

    # partitions
    open_partition: tuple[float, str] | None = None
    spans: list[tuple[float, float, str]] = []
    for e in visible:
        if e.kind == "partition":
            if open_partition is not None:
                spans.append((open_partition[0], e.time, open_partition[1]))
            open_partition = (e.time, str(e.info))
        elif e.kind == "heal" and open_partition is not None:
            spans.append((open_partition[0], e.time, open_partition[1]))
            open_partition = None
    if open_partition is not None:
        spans.append((open_partition[0], hi, open_partition[1]))
    for t0, t1, text in spans:
        if t1 < lo or t0 > hi:
            continue
        ax.axvspan(max(t0, lo), min(t1, hi), color=PARTITION_FILL, zorder=0, lw=0)
        ax.text(max(t0, lo), -0.75, f"partition {text}", fontsize=7.5, color="#8a5a00",
                va="bottom", ha="left", clip_on=True)

    # messages
    sends: dict[int, TraceEvent] = {}
    arrows = 0
    label_jobs: list[tuple[float, float, str, str]] = []
    fates: dict[int, list[TraceEvent]] = {}
    for e in visible:
        if e.kind == "send":
            sends[e.msg_id] = e
        elif e.kind in ("deliver", "drop"):
            fates.setdefault(e.msg_id, []).append(e)
    for mid, s in sends.items():
        if s.node not in row or s.peer not in row or s.node == s.peer:
            continue
        if s.time < lo or s.time > hi:
            continue
        c = color_for(s.msg)
        y0, y1 = row[s.node], row[s.peer]
        done = fates.get(mid, [])
        for f in done:
            if f.kind == "deliver":
                ax.annotate("", xy=(f.time, y1), xytext=(s.time, y0), zorder=3,
                            arrowprops=dict(arrowstyle="-|>", color=c, lw=1.1,
                                            shrinkA=0, shrinkB=0, mutation_scale=9)
                            ).set_in_layout(False)
                ax.plot([f.time], [y1], "o", ms=3.2, color="black", zorder=4)
                arrows += 1
                if label is not None:
                    text = label(s.msg)
                    if text:
                        label_jobs.append((s.time + 0.5 * (f.time - s.time),
                                           y0 + 0.5 * (y1 - y0), text, c))
            elif drops:
                xm = s.time + 0.6 * (f.time - s.time)
                ym = y0 + 0.6 * (y1 - y0)
                dc = DROP_COLOR if f.info != "partition" else "#b8860b"
                ax.plot([s.time, xm], [y0, ym], color=dc, lw=1.0, ls=(0, (3, 2)), zorder=2)
                ax.plot([xm], [ym], marker="x", ms=6, mew=1.6, color=dc, zorder=4)
                arrows += 1
        if not done and now is not None:
            # in flight at `now`: a faint arrow towards the destination
            ax.annotate("", xy=(now, y0 + 0.35 * (y1 - y0)), xytext=(s.time, y0), zorder=2,
                        arrowprops=dict(arrowstyle="-|>", color=c, lw=1.0, alpha=0.45,
                                        ls="--", shrinkA=0, shrinkB=0, mutation_scale=8)
                        ).set_in_layout(False)
        ax.plot([s.time], [y0], "o", ms=3.2, color="black", zorder=4)
    if label is not None and len(label_jobs) <= max_labels:
        for x, y, text, c in label_jobs:
            ax.text(x, y, text, fontsize=7.5, color=c, ha="center", va="center", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.85))

    # crashes, restarts, timers, persists, annotations, event labels
    for e in visible:
        if e.node not in row or e.time < lo or e.time > hi:
            continue
        y = row[e.node]
        if e.kind == "crash":
            ax.plot([e.time], [y], marker="X", ms=10, color=CRASH_COLOR, zorder=6,
                    mec="white", mew=0.8)
        elif e.kind == "restart":
            ax.plot([e.time], [y], marker=">", ms=7, color="#2e7d32", zorder=6)
        elif e.kind == "timer" and timers:
            ax.plot([e.time], [y], marker="o", ms=5, mfc="white", mec="#555555", zorder=5)
        elif e.kind == "persist" and persists:
            ax.plot([e.time], [y], marker="s", ms=4, color="#6d4c41", zorder=5)
        elif e.kind == "output" and outputs:
            text = outputs(e) if callable(outputs) else ""
            if text is not None:  # a callable returning None skips the event
                ax.plot([e.time], [y], marker="D", ms=5, color="#6a1b9a", zorder=6)
                if text:
                    ax.text(e.time, y + 0.13, text, fontsize=7.5, ha="center", va="top",
                            color="#6a1b9a", zorder=6)
        elif e.kind == "annotate" and annotations and event_labels is None:
            ax.plot([e.time], [y], "o", ms=3.2, color="black", zorder=4)
            ax.text(e.time, y - 0.16, str(e.info), fontsize=7.5, ha="center", va="bottom",
                    color="#222222", zorder=6)
        if event_labels is not None and e.kind in ("send", "deliver", "annotate", "timer",
                                                   "output"):
            text = event_labels(e)
            if text:
                ax.plot([e.time], [y], "o", ms=3.2, color="black", zorder=4)
                ax.text(e.time, y - 0.13, text, fontsize=7.5, ha="center", va="bottom",
                        color="#1a237e", zorder=6,
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))

    if now is not None:
        ax.axvline(now, color="#1565c0", lw=1.0, ls="-", alpha=0.6, zorder=0.5)

    ax.set_yticks(range(len(nodes)))
    ax.set_yticklabels(nodes)
    ax.set_ylim(len(nodes) - 0.5, -0.95)
    span = hi - lo
    ax.set_xlim(lo - 0.02 * span, hi + 0.02 * span)
    ax.set_xlabel(xlabel)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if legend and len(colors) > 1:
        handles = [Line2D([0], [0], color=c, lw=2) for c in colors.values()]
        ax.legend(handles, list(colors), loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  fontsize=8, frameon=False, title="messages", title_fontsize=8)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return ax
