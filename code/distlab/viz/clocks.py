"""Pictures for logical time: timestamps on space-time diagrams, causal cones, animations.

Everything is drawn from the trace: the events and their order come from
``HappensBefore.from_trace``, the timestamps from ``read_stamps`` (what the nodes
reported), never from a node's memory. Labels on one process line are staggered above
and below it when they would overlap, so vector timestamps stay readable.

Taught in notebooks 1.2 and 1.3.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..clocks.causality import HappensBefore
from ..clocks.mutex import mutex_entries
from ..clocks.nodes import read_stamps
from ..sim import Simulation
from ..sim.trace import Trace
from .animation import Animation, animate
from .spacetime import spacetime

__all__ = ["vector_label", "event_diagram", "clock_diagram", "causal_cone",
           "animate_clocks", "mutex_diagram", "CONE_COLORS"]

#: Colours of a causal cone: the event, its past, its future, the concurrent events.
CONE_COLORS = {"event": "#000000", "past": "#0072B2", "future": "#D55E00",
               "concurrent": "#9e9e9e"}


def _rows(source: Any) -> tuple[list, list[str] | None]:
    if isinstance(source, Simulation):
        return source.trace.events, list(source.node_ids)
    if isinstance(source, Trace):
        return source.events, None
    raise TypeError(f"expected a Simulation or a Trace, got {type(source).__name__}")


def vector_label(nodes: Sequence[str]) -> Callable[[Mapping[str, int]], str]:
    """A compact formatter: ``{"n1": 2, "n3": 1}`` becomes ``"[2,0,1]"`` for n1, n2, n3."""
    nodes = list(nodes)
    if not nodes or not all(isinstance(n, str) for n in nodes):
        raise ValueError(f"nodes must be a non-empty list of node ids, got {nodes!r}")
    return lambda v: "[" + ",".join(str(v.get(n, 0)) for n in nodes) + "]"


def event_diagram(source: Any, *, hb: HappensBefore | None = None,
                  labels: Mapping[str, str] | None = None,
                  colors: Mapping[str, str] | None = None,
                  nodes: Sequence[str] | None = None, now: float | None = None,
                  ax: Axes | None = None, figsize: tuple[float, float] | None = None,
                  fontsize: float = 8.0, stagger: bool = True, message_labels: bool = False,
                  title: str | None = None, **spacetime_kwargs: Any) -> Axes:
    """A space-time diagram with every event marked, labelled and/or coloured.

    ``labels`` and ``colors`` map event ids (``"n1.3"``) to text and colours. Local
    events are drawn as squares, sends and receives as dots. With ``stagger``, a label
    that would overlap the previous one on its line goes below the line instead.
    """
    rows, sim_nodes = _rows(source)
    if hb is None:
        hb = HappensBefore.from_trace(rows)
    nodes = list(nodes or sim_nodes or hb.nodes)
    if figsize is None and ax is None:
        figsize = (8.6, 0.62 * len(nodes) + 1.2)
    ax = spacetime(source, nodes=nodes, now=now, ax=ax, figsize=figsize, title=title,
                   label=(lambda m: getattr(m, "body", None)) if message_labels else None,
                   event_labels=None, annotations=False, outputs=False, **spacetime_kwargs)
    row = {n: i for i, n in enumerate(nodes)}
    lo = spacetime_kwargs.get("start")
    hi = spacetime_kwargs.get("end")
    cutoff = min(float("inf") if now is None else now, float("inf") if hi is None else hi)
    shown = [e for e in hb.events if e.node in row and e.time <= cutoff
             and (lo is None or e.time >= lo)]

    for e in shown:
        c = (colors or {}).get(e.id)
        marker = "s" if e.kind == "local" else "o"
        if c is not None:
            ax.plot([e.time], [row[e.node]], marker=marker, ms=7, color=c, zorder=7,
                    mec="white", mew=0.6)
        elif e.kind == "local":
            ax.plot([e.time], [row[e.node]], marker="s", ms=4.2, color="black", zorder=6)

    if labels:
        fig = ax.figure
        x0, x1 = ax.get_xlim()
        width_px = max(ax.get_window_extent().width, 1.0)
        per_char = (x1 - x0) / width_px * fontsize * 0.62 * fig.dpi / 72.0
        last_end: dict[tuple[str, int], float] = {}
        for e in sorted(shown, key=lambda e: (e.node, e.time)):
            text = labels.get(e.id)
            if not text:
                continue
            half = (0.5 * max(len(line) for line in text.split("\n")) + 0.3) * per_char
            side = -1
            if stagger and last_end.get((e.node, -1), -float("inf")) > e.time - half:
                if last_end.get((e.node, 1), -float("inf")) <= e.time - half:
                    side = 1
            last_end[(e.node, side)] = e.time + half
            y = row[e.node] + side * 0.13
            ax.text(e.time, y, text, fontsize=fontsize, ha="center",
                    va="bottom" if side < 0 else "top", color="#1a237e", zorder=8,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
    return ax


def clock_diagram(source: Any, *, stamps: Mapping[str, Any] | None = None,
                  hb: HappensBefore | None = None,
                  fmt: Callable[[Any], str] = str, ids: bool = False,
                  **kwargs: Any) -> Axes:
    """A space-time diagram with each event's timestamp, as the nodes reported it.

    ``fmt`` turns a timestamp into text (``vector_label(nodes)`` for vectors); with
    ``ids`` each label also names its event (``n1.3``) on a first line. Other keyword
    arguments go to :func:`event_diagram`.
    """
    rows, _ = _rows(source)
    if hb is None:
        hb = HappensBefore.from_trace(rows)
    if stamps is None:
        stamps = read_stamps(rows, hb)
    labels = {k: (f"{k}\n{fmt(v)}" if ids else fmt(v)) for k, v in stamps.items()}
    return event_diagram(source, hb=hb, labels=labels, **kwargs)


def causal_cone(source: Any, event: str, *, hb: HappensBefore | None = None,
                ids: bool = True, ax: Axes | None = None, legend: bool = True,
                **kwargs: Any) -> Axes:
    """Colour the causal past and future of ``event``; what is left is concurrent with it."""
    rows, _ = _rows(source)
    if hb is None:
        hb = HappensBefore.from_trace(rows)
    colors = {e.id: CONE_COLORS["concurrent"] for e in hb.events}
    colors.update({e.id: CONE_COLORS["past"] for e in hb.past(event)})
    colors.update({e.id: CONE_COLORS["future"] for e in hb.future(event)})
    colors[hb.event(event).id] = CONE_COLORS["event"]
    labels = {e.id: e.id for e in hb.events} if ids else None
    ax = event_diagram(source, hb=hb, labels=labels, colors=colors, ax=ax, **kwargs)
    if legend:
        names = {"event": f"the event {event}", "past": "happened before it",
                 "future": "happened after it", "concurrent": "concurrent with it"}
        handles = [Line2D([0], [0], marker="o", ls="", color=c, ms=7, label=names[k])
                   for k, c in CONE_COLORS.items()]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  fontsize=8, frameon=False)
    return ax


def animate_clocks(source: Simulation, *, times: Sequence[float],
                   fmt: Callable[[Any], str] = str, name: str = "C", initial: Any = 0,
                   captions: Sequence[str] | Callable[[float], str] | None = None,
                   end: float | None = None,
                   figsize: tuple[float, float] | None = None, dpi: int = 80,
                   interval_ms: int = 900, **kwargs: Any) -> Animation:
    """Step through a run: the diagram up to each time, with every node's clock beside it.

    The clock shown for a node is the timestamp of its latest event (read from the
    trace), or ``initial`` before its first event. ``end`` fixes the right end of the
    time axis (default: the run's end). The static twin of a clock-stepping widget.
    """
    if not isinstance(source, Simulation):
        raise TypeError(f"animate_clocks needs the Simulation after its run, got "
                        f"{type(source).__name__}")
    times = list(times)
    if not times:
        raise ValueError("times must hold at least one frame time")
    hb = HappensBefore.from_trace(source)
    stamps = read_stamps(source, hb)
    labels = {k: fmt(v) for k, v in stamps.items()}
    nodes = list(source.node_ids)
    if end is None:
        end = max(max((e.time for e in source.trace.events), default=1.0), times[-1])
    if figsize is None:
        figsize = (9.6, 0.55 * len(nodes) + 1.5)

    def clocks_at(t: float) -> str:
        current = {n: fmt(initial) for n in nodes}
        for e in hb.events:
            if e.time <= t and e.id in labels:
                current[e.node] = labels[e.id]
        return "\n".join(f"{n}: {name} = {current[n]}" for n in nodes)

    def draw(fig: Figure, i: int) -> None:
        t = times[i]
        # Fixed axes instead of constrained layout: a third of the time per frame.
        fig.set_layout_engine("none")
        ax = fig.add_axes((0.07, 0.2, 0.7, 0.66))
        side = fig.add_axes((0.8, 0.2, 0.19, 0.66))
        side.axis("off")
        side.text(0.0, 1.0, clocks_at(t), family="monospace", fontsize=9, va="top",
                  ha="left", transform=side.transAxes)
        event_diagram(source, hb=hb, labels=labels, now=t, ax=ax, start=0.0, end=end,
                      legend=False, **kwargs)
        text = (captions(t) if callable(captions) else captions[i]) if captions is not None \
            else f"t = {t:.1f}"
        ax.set_title(text, fontsize=10, loc="left")

    return animate(draw, len(times), figsize=figsize, dpi=dpi, interval_ms=interval_ms,
                   layout="fixed")


def mutex_diagram(source: Simulation, *, ax: Axes | None = None,
                  figsize: tuple[float, float] | None = None, title: str | None = None,
                  **spacetime_kwargs: Any) -> Axes:
    """A run of Lamport's mutual exclusion: messages, and a bar on the holder's line for
    each use of the resource, labelled with the request's timestamp ``C.node``."""
    if not isinstance(source, Simulation):
        raise TypeError(f"mutex_diagram needs the Simulation after its run, got "
                        f"{type(source).__name__}")
    uses = mutex_entries(source)
    nodes = list(source.node_ids)
    row = {n: i for i, n in enumerate(nodes)}
    end = max((u[1] if u[1] is not None else source.now for u in uses), default=source.now)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (9.5, 0.6 * len(nodes) + 1.4))
    spacetime(source, ax=ax, end=end + 1.0, label=None, title=title, **spacetime_kwargs)
    for t0, t1, node, request in uses:
        t1 = end if t1 is None else t1
        ax.plot([t0, t1], [row[node]] * 2, color="#6a1b9a", lw=7, alpha=0.45,
                solid_capstyle="butt", zorder=2.5)
        ax.text(0.5 * (t0 + t1), row[node] - 0.16, str(request), fontsize=8,
                color="#6a1b9a", ha="center", va="bottom", zorder=8,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
    return ax
