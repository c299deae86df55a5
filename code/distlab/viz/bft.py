"""Pictures for notebook 2.5 (Byzantine fault tolerance).

- ``generals_diagram``: a run of OM(m) as a space-time diagram, each order coloured by
  the value it carries, each loyal lieutenant's decision written at the end;
- ``quorum_picture``: two quorums and their intersection, with ``n = 3f`` and
  ``n = 3f+1``;
- ``pbft_label`` and ``pbft_diagram``: PBFT runs with the phases named on the arrows
  and executions, view changes and accepted results marked;
- ``replica_table`` and ``animate_pbft``: a step-through animation whose frames show
  the diagram so far and each replica's view, prepared and committed sequence numbers
  and executed log (the static twin of the notebook's explorer).

Everything is drawn from the trace and from ``Node.state()`` snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from ..pbft.messages import (Checkpoint, Commit, FetchState, NewView, Order, Prepare,
                             PrePrepare, Reply, Request, StateTransfer, ViewChange,
                             describe_op)
from ..pbft.generals import ROUND as ROUND_LENGTH
from ..pbft.generals import TraitorGeneral
from ..sim import Simulation
from ..sim.trace import TraceEvent
from .animation import Animation, animate
from .spacetime import spacetime
from .style import CRASH_COLOR, PALETTE

__all__ = ["generals_diagram", "quorum_picture", "pbft_label", "pbft_outputs", "TYPE_COLORS",
           "pbft_diagram", "mark_phases", "table_text", "replica_table", "animate_pbft"]

VALUE_COLORS = {"attack": "#D55E00", "retreat": "#0072B2"}


def generals_diagram(sim: Simulation, *, ax: Axes | None = None,
                     title: str | None = None) -> Axes:
    """A run of OM(m): one row per general (traitors in red), one arrow per oral
    message coloured by the value it carries (attack orange, retreat blue), dashed
    lines between rounds, and each loyal lieutenant's decision at the right."""
    nodes = list(sim.node_ids)
    row = {n: i for i, n in enumerate(nodes)}
    traitors = {n for n in nodes if isinstance(sim.nodes.get(n), TraitorGeneral)}
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 0.5 * len(nodes) + 1.2))
    end = max((e.time for e in sim.trace.events), default=1.0)
    for n in nodes:
        ax.plot([0, end], [row[n], row[n]], color="#424242", lw=1.0, zorder=1)
    rounds = int(round(end / ROUND_LENGTH))
    for k in range(1, rounds + 1):
        ax.axvline(k * ROUND_LENGTH, color="#bdbdbd", lw=0.8, ls="--", zorder=0)
    for rec in sim.trace.messages():
        if not isinstance(rec.msg, Order) or not rec.deliver_times:
            continue
        c = VALUE_COLORS.get(rec.msg.value, "#616161")
        t1 = rec.deliver_times[0]
        ax.annotate("", xy=(t1, row[rec.dst]), xytext=(rec.send_time, row[rec.src]),
                    arrowprops=dict(arrowstyle="-|>", color=c, lw=1.1, shrinkA=2, shrinkB=2,
                                    mutation_scale=8), zorder=3)
    for e in sim.trace.outputs("decide"):
        ax.text(e.time + 0.08, row[e.node], f"decides {e.msg}", va="center", fontsize=8.5,
                color=VALUE_COLORS.get(e.msg, "#212121"), fontweight="bold")
    ax.set_yticks(range(len(nodes)))
    ax.set_yticklabels([f"{n} (traitor)" if n in traitors else n for n in nodes])
    for label in ax.get_yticklabels():
        if label.get_text().endswith("(traitor)"):
            label.set_color(CRASH_COLOR)
    ax.set_ylim(len(nodes) - 0.5, -0.7)
    ax.set_xlim(-0.1, end + 1.6)
    ax.set_xticks([k * ROUND_LENGTH for k in range(rounds + 1)])
    ax.set_xlabel("time (a round lasts 2; messages take 1)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = [Line2D([0], [0], color=c, lw=2) for c in VALUE_COLORS.values()]
    ax.legend(handles, list(VALUE_COLORS), loc="lower left", bbox_to_anchor=(0.0, 1.0),
              ncol=2, fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10, loc="right")
    return ax


def quorum_picture(f: int = 1, *, fig: Figure | None = None) -> Figure:
    """Two panels: ``n = 3f`` replicas with quorums of ``2f`` (the intersection may be
    all Byzantine) and ``n = 3f+1`` with quorums of ``2f+1`` (it always holds an honest
    replica)."""
    if isinstance(f, bool) or not isinstance(f, int) or not 1 <= f <= 3:
        raise ValueError(f"f must be 1, 2 or 3 (a picture), got {f!r}")
    if fig is None:
        fig = plt.figure(figsize=(8.6, 2.6))
    axes = fig.subplots(1, 2)
    for ax, n, q in ((axes[0], 3 * f, 2 * f), (axes[1], 3 * f + 1, 2 * f + 1)):
        ax.set_xlim(-0.8, n - 0.2)
        ax.set_ylim(-1.5, 1.6)
        ax.axis("off")
        inter = range(n - q, q)                      # the replicas both quorums hold
        byz = set(list(inter)[:f])                   # put the f traitors where they hurt
        for i in range(n):
            color = CRASH_COLOR if i in byz else ("#2e7d32" if i in inter else "#616161")
            ax.plot(i, 0, "o", ms=17, color=color, zorder=3)
            ax.text(i, 0, f"r{i}", color="white", ha="center", va="center", fontsize=8,
                    zorder=4, fontweight="bold")
        for (lo, hi), (y0, y1), name, c in (((0, q - 1), (-0.32, 0.62), "quorum A", PALETTE[0]),
                                            ((n - q, n - 1), (-0.62, 0.32), "quorum B",
                                             PALETTE[1])):
            ax.add_patch(FancyBboxPatch((lo - 0.38, y0), hi - lo + 0.76, y1 - y0,
                                        boxstyle="round,pad=0.02,rounding_size=0.2",
                                        fc=c, alpha=0.18, ec=c, lw=1.4, zorder=1))
            ax.text(lo - 0.36, y1 + 0.12 if y1 > 0.5 else y0 - 0.12, f"{name}: {q} replicas",
                    color=c, fontsize=8.5, va="bottom" if y1 > 0.5 else "top")
        honest = len(inter) - len(byz)
        ax.set_title(f"n = {n}, quorums of {q}: they share {len(inter)} replica"
                     f"{'s' if len(inter) != 1 else ''}, {honest} honest", fontsize=9.5,
                     loc="left", color="#2e7d32" if honest else CRASH_COLOR)
    fig.text(0.01, 0.02, "red: Byzantine (f = %d)   green: honest and in both quorums" % f,
             fontsize=8, color="#424242")
    return fig


def pbft_label(msg: Any) -> str | None:
    """A short label for a PBFT message on a diagram."""
    if isinstance(msg, Request):
        return describe_op(msg.op)
    if isinstance(msg, PrePrepare):
        return f"pre-prepare n={msg.seq}"
    if isinstance(msg, Prepare):
        return "prepare"
    if isinstance(msg, Commit):
        return "commit"
    if isinstance(msg, Reply):
        return f"reply {msg.result!r}"
    if isinstance(msg, Checkpoint):
        return f"checkpoint {msg.seq}"
    if isinstance(msg, ViewChange):
        return f"view-change v={msg.view}"
    if isinstance(msg, NewView):
        return f"new-view v={msg.view}"
    if isinstance(msg, FetchState):
        return "fetch"
    if isinstance(msg, StateTransfer):
        return f"state ≤{msg.snapshot.seq}"
    if isinstance(msg, Order):
        return msg.value
    return None


def pbft_outputs(event: TraceEvent) -> str | None:
    """Labels for PBFT's outputs: ``exec n``, ``view v``, ``accept``, ``state ≤n``."""
    if event.info == "execute":
        return f"exec {event.msg.seq}"
    if event.info == "view":
        return f"view {event.msg}"
    if event.info == "accept":
        return "accept"
    if event.info == "install":
        return f"state ≤{event.msg[0]}"
    return None


#: One colour per message type, the same in every PBFT figure.
TYPE_COLORS = {"Request": "#0072B2", "PrePrepare": "#D55E00", "Prepare": "#009E73",
               "Commit": "#CC79A7", "Reply": "#E69F00", "Checkpoint": "#56B4E9",
               "ViewChange": "#b2182b", "NewView": "#000000", "FetchState": "#999999",
               "StateTransfer": "#8c510a", "Order": "#616161"}


def pbft_diagram(source: Any, *, ax: Axes | None = None, labels: bool | str = "first",
                 **kwargs: Any) -> Axes:
    """A space-time diagram of a PBFT run, outputs marked (``exec n``, ``view v``, ...),
    each message type in its colour (``TYPE_COLORS``).

    ``labels``: ``"first"`` names only the first arrow with each label (one
    ``pre-prepare n=1`` for the three copies), ``True`` every arrow, ``False`` none.
    """
    if labels not in (True, False, "first"):
        raise ValueError(f"labels must be True, False or 'first', got {labels!r}")
    kwargs.setdefault("outputs", pbft_outputs)
    kwargs.setdefault("max_labels", 40)
    label: Callable[[Any], str | None] | None = pbft_label if labels else None
    if labels == "first":
        seen: set[str] = set()

        def label(msg: Any) -> str | None:
            text = pbft_label(msg)
            if text is None or text in seen:
                return None
            seen.add(text)
            return text
    kwargs.setdefault("colors", TYPE_COLORS)
    return spacetime(source, ax=ax, label=label, **kwargs)


def mark_phases(ax: Axes, phases: Sequence[tuple[float, float, str]]) -> None:
    """Name the phases of a run above the diagram: ``[(start, end, name), ...]``."""
    for i, (t0, t1, name) in enumerate(phases):
        ax.axvspan(t0, t1, color="#eeeeee" if i % 2 == 0 else "#f8f8f8", zorder=0, lw=0)
        ax.text((t0 + t1) / 2, -0.75, name, ha="center", va="bottom", fontsize=8.5,
                color="#424242")


def table_text(states: Mapping[str, Any],
               fields: Sequence[str] = ("view", "h", "prepared", "committed", "executed"),
               width: int = 40) -> str:
    """``{replica: state dict}`` as an aligned monospace table (one string)."""
    rows = [["replica", *fields]]
    for n, st in states.items():
        if st is None:
            rows.append([n, "(crashed)"] + [""] * (len(fields) - 1))
            continue
        name = n + ("*" if st.get("Byzantine") else "")
        cells = []
        for f in fields:
            text = str(st.get(f, ""))
            cells.append(text if len(text) <= width else "…" + text[-(width - 1):])
        rows.append([name, *cells])
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if any(st and st.get("Byzantine") for st in states.values()):
        lines.append("* Byzantine: what its honest core believes, not what it says")
    return "\n".join(lines)


def replica_table(ax: Axes, states: Mapping[str, Any],
                  fields: Sequence[str] = ("view", "h", "prepared", "committed", "executed"),
                  width: int = 40) -> None:
    """Draw ``{replica: state dict}`` as a table (crashed replicas say so)."""
    ax.axis("off")
    ax.text(0.0, 1.0, table_text(states, fields, width), family="monospace", fontsize=8,
            va="top", ha="left", transform=ax.transAxes, color="#212121")


def animate_pbft(sim: Simulation, frames: Sequence[tuple[float, Mapping[str, Any]]], *,
                 captions: Sequence[str] | Callable[[float], str] | None = None,
                 nodes: Sequence[str] | None = None, start: float = 0.0,
                 end: float | None = None, labels: bool | str = "first",
                 figsize: tuple[float, float] = (9.0, 4.6), dpi: int = 80) -> Animation:
    """Step through a finished PBFT run: at each recorded frame ``(t, states)`` (from
    ``sim.run_recording``), the diagram up to ``t`` above and the replicas' states below.
    Replicas are the nodes whose state has a ``view``; others are left out of the table."""
    if not frames:
        raise ValueError("frames must hold at least one (time, states) pair")
    end = max(t for t, _ in frames) if end is None else end
    shown = list(nodes) if nodes is not None else list(sim.node_ids)

    def draw(fig: Figure, i: int) -> None:
        t, states = frames[i]
        top = fig.add_axes((0.07, 0.37, 0.75, 0.56))
        pbft_diagram(sim, ax=top, nodes=shown, start=start, end=end, now=t, labels=labels,
                     legend=True)
        text = captions(t) if callable(captions) else (captions[i] if captions else
                                                         f"t = {t:g}")
        top.set_title(text, fontsize=9.5, loc="left")
        replicas = {n: s for n, s in states.items()
                    if s is None or (isinstance(s, Mapping) and "view" in s and "h" in s)}
        fig.text(0.03, 0.25, table_text(replicas), family="monospace", fontsize=8,
                 va="top", ha="left", color="#212121")

    return animate(draw, len(frames), figsize=figsize, dpi=dpi, layout="fixed",
                   alt="PBFT, step by step")
