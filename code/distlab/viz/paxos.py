"""Pictures for notebook 2.4 (Paxos): arrow and output labels for space-time diagrams,
a ballot timeline for duelling proposers, and a grid of the replicated log.

Everything here reads the trace (sends, ``ballot`` and ``decide`` outputs); nothing
reaches into a node's memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from ..paxos.checks import decided_logs
from ..paxos.messages import (NOOP, Accept, Accepted, BeatOk, Chosen, Command, Decide,
                              Heartbeat, LeaderBeat, Nack, NotLeader, P1a, P1b, P2a, P2b,
                              Prepare, Promise, Query, Reject, Reply, Request)
from ..sim import Simulation, Trace
from ..sim.trace import TraceEvent
from .animation import Animation, animate
from .spacetime import spacetime
from .style import CRASH_COLOR, PALETTE

__all__ = ["paxos_label", "paxos_outputs", "paxos_colors", "ballot_timeline", "log_grid",
           "short_command", "round_animation"]


def short_command(command: Command) -> str:
    """``c1#2 x+=a`` style, short enough for a grid cell; ``noop`` for no-ops."""
    if command == NOOP:
        return "noop"
    f, arg = command.op
    if f == "get":
        body = f"get {arg}"
    elif f == "put":
        body = f"{arg[0]}={str(arg[1]).strip()}"
    else:
        body = f"{arg[0]}+={str(arg[1]).strip()}"
    return f"{command.client}#{command.req} {body}"


def _value(v: Any) -> str:
    return v if isinstance(v, str) else repr(v)


def paxos_label(msg: Any) -> str | None:
    """Short arrow labels: ``1a 2.p1``, ``1b 2.p1 (1.p2,Y)``, ``2a 2.p1=Y``, ``2b``."""
    if isinstance(msg, Prepare):
        return f"1a {msg.ballot}"
    if isinstance(msg, Promise):
        extra = "" if msg.accepted.round == 0 else f" ({msg.accepted},{_value(msg.value)})"
        return f"1b{extra}"
    if isinstance(msg, Accept):
        return f"2a {msg.ballot}={_value(msg.value)}"
    if isinstance(msg, Accepted):
        return None                      # many arrows: the colour says it
    if isinstance(msg, Nack):
        return f"nack {msg.promised}"
    if isinstance(msg, Chosen):
        return f"chosen {_value(msg.value)}"
    if isinstance(msg, Query):
        return "?"
    if isinstance(msg, Heartbeat | LeaderBeat | BeatOk):
        return None
    if isinstance(msg, P1a):
        return f"1a {msg.ballot}"
    if isinstance(msg, P1b):
        return f"1b ({len(msg.accepted)})" if msg.accepted else "1b"
    if isinstance(msg, P2a):
        return f"2a s{msg.slot}"
    if isinstance(msg, P2b):
        return None
    if isinstance(msg, Decide):
        return None
    if isinstance(msg, Reject):
        return f"reject {msg.promised}"
    if isinstance(msg, Request):
        return short_command(msg.command)
    if isinstance(msg, Reply):
        return f"#{msg.req} ok"
    if isinstance(msg, NotLeader):
        return f"→{msg.leader}" if msg.leader else "no leader"
    return type(msg).__name__


#: Names for the legend: the phases, not the class names.
_PHASE = {"Prepare": "1a Prepare", "Promise": "1b Promise", "Accept": "2a Accept",
          "Accepted": "2b Accepted", "Nack": "Nack", "Chosen": "Chosen", "Query": "Query",
          "Heartbeat": "Heartbeat", "P1a": "1a Prepare", "P1b": "1b Promise",
          "P2a": "2a Accept", "P2b": "2b Accepted", "Decide": "Decide",
          "Reject": "Reject", "LeaderBeat": "heartbeat", "BeatOk": "heartbeat",
          "Request": "client", "Reply": "client", "NotLeader": "client"}


def paxos_colors(msg: Any) -> str:
    """``color_by`` for ``spacetime``: one legend entry per phase (``P1a`` and
    ``Prepare`` are both "1a Prepare"), client messages together."""
    return _PHASE.get(type(msg).__name__, type(msg).__name__)


def paxos_outputs(event: TraceEvent) -> str | None:
    """Output labels: ``learn X`` for single-decree, ``s3`` for a slot; skip the rest."""
    if event.info != "decide":
        return None
    if isinstance(event.msg, tuple) and len(event.msg) == 2 and isinstance(event.msg[1], Command):
        return f"s{event.msg[0]}"
    return f"learn {_value(event.msg)}"


def _trace(source: Any) -> Trace:
    return source.trace if isinstance(source, Simulation) else source


def ballot_timeline(source: Any, *, ax: Axes | None = None, end: float | None = None,
                    title: str | None = None) -> Axes:
    """Each proposer's ballots (round against time) and the first decision.

    A duel shows as two staircases climbing past each other with no decision.
    """
    trace = _trace(source)
    ballots = trace.outputs("ballot")
    decides = trace.outputs("decide")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.0))
    proposers = sorted({e.node for e in ballots})
    for i, p in enumerate(proposers):
        mine = [e for e in ballots if e.node == p]
        ax.step([e.time for e in mine], [e.msg.round for e in mine], where="post",
                color=PALETTE[i % len(PALETTE)], lw=1.2, alpha=0.6)
        ax.plot([e.time for e in mine], [e.msg.round for e in mine], "o", ms=4,
                color=PALETTE[i % len(PALETTE)],
                label=f"{p}: {len(mine)} ballot{'s' if len(mine) != 1 else ''}")
    last = end if end is not None else max((e.time for e in trace.events), default=1.0)
    if decides:
        first = min(decides, key=lambda e: e.time)
        ax.axvline(first.time, color="#6a1b9a", lw=1.2, ls="--")
        ax.text(first.time, 0.97, f" decided at t={first.time:.0f}",
                transform=ax.get_xaxis_transform(), color="#6a1b9a", fontsize=8,
                va="top", ha="left")
    else:
        ax.text(0.03, 0.95, "no decision", transform=ax.transAxes, ha="left", va="top",
                color="#c62828", fontsize=9)
    ax.set_xlim(0, last)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time")
    ax.set_ylabel("ballot round")
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax


def log_grid(source: Any, nodes: Sequence[str] | None = None, *, ax: Axes | None = None,
             slots: int | None = None, title: str | None = None,
             notes: Mapping[tuple[str, int], str] | None = None) -> Axes:
    """The learned log of each server, one row per node and one column per slot.

    Read from ``decide`` outputs. A cell is coloured by the client whose command it
    holds; no-ops are grey and hatched; a blank cell is a slot the node has not learned.
    ``notes`` puts a small remark under a cell.
    """
    trace = _trace(source)
    if nodes is None:
        nodes = sorted({e.node for e in trace.outputs("decide")})
    logs = decided_logs(trace, nodes)
    width = slots if slots is not None else max(
        (max(log, default=-1) for log in logs.values()), default=-1) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.05 * width + 1.2), 0.55 * len(nodes) + 1.0))
    clients: dict[str, str] = {}
    for r, node in enumerate(nodes):
        for s in range(width):
            cmd = logs[node].get(s)
            if cmd is None:
                face, text, hatch = "white", "", None
            elif cmd == NOOP:
                face, text, hatch = "#e0e0e0", "noop", "///"
            else:
                if cmd.client not in clients:
                    clients[cmd.client] = PALETTE[len(clients) % len(PALETTE)]
                face, text, hatch = clients[cmd.client], short_command(cmd), None
            ax.add_patch(Rectangle((s, r), 0.96, 0.9, facecolor=face, edgecolor="#9e9e9e",
                                   hatch=hatch, lw=0.8, alpha=0.35 if face not in
                                   ("white", "#e0e0e0") else 1.0))
            if text:
                ax.text(s + 0.48, r + 0.45, text.replace(" ", "\n", 1), ha="center",
                        va="center", fontsize=7)
            if notes and (node, s) in notes:
                ax.text(s + 0.48, r + 0.86, notes[(node, s)], ha="center", va="bottom",
                        fontsize=6.5, color="#c62828")
    ax.set_xlim(-0.05, width)
    ax.set_ylim(len(nodes), -0.1)
    ax.set_xticks([s + 0.48 for s in range(width)], [str(s) for s in range(width)])
    ax.set_yticks([r + 0.45 for r in range(len(nodes))], list(nodes))
    ax.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("slot")
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax


def _cells(state: Mapping[str, Any] | None) -> tuple[str, str, str]:
    """(ballot, accepted, learned) for a ``SynodNode.state()`` (``None``: crashed)."""
    if state is None:
        return ("crashed", "", "")
    if "promised" in state:
        ballot = str(state["promised"])
        accepted = str(state.get("accepted", "")).replace(" ", "").replace("'", "")
    else:
        ballot = f"{state.get('ballot', '')}" + {"1 (prepare)": " 1a", "2 (accept)": " 2a"}.get(
            str(state.get("phase", "")), "")
        accepted = ""
    learned = str(state.get("decided", "—")).replace("'", "")
    return ballot, accepted, learned


def round_animation(sim: Simulation, *, times: Sequence[float],
                    states: Sequence[tuple[float, Mapping[str, Any]]],
                    captions: Sequence[str], nodes: Sequence[str] | None = None,
                    dpi: int = 80, **spacetime_kwargs: Any) -> Animation:
    """Step through a single-decree run: the space-time diagram up to each time, and a
    table beside it, row by row with the diagram, of each node's ballot (a proposer's
    current ballot and phase, an acceptor's promise), accepted proposal and learned
    value. ``states`` come from ``sim.run_recording(..., state=lambda n: n.state())``.
    The static twin of notebook 2.4's ballot explorer.
    """
    if len(times) != len(captions):
        raise ValueError(f"times and captions must have the same length, got "
                         f"{len(times)} and {len(captions)}")
    if not states:
        raise ValueError("states must hold the frames of sim.run_recording(...)")
    rows = list(nodes) if nodes is not None else list(sim.node_ids)
    end = max(max(times), max((e.time for e in sim.trace.events), default=1.0))
    height = 0.5 * len(rows) + 1.5
    bottom, top = 0.5 / height, 1.0 - 0.45 / height
    columns = (("ballot", 0.0), ("accepted", 0.36), ("learned", 0.74))

    def draw(fig, i: int) -> None:
        t = times[i]
        ax = fig.add_axes((0.06, bottom, 0.6, top - bottom))
        spacetime(sim, ax=ax, nodes=rows, start=0.0, end=end, now=t, legend=True,
                  **spacetime_kwargs)
        ax.set_title(captions[i], fontsize=9.5, loc="left")
        # The table: one row per node, level with the node's line in the diagram; it
        # reaches lower than the diagram, to hold the diagram's legend.
        low = 0.03
        side = fig.add_axes((0.68, low, 0.31, top - low))
        per_unit = (top - bottom) / (len(rows) + 0.45)
        side.set_ylim(len(rows) - 0.5 + (bottom - low) / per_unit, -0.95)
        side.set_xlim(0, 1)
        side.axis("off")
        legend = ax.get_legend()
        if legend is not None:
            handles = list(getattr(legend, "legend_handles", None) or legend.legendHandles)
            labels = [text.get_text() for text in legend.get_texts()]
            legend.remove()
            side.legend(handles, labels, loc="lower left", ncol=3, fontsize=7,
                        frameon=False, handlelength=1.2, columnspacing=0.8,
                        borderaxespad=0.0)
        current = states[0][1]
        for ts, st in states:
            if ts <= t + 1e-9:
                current = st
        for name, x in columns:
            side.text(x, -0.7, name, fontsize=8, fontweight="bold", va="center")
        for r, node in enumerate(rows):
            cells = _cells(current.get(node))
            for (_, x), text in zip(columns, cells):
                side.text(x, r, text, fontsize=8, family="monospace", va="center",
                          color=CRASH_COLOR if text == "crashed" else "#212121")

    return animate(draw, len(times), figsize=(9.0, height), dpi=dpi, layout="fixed",
                   alt="step-through animation of a Paxos run")
