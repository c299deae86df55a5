"""Pictures for the distributed-counter project (notebook 1.5), drawn from traces.

- ``counter_label``: short arrow labels for the counter's messages (``get``, ``=3``,
  ``put 4``, ``+1``, ``ack``, a gossiped state ...), for ``spacetime(label=...)``;
- ``mark_lost``: draws the writes of lost increments in red on a space-time diagram;
- ``values_over_time``: each replica's reported value against the acknowledged total,
  with partitions shaded and crashes marked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from ..counter.client import Ack, Decrement, Increment, Refused
from ..counter.checks import SIGN
from ..counter.gossip import Gossip
from ..counter.naive import Get, Put, PutOk, Value
from ..counter.oplog import Update, UpdateAck
from ..sim import Simulation
from .style import CRASH_COLOR, PALETTE, PARTITION_FILL

__all__ = ["counter_label", "mark_lost", "values_over_time"]


def counter_label(msg: Any, width: int = 16) -> str | None:
    """A short label for a counter message (``None`` for messages not worth a label)."""
    if isinstance(msg, Get):
        text = "get"
    elif isinstance(msg, Value):
        text = f"={msg.value}"
    elif isinstance(msg, Put):
        text = f"put {msg.value}"
    elif isinstance(msg, PutOk):
        text = "ok"
    elif isinstance(msg, Increment):
        text = f"+{msg.amount}"
    elif isinstance(msg, Decrement):
        text = f"-{msg.amount}"
    elif isinstance(msg, (Ack, UpdateAck)):
        text = "ack"
    elif isinstance(msg, Refused):
        text = "refused"
    elif isinstance(msg, Update):
        text = str(msg.entry)
    elif isinstance(msg, Gossip):
        text = str(msg.state)
    else:
        text = type(msg).__name__
    return text if len(text) <= width else text[: width - 1] + "…"


def mark_lost(ax: Axes, sim: Simulation, lost: Iterable[str], *,
              nodes: Sequence[str] | None = None) -> None:
    """Redraw, in red and thick, the ``Put`` of each lost operation on a spacetime ``ax``."""
    if not isinstance(sim, Simulation):
        raise TypeError(f"sim must be a distlab.sim.Simulation, got {type(sim).__name__}")
    if isinstance(lost, str):
        raise TypeError("lost must be a list of operation names such as ['c1.1'], "
                        "not a string")
    lost = set(lost)
    order = list(nodes) if nodes is not None else list(sim.node_ids)
    row = {n: i for i, n in enumerate(order)}
    delivered = {e.msg_id: e for e in sim.trace.of_kind("deliver")}
    for s in sim.trace.of_kind("send"):
        if isinstance(s.msg, Put) and s.msg.op in lost and s.msg_id in delivered:
            d = delivered[s.msg_id]
            if s.node not in row or d.node not in row:
                continue
            ax.annotate("", xy=(d.time, row[d.node]), xytext=(s.time, row[s.node]), zorder=4.5,
                        arrowprops=dict(arrowstyle="-|>", color=CRASH_COLOR, lw=2.4,
                                        shrinkA=0, shrinkB=0, mutation_scale=12))
            # the label sits at the sender, on the side away from the server
            below = row[s.node] > row[d.node]
            ax.text(s.time, row[s.node] + (0.2 if below else -0.2), f"{s.msg.op} lost",
                    color=CRASH_COLOR, fontsize=8, ha="center", va="top" if below else "bottom",
                    zorder=8, bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none",
                                        alpha=0.9))


def values_over_time(sim: Simulation, replicas: Sequence[str], *, ax: Axes | None = None,
                     end: float | None = None, title: str | None = None,
                     legend: bool = True) -> Axes:
    """Each replica's reported ``value`` (steps) and the acknowledged total (dashed).

    Reads only the trace (``value`` outputs, crashes, partitions) and the history.
    """
    if not isinstance(sim, Simulation):
        raise TypeError(f"sim must be a distlab.sim.Simulation, got {type(sim).__name__}")
    if isinstance(replicas, str):
        raise TypeError("replicas must be a list of node ids such as ['r1', 'r2'], "
                        "not a string")
    for r in replicas:
        if r not in sim.node_ids:
            raise ValueError(f"replicas: {r!r} is not a node of this simulation")
    if ax is None:
        _, ax = plt.subplots(figsize=(8.0, 3.0))
    events = sim.trace.events
    end = max(sim.now, 1.0) if end is None else end
    # partitions, shaded
    opened: float | None = None
    for e in events:
        if e.kind == "partition" and opened is None:
            opened = e.time
        elif e.kind == "heal" and opened is not None:
            ax.axvspan(opened, e.time, color=PARTITION_FILL, lw=0, zorder=0)
            opened = None
    if opened is not None:
        ax.axvspan(opened, end, color=PARTITION_FILL, lw=0, zorder=0)
    # the acknowledged total
    t, total = [0.0], [0]
    for h in sim.history.events:
        if h.type == "ok" and h.f in SIGN:
            t.append(h.time)
            total.append(total[-1] + SIGN[h.f] * h.value)
    t.append(end)
    total.append(total[-1])
    ax.step(t, total, where="post", color="black", lw=1.4, ls=(0, (4, 2)),
            label="acknowledged", zorder=5)
    # each replica's value; nothing drawn while it is down
    for i, r in enumerate(replicas):
        color = PALETTE[i % len(PALETTE)]
        xs: list[float] = []
        ys: list[float] = []
        up = False
        current = 0
        for e in events:
            if e.node != r:
                continue
            if e.kind == "crash" and up:
                xs.append(e.time)
                ys.append(current)
                ax.step(xs, ys, where="post", color=color, lw=1.6, zorder=3 + 0.1 * i)
                ax.plot([e.time], [current], marker="X", ms=8, color=CRASH_COLOR, zorder=6)
                xs, ys, up = [], [], False
            elif e.kind == "output" and e.info == "value":
                current = e.msg
                xs.append(e.time)
                ys.append(current)
                up = True
        if up:
            xs.append(end)
            ys.append(current)
        ax.step(xs, ys, where="post", color=color, lw=1.6, zorder=3 + 0.1 * i,
                label=f"{r}")
    ax.set_xlim(0, end)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("time")
    ax.set_ylabel("counter value")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax
