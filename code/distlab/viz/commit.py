"""Pictures for notebook 2.3: commit diagrams with in-doubt bands, state tables,
Skeen's state diagrams, and step-through animations of commit runs.

Everything is drawn from the trace (messages, persists, outputs, crashes) and from
snapshots of the nodes' public state (``distlab.commit.snapshot``); nothing reaches
into a node's memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

from ..commit import checks
from ..commit.messages import (Abort, Ack, CanCommit, Commit, DecisionRequest, DoCommit,
                               Elect, PreCommit, PreCommitAck, Prepare, StateReply,
                               StateReq, Vote)
from ..sim.trace import Trace, TraceEvent
from .animation import Animation, animate
from .spacetime import spacetime
from .style import PALETTE

__all__ = ["commit_label", "commit_outputs", "commit_diagram", "doubt_bands",
           "state_table", "animate_commit", "state_diagram", "DOUBT_COLOR"]

DOUBT_COLOR = "#f4a261"
_COMMIT_COLOR = "#2e7d32"
_ABORT_COLOR = "#c62828"


def commit_label(msg: Any) -> str | None:
    """Short arrow labels: ``Prepare``, ``yes``, ``Commit``, ``ask?``, ``Elect r1`` …"""
    if isinstance(msg, Vote):
        return "yes" if msg.yes else "no"
    if isinstance(msg, DecisionRequest):
        return "?"
    if isinstance(msg, (Elect, StateReq)):
        return f"{type(msg).__name__} r{msg.round}"
    if isinstance(msg, StateReply):
        return f"state {msg.state}"
    if isinstance(msg, PreCommit):
        return "PreCommit" if msg.round == 0 else f"PreCommit r{msg.round}"
    if isinstance(msg, PreCommitAck):
        return "ack"
    if isinstance(msg, (Prepare, Commit, Abort, Ack, CanCommit, DoCommit)):
        return type(msg).__name__
    return None


def commit_outputs(event: TraceEvent) -> str | None:
    """Output labels: a participant's vote (``yes``/``no``) and every decision."""
    if event.info == "vote":
        return f"vote {event.msg[1]}"
    if event.info == "decide":
        return event.msg[1].upper()
    return None


def _events_of(source: Any) -> tuple[list[TraceEvent], list[str] | None]:
    if isinstance(source, Trace):
        return source.events, None
    if hasattr(source, "trace") and isinstance(source.trace, Trace):
        return source.trace.events, list(source.node_ids)
    if isinstance(source, list):
        return source, None
    raise TypeError(f"expected a Simulation, a Trace or a list of TraceEvent, "
                    f"got {type(source).__name__}")


def _about(e: TraceEvent, txid: str) -> bool:
    """Is event ``e`` about transaction ``txid`` (or about no transaction at all)?"""
    if e.kind == "output":
        return isinstance(e.msg, tuple) and e.msg[0] == txid
    if e.kind in ("send", "deliver", "drop", "duplicate"):
        return getattr(e.msg, "txid", txid) == txid
    if e.kind == "annotate":
        return txid in str(e.info)
    if e.kind in ("timer", "persist"):
        return False
    return True


def doubt_bands(ax: Axes, source: Any, *, nodes: Sequence[str], end: float,
                now: float | None = None, txid: str | None = None) -> int:
    """Shade each participant's in-doubt stretch (yes vote → decision) on its row.

    Returns how many bands were drawn.
    """
    events, _ = _events_of(source)
    if now is not None:
        events = [e for e in events if e.time <= now]
    row = {n: i for i, n in enumerate(nodes)}
    drawn = 0
    for d in checks.in_doubt(events):
        if d.node not in row or (txid is not None and d.txid != txid):
            continue
        until = d.until if d.until is not None else (now if now is not None else end)
        ax.add_patch(Rectangle((d.since, row[d.node] - 0.17), max(until - d.since, 0.0), 0.34,
                               color=DOUBT_COLOR, alpha=0.35, lw=0, zorder=0.8))
        drawn += 1
    return drawn


def commit_diagram(source: Any, *, ax: Axes | None = None,
                   figsize: tuple[float, float] | None = None, txid: str | None = None,
                   start: float | None = None, end: float | None = None,
                   now: float | None = None, title: str | None = None, doubt: bool = True,
                   label: Callable[[Any], str | None] | None = commit_label,
                   legend: bool = True, max_labels: int = 40, **kwargs: Any) -> Axes:
    """A space-time diagram of a commit run: messages, log writes (brown squares),
    votes and decisions (purple diamonds), and in-doubt stretches (orange bands).

    ``txid`` keeps only the messages and outputs of one transaction.
    """
    events, sim_nodes = _events_of(source)
    nodes = kwargs.pop("nodes", None) or sim_nodes or checks_nodes(events)
    if txid is not None:
        events = [e for e in events if _about(e, txid)]
    if end is None:
        end = max((e.time for e in events), default=1.0) if now is None else now
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (9.0, 0.55 * len(nodes) + 1.4))
    spacetime(events, nodes=nodes, ax=ax, start=start, end=end, now=now, label=None,
              outputs=commit_outputs, persists=False, legend=False, title=title, **kwargs)
    row = {n: i for i, n in enumerate(nodes)}
    if label is not None:
        _label_arrows(ax, events, row, label, now=now, max_labels=max_labels)
    shown = [e for e in events if e.kind == "persist" and e.node in row
             and (now is None or e.time <= now)]
    ax.plot([e.time for e in shown], [row[e.node] - 0.2 for e in shown], "s", ms=4.5,
            color="#6d4c41", zorder=5, lw=0)
    if doubt:
        doubt_bands(ax, events, nodes=nodes, end=end, now=now, txid=txid)
    if legend:
        kinds = _type_colors(events, row, ax.get_xlim(), now)
        handles = [Line2D([0], [0], color=c, lw=2) for c in kinds.values()]
        names = list(kinds)
        handles += [Line2D([0], [0], marker="s", color="#6d4c41", lw=0, ms=5),
                    Line2D([0], [0], marker="D", color="#6a1b9a", lw=0, ms=5),
                    Patch(color=DOUBT_COLOR, alpha=0.45)]
        names += ["log write", "vote / decision", "in doubt"]
        ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=7.5,
                  frameon=False, handlelength=1.4, labelspacing=0.25)
    return ax


def _type_colors(events: Sequence[TraceEvent], row: Mapping[str, int],
                 xlim: tuple[float, float], now: float | None) -> dict[str, str]:
    """Message type -> arrow colour, assigned as ``spacetime`` assigns them: palette
    colours in order of the first drawn send of each type."""
    lo, hi = xlim
    out: dict[str, str] = {}
    for e in events:
        if e.kind != "send" or (now is not None and e.time > now):
            continue
        if e.node not in row or e.peer not in row or e.node == e.peer:
            continue
        name = type(e.msg).__name__
        if name not in out and lo <= e.time <= hi:
            out[name] = PALETTE[len(out) % len(PALETTE)]
    return out


def _label_arrows(ax: Axes, events: Sequence[TraceEvent], row: Mapping[str, int],
                  label: Callable[[Any], str | None], *, now: float | None,
                  max_labels: int) -> int:
    """Label the delivered arrows that are long enough to hold their label (short ones
    stay unlabelled rather than pile up); returns how many labels were drawn."""
    fig = ax.figure
    lo, hi = ax.get_xlim()
    width_in = ax.get_position().width * fig.get_figwidth()
    per_unit = width_in / max(hi - lo, 1e-9)          # inches per time unit
    sends = {e.msg_id: e for e in events if e.kind == "send"}
    jobs = []
    for e in events:
        if e.kind != "deliver" or (now is not None and e.time > now):
            continue
        s = sends.get(e.msg_id)
        if s is None or s.node not in row or e.node not in row or s.time < lo:
            continue
        text = label(s.msg)
        if not text:
            continue
        if (e.time - s.time) * per_unit < 0.06 * len(text) + 0.08:
            continue
        jobs.append(((s.time + e.time) / 2, (row[s.node] + row[e.node]) / 2, text))
    if len(jobs) > max_labels:
        return 0
    for x, y, text in jobs:
        ax.text(x, y, text, fontsize=7, color="#263238", ha="center", va="center", zorder=5,
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
    return len(jobs)


def checks_nodes(events: Sequence[TraceEvent]) -> list[str]:
    """Nodes in order: the coordinator(s) first, then the others by first appearance."""
    seen: dict[str, None] = {}
    for e in events:
        if e.kind == "output" and e.info == "begin":
            seen.setdefault(e.node, None)
    for e in events:
        if e.node is not None:
            seen.setdefault(e.node, None)
    return list(seen)


def state_table(ax: Axes, states: Mapping[str, Mapping[str, Any]], *,
                columns: Sequence[str] = ("role", "vote", "log", "decision"),
                fontsize: float = 8.0, widths: Sequence[int] = (12, 9, 42, 22)) -> None:
    """Draw ``{node: {column: value}}`` as a monospace table, crashed nodes in red.

    One text per row (cheap enough for every frame of an animation).
    """
    ax.axis("off")
    widths = list(widths) + [20] * (len(columns) - len(widths))

    def line(cells: Sequence[str]) -> str:
        out = []
        for text, w in zip(cells, [5, *widths]):
            text = str(text)
            out.append((text if len(text) <= w else text[: w - 1] + "…").ljust(w))
        return "  ".join(out).rstrip()

    rows = [(line(["node", *columns]), "#000000", "bold")]
    for node, st in states.items():
        st = st or {}
        crashed = st.get("status") == "crashed"
        rows.append((line([node, *(st.get(c, "") for c in columns)]),
                     _ABORT_COLOR if crashed else "#222222", "normal"))
    step = 1.0 / max(len(rows), 6)
    for i, (text, color, weight) in enumerate(rows):
        ax.text(0.0, 1.0 - i * step, text, family="monospace", fontsize=fontsize,
                color=color, weight=weight, va="top", ha="left", transform=ax.transAxes)
    ax.plot([0.0, 1.0], [1.0 - 0.8 * step] * 2, color="#999999", lw=0.8,
            transform=ax.transAxes)


def animate_commit(source: Any, frames: Sequence[tuple[float, Mapping[str, Any]]], *,
                   captions: Sequence[str] | Callable[[float], str] | None = None,
                   txid: str | None = None, start: float = 0.0, end: float | None = None,
                   figsize: tuple[float, float] = (8.4, 4.4), dpi: int = 72,
                   interval_ms: int = 1200) -> Animation:
    """A step-through animation: the diagram growing up to each frame's time, and
    below it the table of every node's state then (``distlab.commit.record`` frames)."""
    if not frames:
        raise ValueError("frames must hold at least one (time, snapshot) pair")
    events, sim_nodes = _events_of(source)
    nodes = sim_nodes or checks_nodes(events)
    if end is None:
        end = frames[-1][0]

    def draw(fig: Figure, i: int) -> None:
        t, states = frames[i]
        top = fig.add_axes((0.06, 0.45, 0.74, 0.48))
        commit_diagram(source, ax=top, txid=txid, start=start, end=end, now=t,
                       nodes=nodes)
        if captions is not None:
            text = captions(t) if callable(captions) else captions[i]
        else:
            text = f"t = {t:g}"
        top.set_title(text, fontsize=10, loc="left")
        bottom = fig.add_axes((0.06, 0.01, 0.93, 0.3))
        state_table(bottom, states)

    return animate(draw, len(frames), figsize=figsize, dpi=dpi, interval_ms=interval_ms,
                   layout="fixed", alt="step-through animation of a commit run")


# --- Skeen's state diagrams -----------------------------------------------------------------

_POSITIONS = {
    "2pc": {"q": (0.0, 0.3), "w": (1.0, 0.3), "c": (2.0, 0.3), "a": (1.5, -0.5)},
    "3pc": {"q": (0.0, 0.3), "w": (1.0, 0.3), "p": (2.0, 0.3), "c": (3.0, 0.3),
            "a": (1.5, -0.5)},
}
_EDGES = {
    "2pc": [("q", "w", "vote yes"), ("q", "a", "vote no"), ("w", "c", "Commit"),
            ("w", "a", "Abort")],
    "3pc": [("q", "w", "vote yes"), ("q", "a", "vote no"), ("w", "p", "PreCommit"),
            ("w", "a", "Abort"), ("p", "c", "DoCommit")],
}
_NAMES = {"q": "q\ninitial", "w": "w\nuncertain", "p": "p\ncommittable",
          "c": "c\ncommitted", "a": "a\naborted"}


def state_diagram(protocol: str, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """A participant's states and transitions in Skeen's (1981) model.

    In 2PC the uncertain state ``w`` leads to both ``c`` and ``a`` (drawn red):
    the reason 2PC blocks. 3PC inserts the committable state ``p``.
    """
    if protocol not in _POSITIONS:
        raise ValueError(f"protocol must be '2pc' or '3pc', got {protocol!r}")
    pos, edges = _POSITIONS[protocol], _EDGES[protocol]
    radius = 0.27
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5 if protocol == "2pc" else 5.8, 2.4))
    both = {s for s in pos
            if any(a == s and b == "c" for a, b, _ in edges)
            and any(a == s and b == "a" for a, b, _ in edges)}
    for s, (x, y) in pos.items():
        color = {"c": "#e8f5e9", "a": "#ffebee"}.get(s, "#e3f2fd")
        edge = _ABORT_COLOR if s in both else "#455a64"
        ax.add_patch(plt.Circle((x, y), radius, fc=color, ec=edge, lw=2.2 if s in both else 1.2,
                                zorder=2))
        ax.text(x, y, _NAMES[s], ha="center", va="center", fontsize=8, zorder=3)
    for a, b, text in edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        ax.add_patch(FancyArrowPatch((x0 + radius * ux, y0 + radius * uy),
                                     (x1 - radius * ux, y1 - radius * uy),
                                     arrowstyle="-|>", mutation_scale=12, shrinkA=0,
                                     shrinkB=0, color="#455a64", lw=1.1, zorder=3))
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + (0.1 if y1 >= y0 else 0.0), text,
                fontsize=7.5, ha="center", va="center", color="#37474f",
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    xs = [x for x, _ in pos.values()]
    ax.set_xlim(min(xs) - 0.4, max(xs) + 0.4)
    ax.set_ylim(-0.85, 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax
