"""Pictures of a Raft run, drawn from its trace (``distlab.raft.timeline``).

- ``raft_timeline``: one band per server, coloured by role over time (follower,
  candidate, leader; a gap with a red cross while crashed), the term written where
  each candidacy or leadership begins, commit ticks, partitions shaded: RaftScope's
  view, flattened onto a time axis.
- ``raft_logs``: the servers' logs at one moment, one row per server and one box per
  entry coloured by term (as in the paper's Figures 6–8); committed entries are solid,
  uncommitted ones hatched; a grey block stands for the snapshot prefix.
- ``animate_raft``: both, frame by frame: the static twin of a Raft explorer.
- ``raft_cluster``: RaftScope's picture at one moment: the servers on a ring, coloured
  by role, with their terms and votes, and the messages in flight between them.
- ``animate_cluster``: the ring and the logs (and a strip of the timeline), frame by
  frame: the step-through stories of notebooks 2.6–2.8.
- ``animate_logs``: the logs of several runs side by side, frame by frame (a correct
  server and a broken one on the same story: Figure 8).
- ``raft_spacetime``: a space-time diagram with Raft's labels (``RV t3``, ``AE 4..6``,
  ``ok 6``), message colours by kind, leaders and commits marked; heartbeats can be
  hidden.
- ``role_diagram``: the follower / candidate / leader state diagram (the paper's
  Figure 4), each transition labelled with its rule and how often the trace shows it.
- ``violation_figure``: the timeline, the space-time diagram and the logs around a
  safety violation, for the failure reports of notebook 2.8; ``replay_scenario``
  re-runs a failed scenario to get its cluster back.

Taught in notebooks 2.6–2.8.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from ..raft.messages import (OK, AddServer, AppendEntries, AppendEntriesReply, ClientQuery,
                             ClientReply, ClientRequest, InstallSnapshot, InstallSnapshotReply,
                             MembershipReply, RemoveServer, RequestVote, RequestVoteReply)
from ..raft.timeline import partition_spans, role_segments, servers_of, views_at
from ..sim import Simulation, Trace, TraceEvent
from .animation import Animation, animate
from .spacetime import spacetime
from .style import CRASH_COLOR, NODE_LINE, PALETTE, PARTITION_FILL

__all__ = ["raft_timeline", "raft_logs", "animate_raft", "ROLE_COLORS", "term_color",
           "MESSAGE_COLORS", "message_kind", "raft_label", "raft_outputs", "raft_spacetime",
           "in_flight", "raft_cluster", "animate_cluster", "animate_logs", "role_transitions", "role_diagram",
           "violation_figure", "replay_scenario"]

ROLE_COLORS = {"follower": "#d9d9d9", "candidate": "#E69F00", "leader": "#0072B2"}


def term_color(term: int) -> str:
    """The colour of a term's log entries (the palette, cycled; term 0 grey)."""
    if term <= 0:
        return "#bdbdbd"
    cycle = [c for c in PALETTE if c not in ("#000000",)]
    return cycle[(term - 1) % len(cycle)]


def _ink(fill: str) -> str:
    """Black text on light fills (yellow, sky blue), white on the others."""
    r, g, b = (int(fill[k:k + 2], 16) / 255 for k in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else "white"


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
                    color=_ink(term_color(term)) if committed else "black", clip_on=True,
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
    if isinstance(command, str):
        text = command                       # the harness's commands: no quotes
    if type(command).__name__ == "Command":
        text = f"{command.op[0]}{command.key}"
    if type(command).__name__ == "NoOp":
        text = "·"
    if type(command).__name__ == "Configuration":
        text = "cfg"
    return text if len(text) <= 5 else text[:4] + "…"


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


# =============================================================================================
# Messages: kinds, colours, labels (for space-time diagrams and the ring)
# =============================================================================================
#: One colour per kind of message, the same in every picture of notebooks 2.6–2.8.
#: (In the order of the book's palette, which ``spacetime`` hands out to kinds in the order
#: they first appear: an election shows RequestVote, vote replies, AppendEntries, replies.)
MESSAGE_COLORS = {
    "RequestVote": "#0072B2",
    "vote reply": "#D55E00",
    "AppendEntries": "#009E73",
    "AE reply": "#CC79A7",
    "heartbeat": "#E69F00",
    "InstallSnapshot": "#56B4E9",
    "client": "#7f7f7f",
    "membership": "#000000",
}


def message_kind(msg: Any) -> str:
    """The kind of a Raft message, a key of ``MESSAGE_COLORS`` (``color_by`` for
    ``spacetime``): AppendEntries with entries and without (heartbeats) apart."""
    if isinstance(msg, RequestVote):
        return "RequestVote"
    if isinstance(msg, RequestVoteReply):
        return "vote reply"
    if isinstance(msg, AppendEntries):
        return "AppendEntries" if msg.entries else "heartbeat"
    if isinstance(msg, AppendEntriesReply):
        return "AE reply"
    if isinstance(msg, (InstallSnapshot, InstallSnapshotReply)):
        return "InstallSnapshot"
    if isinstance(msg, (ClientRequest, ClientQuery, ClientReply)):
        return "client"
    if isinstance(msg, (AddServer, RemoveServer, MembershipReply)):
        return "membership"
    return type(msg).__name__


def raft_label(msg: Any) -> str | None:
    """A short label: ``RV t3``, ``yes``/``no``, ``AE 4..6`` (heartbeats: none),
    ``ok 6`` or ``no →4`` (the conflict index), ``snap ≤20``, client messages."""
    if isinstance(msg, RequestVote):
        return f"RV t{msg.term}"
    if isinstance(msg, RequestVoteReply):
        return "yes" if msg.vote_granted else "no"
    if isinstance(msg, AppendEntries):
        if not msg.entries:
            return None
        a, b = msg.entries[0].index, msg.entries[-1].index
        return f"AE {a}" if a == b else f"AE {a}..{b}"
    if isinstance(msg, AppendEntriesReply):
        return f"ok {msg.match_index}" if msg.success else f"no →{msg.conflict_index}"
    if isinstance(msg, InstallSnapshot):
        return f"snap ≤{msg.last_included_index}"
    if isinstance(msg, InstallSnapshotReply):
        return f"ok ≤{msg.last_included_index}"
    if isinstance(msg, ClientRequest):
        return "request"
    if isinstance(msg, ClientQuery):
        return "query"
    if isinstance(msg, ClientReply):
        return "reply" if msg.status == OK else "redirect"
    return None


def raft_outputs(event: TraceEvent) -> str | None:
    """``outputs`` for ``spacetime``: mark a server becoming candidate or leader, and
    each commit; skip the other outputs."""
    if event.info == "role":
        role, term = event.msg
        if role == "leader":
            return f"leader t{term}"
        if role == "candidate":
            return f"cand. t{term}"
        return None
    if event.info == "commit":
        return f"commit {event.msg[0]}"
    return None


def _without_heartbeats(events: Iterable[TraceEvent]) -> list[TraceEvent]:
    """The events minus empty AppendEntries and the replies that acknowledge nothing
    new (same match index as the last reply from that follower to that leader)."""
    hidden: set[int] = set()
    acked: dict[tuple[str, str], int] = {}
    out = []
    for e in events:
        if e.kind == "send":
            m = e.msg
            if isinstance(m, AppendEntries) and not m.entries:
                hidden.add(e.msg_id)
                continue
            if isinstance(m, AppendEntriesReply) and m.success:
                key = (e.node, e.peer)
                if acked.get(key) == m.match_index:
                    hidden.add(e.msg_id)
                    continue
                acked[key] = m.match_index
        elif e.kind in ("deliver", "drop", "duplicate") and e.msg_id in hidden:
            continue
        out.append(e)
    return out


def _node_order(source: Any, trace: Trace) -> list[str]:
    sim = source if isinstance(source, Simulation) else getattr(source, "sim", None)
    if isinstance(sim, Simulation):
        return list(sim.node_ids)
    names = servers_of(trace)
    for e in trace.events:
        for n in (e.node, e.peer):
            if n is not None and n not in names:
                names.append(n)
    return names


def raft_spacetime(source: Any, *, heartbeats: bool = True, nodes: Sequence[str] | None = None,
                   **kwargs: Any) -> Axes:
    """``distlab.viz.spacetime`` with Raft's labels, colours and outputs.

    ``heartbeats=False`` hides empty AppendEntries and the replies that acknowledge
    nothing new, which otherwise bury the interesting messages. Other keyword
    arguments go to ``spacetime`` (``start``, ``end``, ``now``, ``ax``, ``title``...).
    """
    trace = _source(source)
    events = trace.events if heartbeats else _without_heartbeats(trace.events)
    options = dict(label=raft_label, color_by=message_kind, colors=MESSAGE_COLORS,
                   outputs=raft_outputs, max_labels=40)
    options.update(kwargs)
    return spacetime(events, nodes=list(nodes) if nodes is not None
                     else _node_order(source, trace), **options)


# =============================================================================================
# The ring: RaftScope's view of one moment
# =============================================================================================
def in_flight(source: Any, time: float | None = None, *, heartbeats: bool = True
              ) -> list[tuple[TraceEvent, float | None]]:
    """Messages sent by ``time`` and neither delivered nor dropped by then, each with
    the time it arrives (or is dropped) if the trace already says, else ``None``."""
    trace = _source(source)
    events = trace.events if heartbeats else _without_heartbeats(trace.events)
    if time is None:
        time = events[-1].time if events else 0.0
    pending: dict[int, TraceEvent] = {}
    k = 0
    for k, e in enumerate(events):
        if e.time > time:
            break
        if e.kind == "send":
            pending[e.msg_id] = e
        elif e.kind in ("deliver", "drop"):
            pending.pop(e.msg_id, None)
    else:
        k = len(events)
    ends: dict[int, float] = {}
    for e in events[k:]:
        if e.kind in ("deliver", "drop") and e.msg_id in pending and e.msg_id not in ends:
            ends[e.msg_id] = e.time
            if len(ends) == len(pending):
                break
    return [(s, ends.get(mid)) for mid, s in pending.items()]


def _partition_at(trace: Trace, time: float) -> list[list[str]] | None:
    """The groups in force at ``time``, after every event at ``time`` (as ``views_at``):
    a partition made, or healed, at that very moment counts."""
    groups = None
    for e in trace.events:
        if e.time > time:
            break
        if e.kind == "partition":
            groups = str(e.info)
        elif e.kind == "heal":
            groups = None
    if groups is None:
        return None
    return [[m.strip() for m in g.split(",") if m.strip()] for g in groups.split("|")]


def _votes_at(trace: Trace, time: float) -> dict[str, tuple[str, int]]:
    votes: dict[str, tuple[str, int]] = {}
    for e in trace.events:
        if e.time > time:
            break
        if e.kind == "output" and e.info == "vote":
            votes[e.node] = e.msg
    return votes


_GROUP_HALOS = ("#cfe3f3", "#f6dcc8", "#d3eedf", "#efd9e8", "#fbe7bd")


def raft_cluster(source: Any, *, time: float | None = None,
                 servers: Sequence[str] | None = None, ax: Axes | None = None,
                 messages: bool = True, heartbeats: bool = True, labels: bool = True,
                 title: str | None = None) -> Axes:
    """The cluster at ``time`` as RaftScope draws it: servers on a ring, filled by
    role (follower grey, candidate orange, leader blue; a crashed server white with a
    red cross), each with its term inside and, outside, its name and the candidate it
    voted for in that term (``→n2``); the messages in flight as dots on their way,
    coloured by kind (``MESSAGE_COLORS``); a partition as coloured halos, one colour
    per group. Everything is read from the trace."""
    trace = _source(source)
    events = trace.events
    t = time if time is not None else (events[-1].time if events else 0.0)
    views = views_at(trace, t)
    names = list(servers) if servers is not None else servers_of(trace)
    if not names:
        raise ValueError("nothing to draw: no server has reported a role in this trace")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.2))
    n = len(names)
    ring = 1.0
    r = min(0.24, 0.75 * math.sin(math.pi / n)) if n > 1 else 0.24
    pos = {s: (ring * math.cos(math.pi / 2 - 2 * math.pi * k / n),
               ring * math.sin(math.pi / 2 - 2 * math.pi * k / n)) for k, s in enumerate(names)}
    groups = _partition_at(trace, t)
    if groups:
        for g, members in enumerate(groups):
            for s in members:
                if s in pos:
                    ax.add_patch(Circle(pos[s], r * 1.45, facecolor=_GROUP_HALOS[g % 5],
                                        edgecolor="none", zorder=0.5))
    votes = _votes_at(trace, t)
    for s in names:
        x, y = pos[s]
        v = views.get(s)
        up = v is None or v.up
        role = v.role if v is not None else "follower"
        term = v.term if v is not None else 0
        face = "white" if not up else ROLE_COLORS.get(role, "#d9d9d9")
        ax.add_patch(Circle((x, y), r, facecolor=face, edgecolor=CRASH_COLOR if not up
                            else NODE_LINE, lw=1.4 if role == "leader" else 1.0, zorder=3))
        if not up:
            ax.plot([x], [y], marker="X", ms=14, color=CRASH_COLOR, zorder=4)
        else:
            ax.text(x, y, f"t{term}", ha="center", va="center", fontsize=9,
                    color="white" if role == "leader" else "black", zorder=4,
                    fontweight="bold" if role == "leader" else None)
        d = math.hypot(x, y) or 1.0
        ox, oy = x / d, y / d
        lx, ly = x + ox * (r + 0.2), y + oy * (r + 0.2)
        vote = votes.get(s)
        note = f"→{vote[0]}" if (up and vote is not None and vote[1] == term and role != "leader"
                                 and vote[0] != s) else ""
        ax.text(lx, ly, s + (f"\n{note}" if note else ""), ha="center", va="center",
                fontsize=8.5, color=NODE_LINE, zorder=4, linespacing=1.0)
    if messages:
        flying = [(e, end) for e, end in in_flight(trace, t, heartbeats=heartbeats)
                  if e.node in pos and e.peer in pos and e.node != e.peer]
        show_labels = labels and len(flying) <= 14
        for e, end in flying:
            (x0, y0), (x1, y1) = pos[e.node], pos[e.peer]
            frac = 0.5 if end is None or end <= e.time else (t - e.time) / (end - e.time)
            frac = min(1.0, max(0.0, frac))
            dx, dy = x1 - x0, y1 - y0
            length = math.hypot(dx, dy) or 1.0
            ux, uy = dx / length, dy / length
            gap = r + 0.06                       # from edge to edge of the two circles
            x0, y0 = x0 + ux * gap, y0 + uy * gap
            dx, dy = dx - 2 * ux * gap, dy - 2 * uy * gap
            px, py = -uy * 0.05, ux * 0.05       # keep the two directions apart
            mx, my = x0 + frac * dx + px, y0 + frac * dy + py
            kind = message_kind(e.msg)
            color = MESSAGE_COLORS.get(kind, "#7f7f7f")
            big = kind in ("AppendEntries", "RequestVote", "InstallSnapshot")
            ax.plot([mx], [my], "o", ms=8 if big else 6, color=color, mec="white", mew=0.8,
                    zorder=6)
            if show_labels:
                text = raft_label(e.msg)
                if text:
                    ax.text(mx, my + 0.07, text, fontsize=6.5, ha="center", va="bottom",
                            color=color, zorder=7,
                            bbox=dict(boxstyle="round,pad=0.08", fc="white", ec="none",
                                      alpha=0.8))
    if groups:
        ax.text(0, -1.58, "partition: " + " | ".join(",".join(g) for g in groups),
                ha="center", va="center", fontsize=7.5, color="#8a5a00")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.68, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax


def _message_legend(ax: Axes, kinds: Sequence[str]) -> None:
    handles = [Line2D([], [], ls="none", marker="o", ms=6, color=MESSAGE_COLORS[k],
                      mec="white") for k in kinds]
    ax.legend(handles, list(kinds), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5,
              handletextpad=0.3, borderaxespad=0.2, title="in flight", title_fontsize=7.5)


def animate_cluster(source: Any, *, times: Sequence[float],
                    captions: Sequence[str] | None = None,
                    servers: Sequence[str] | None = None, last: int = 10,
                    heartbeats: bool = True, timeline: bool = False, commands: bool = False,
                    figsize: tuple[float, float] | None = None, dpi: int = 72,
                    interval_ms: int = 1500) -> Animation:
    """Frames of the ring (``raft_cluster``) beside the logs (``raft_logs``) and,
    with ``timeline``, a strip of the roles over time up to the frame's moment (which
    makes each frame about half as expensive again).

    The static twin of the Raft explorer: each frame is one moment of a finished run,
    read from its trace; ``captions`` say what to look at."""
    trace = _source(source)
    times = [float(t) for t in times]
    if not times:
        raise ValueError("times must hold at least one frame time")
    if captions is not None and len(captions) != len(times):
        raise ValueError(f"captions must have one entry per time ({len(times)}), "
                         f"got {len(captions)}")
    names = list(servers) if servers is not None else servers_of(trace)
    if not heartbeats:       # filter once, not in every frame
        trace, heartbeats = Trace(_without_heartbeats(trace.events)), True
    end = max(times)
    rows = len(names)
    w, h = figsize or ((10.0, 4.4) if timeline else (9.2, 3.7))
    # Vertical layout of the right column, in inches from the top.
    caption_in, log_in, gap_in, strip_in, foot_in = 0.45, 0.3 * rows + 0.15, 0.5, \
        0.17 * rows + 0.1, 0.42
    if not timeline:
        strip_in = gap_in = 0.0
        caption_in = max(caption_in, (h - log_in - 0.45) / 2 + 0.1)   # centred

    def draw(fig: Figure, i: int) -> None:
        t = times[i]
        text = f"t = {t:.0f}" + (f":  {captions[i]}" if captions else "")
        fig.text(0.012, 1 - 0.12 / h, text, ha="left", va="top", fontsize=10.5)
        ring = fig.add_axes((0.0, 0.02, 0.36, 1 - 0.45 / h))
        raft_cluster(trace, time=t, servers=names, ax=ring, heartbeats=heartbeats)
        flying = {message_kind(e.msg) for e, _ in in_flight(trace, t, heartbeats=heartbeats)}
        kinds = [k for k in MESSAGE_COLORS if k in flying]
        if kinds:
            _message_legend(ring, kinds)
        top = 1 - caption_in / h
        logs = fig.add_axes((0.50, top - log_in / h, 0.47, log_in / h))
        raft_logs(trace, time=t, servers=names, ax=logs, last=last, commands=commands)
        logs.set_xlabel("log index (solid: committed; hatched: not yet)", fontsize=8)
        logs.tick_params(labelsize=8)
        if timeline:
            bottom = top - (log_in + gap_in + strip_in) / h
            strip = fig.add_axes((0.50, max(foot_in / h, bottom), 0.40, strip_in / h))
            raft_timeline(trace, servers=names, end=end, now=t, ax=strip, legend=False,
                          commits=False, terms=False)
            strip.set_xlabel("")
            strip.tick_params(labelsize=7)
            strip.text(1.01, 0.5, "roles\nover\ntime", transform=strip.transAxes, fontsize=7,
                       va="center", ha="left", color=NODE_LINE)

    return animate(draw, len(times), figsize=(w, h), dpi=dpi, interval_ms=interval_ms,
                   layout="fixed", alt="Raft cluster, step by step")


def animate_logs(runs: dict[str, Any], *, times: Sequence[float],
                 captions: Sequence[str] | None = None, servers: Sequence[str] | None = None,
                 last: int = 8, commands: bool = False, figsize: tuple[float, float] | None = None,
                 dpi: int = 72, interval_ms: int = 2000) -> Animation:
    """Frames of the logs of several runs at the same moments, one panel per run
    (``{title: run}``), e.g. a correct server and a broken one on the same story."""
    if not isinstance(runs, dict) or not runs:
        raise ValueError("runs must be a non-empty dict {title: Simulation, Trace or Cluster}")
    traces = {title: _source(run) for title, run in runs.items()}
    times = [float(t) for t in times]
    if not times:
        raise ValueError("times must hold at least one frame time")
    if captions is not None and len(captions) != len(times):
        raise ValueError(f"captions must have one entry per time ({len(times)}), "
                         f"got {len(captions)}")
    first = next(iter(traces.values()))
    names = list(servers) if servers is not None else servers_of(first)
    panel_in = 0.3 * len(names) + 0.75
    w, h = figsize or (8.6, 0.5 + panel_in * len(traces))

    def draw(fig: Figure, i: int) -> None:
        t = times[i]
        fig.text(0.012, 1 - 0.1 / h, (captions[i] if captions else f"t = {t:.0f}"),
                 ha="left", va="top", fontsize=10.5)
        for k, (title, trace) in enumerate(traces.items()):
            top = 1 - (0.5 + k * panel_in) / h
            ax = fig.add_axes((0.12, top - (panel_in - 0.62) / h, 0.84, (panel_in - 0.75) / h))
            raft_logs(trace, time=t, servers=names, ax=ax, last=last, commands=commands)
            ax.set_xlabel("")
            ax.set_title(title, loc="left", fontsize=9.5)

    return animate(draw, len(times), figsize=(w, h), dpi=dpi, interval_ms=interval_ms,
                   layout="fixed", alt="Raft logs, step by step")


# =============================================================================================
# The state diagram (Figure 4), counted from traces
# =============================================================================================
#: Figure 4's transitions and the rule that causes each (§5.1, §5.2).
TRANSITION_RULES = {
    ("start", "follower"): "starts up",
    ("follower", "candidate"): "times out,\nstarts election",
    ("candidate", "candidate"): "times out,\nnew election",
    ("candidate", "leader"): "receives votes from\na majority of servers",
    ("candidate", "follower"): "discovers current leader\nor a new term",
    ("leader", "follower"): "discovers a server\nwith a higher term",
}


def role_transitions(sources: Any) -> Counter:
    """How often each ``(from_role, to_role)`` transition occurs in the traces of
    ``sources`` (one run or a list of runs); a (re)start counts as ``("start",
    "follower")``."""
    if not isinstance(sources, (list, tuple)):
        sources = [sources]
    counts: Counter = Counter()
    for src in sources:
        last: dict[str, str] = {}
        for e in _source(src).events:
            if e.kind == "crash":
                last.pop(e.node, None)
            elif e.kind == "output" and e.info == "role":
                role = e.msg[0]
                counts[(last.get(e.node, "start"), role)] += 1
                last[e.node] = role
    return counts


def role_diagram(sources: Any = None, *, counts: Counter | None = None, ax: Axes | None = None,
                 title: str | None = None) -> Axes:
    """Follower, candidate and leader, with Figure 4's transitions; each labelled with
    its rule and, given runs (or ``counts`` from ``role_transitions``), how many times
    the runs took it."""
    if counts is None and sources is not None:
        counts = role_transitions(sources)
    if ax is None:
        _, ax = plt.subplots(figsize=(9.0, 3.2))
    pos = {"follower": (0.0, 0.0), "candidate": (3.0, 0.0), "leader": (6.0, 0.0)}
    for role, (x, y) in pos.items():
        ax.add_patch(Rectangle((x - 0.7, y - 0.28), 1.4, 0.56, facecolor=ROLE_COLORS[role],
                               edgecolor=NODE_LINE, lw=1.0, zorder=3))
        ax.text(x, y, role, ha="center", va="center", fontsize=10, zorder=4,
                color="white" if role == "leader" else "black")

    def label(key: tuple[str, str]) -> str:
        text = TRANSITION_RULES[key]
        if counts is not None:
            text += f"\n×{counts.get(key, 0)}"
        return text

    def arrow(p0, p1, rad, key, tx, ty):
        ax.add_patch(FancyArrowPatch(p0, p1, connectionstyle=f"arc3,rad={rad}",
                                     arrowstyle="-|>", mutation_scale=12, lw=1.1,
                                     color=NODE_LINE, zorder=2))
        ax.text(tx, ty, label(key), ha="center", va="center", fontsize=8, zorder=5,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))

    arrow((-1.9, 0.0), (-0.72, 0.0), 0.0, ("start", "follower"), -1.45, 0.42)
    arrow((0.72, 0.1), (2.28, 0.1), -0.35, ("follower", "candidate"), 1.5, 0.78)
    arrow((2.28, -0.1), (0.72, -0.1), -0.35, ("candidate", "follower"), 1.5, -0.72)
    arrow((3.72, 0.1), (5.28, 0.1), -0.35, ("candidate", "leader"), 4.5, 0.78)
    arrow((6.0, -0.3), (0.0, -0.3), -0.3, ("leader", "follower"), 3.0, -1.62)
    arrow((2.75, 0.3), (3.25, 0.3), -2.2, ("candidate", "candidate"), 3.0, 1.4)
    ax.set_xlim(-2.0, 6.9)
    ax.set_ylim(-2.1, 1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, loc="left")
    return ax


# =============================================================================================
# Failure reports: the picture around a violation
# =============================================================================================
def violation_figure(source: Any, finding: Any = None, *, time: float | None = None,
                     before: float = 400.0, after: float = 40.0, messages_before: float = 120.0,
                     servers: Sequence[str] | None = None, clients: bool = False,
                     heartbeats: bool = False,
                     figsize: tuple[float, float] | None = None) -> Figure:
    """Three panels around a violation: the roles over the last ``before`` time units,
    the space-time diagram of the last ``messages_before`` (Raft's labels; heartbeats
    hidden and only the servers' rows unless ``clients``) and the logs at that moment.

    ``finding`` is a ``distlab.raft.Finding``, a ``distlab.chaos.Violation`` (the
    ``t=...`` in its detail is used) or anything with a ``time``; or give ``time``."""
    import re

    trace = _source(source)
    if time is None:
        time = getattr(finding, "time", None)
    if time is None and finding is not None:
        found = re.search(r"t=([0-9.]+)", str(finding))
        time = float(found.group(1)) if found else None
    if time is None:
        raise ValueError("give the violation's time, or a finding that has one")
    names = list(servers) if servers is not None else servers_of(trace)
    others = [n for n in _node_order(source, trace) if n not in names] if clients else []
    rows = len(names)
    st_rows = rows + len(others)
    fig = plt.figure(figsize=figsize or (10.0, 0.36 * rows + 0.45 * st_rows + 0.4 * rows + 3.6))
    grid = fig.add_gridspec(3, 1, height_ratios=[0.36 * rows + 0.6, 0.45 * st_rows + 0.9,
                                                 0.4 * rows + 0.9])
    a1, a2, a3 = (fig.add_subplot(grid[k]) for k in range(3))
    raft_timeline(trace, servers=names, start=max(0.0, time - before), end=time + after, ax=a1)
    a1.axvline(time, color=CRASH_COLOR, lw=1.2)
    a1.set_xlabel("")
    head = str(finding) if finding is not None else f"t = {time:g}"
    a1.set_title(head if len(head) < 120 else head[:117] + "…", loc="left", fontsize=9)
    raft_spacetime(trace, heartbeats=heartbeats, nodes=names + others,
                   start=max(0.0, time - messages_before), end=time + after, ax=a2,
                   title="the messages just before"
                         + (" (heartbeats hidden)" if not heartbeats else ""))
    a2.axvline(time, color=CRASH_COLOR, lw=1.2)
    raft_logs(trace, time=time, servers=names, ax=a3, title=f"the logs at t = {time:g}")
    return fig


def replay_scenario(name: str, server_class: type | None = None, seed: int = 0) -> Any:
    """Run scenario ``name`` of ``distlab.raft.SUITE`` again and return its (last)
    ``Cluster``, even if the story failed: the trace for ``violation_figure``.
    (``run_scenario`` reports a failure but does not return the cluster.)"""
    from ..raft import scenarios
    from ..raft.server import RaftServer
    from ..sim import NodeError

    if name not in scenarios.SUITE:
        raise ValueError(f"unknown scenario {name!r}; scenarios: {', '.join(scenarios.SUITE)}")
    cls = RaftServer if server_class is None else server_class
    if not (isinstance(cls, type) and issubclass(cls, RaftServer)):
        raise TypeError(f"server_class must be RaftServer or a subclass, got {server_class!r}")
    made: list = []
    scenarios._made = made      # the hook run_scenario uses to keep its clusters
    try:
        scenarios.SUITE[name].run(server_class=cls, seed=seed)
    except (scenarios.ScenarioFailure, NodeError):
        pass
    finally:
        scenarios._made = None
    if not made:
        raise RuntimeError(f"scenario {name!r} made no cluster")
    return made[-1]
