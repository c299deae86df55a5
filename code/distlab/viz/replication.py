"""Pictures for replication (notebook 2.9): the four strategies at a glance, and labels
for the replication messages on space-time diagrams."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from ..replication.chain import Ack, Forward, Ping, Pong
from ..replication.gossip import CartAdd, CartOk, CartRead, CartRemove, Gossip
from ..replication.clients import (Append, AppendOk, Get, GetOk, Put, PutOk, Read, ReadOk,
                                   Redirect, Unavailable)
from ..replication.primary_backup import NotPrimary, Replicate, ReplicateOk
from ..replication.quorum import ReplicaRead, ReplicaReadOk, ReplicaWrite, ReplicaWriteOk
from .style import PALETTE

__all__ = ["strategies", "replication_label"]


def replication_label(msg: Any) -> str | None:
    """Short arrow labels for the messages of ``distlab.replication``."""
    if isinstance(msg, Append):
        return f"append {msg.value}"
    if isinstance(msg, AppendOk):
        return "ok"
    if isinstance(msg, Read):
        return "read"
    if isinstance(msg, ReadOk):
        return str(list(msg.values))
    if isinstance(msg, Redirect):
        return f"→{msg.to}"
    if isinstance(msg, Replicate):     # heartbeats (no entries) stay unlabelled
        return None if not msg.entries else "+" + ",".join(str(e.value) for e in msg.entries)
    if isinstance(msg, ReplicateOk):
        return None
    if isinstance(msg, NotPrimary):
        return f"e{msg.epoch}:{msg.primary}"
    if isinstance(msg, Forward):
        return "+" + ",".join(str(u.value) for u in msg.updates)
    if isinstance(msg, Ack):
        return f"ack {msg.committed}"
    if isinstance(msg, (Ping, Pong)):
        return None
    if isinstance(msg, Put):
        return f"put {msg.value}"
    if isinstance(msg, PutOk):
        return "ok"
    if isinstance(msg, Get):
        return "get"
    if isinstance(msg, GetOk):
        return str(list(msg.values))
    if isinstance(msg, Unavailable):
        return "unavailable"
    if isinstance(msg, (ReplicaRead, ReplicaReadOk, ReplicaWriteOk)):
        return None
    if isinstance(msg, ReplicaWrite):
        return "hint" if msg.hint else None
    if isinstance(msg, CartAdd):
        return f"+{msg.item}"
    if isinstance(msg, CartRemove):
        return f"−{msg.item}"
    if isinstance(msg, CartRead):
        return "read"
    if isinstance(msg, CartOk):
        return None
    if isinstance(msg, Gossip):
        return "state"
    return None


def _node(ax: Axes, xy: tuple[float, float], text: str, color: str, r: float = 0.16) -> None:
    ax.add_patch(plt.Circle(xy, r, facecolor=color, edgecolor="#212121", lw=0.8, zorder=2))
    ax.text(*xy, text, ha="center", va="center", fontsize=8, color="white", zorder=3,
            fontweight="bold")


def _arrow(ax: Axes, a: tuple[float, float], b: tuple[float, float], *, color: str = "#424242",
           style: str = "-|>", ls: str = "-", rad: float = 0.0, text: str | None = None,
           shrink: float = 14) -> None:
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=9, color=color,
                                 lw=1.0, ls=ls, shrinkA=shrink, shrinkB=shrink,
                                 connectionstyle=f"arc3,rad={rad}", zorder=1))
    if text:
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.09, text, ha="center", fontsize=7,
                color=color)


def strategies(fig: Figure | None = None) -> Figure:
    """Four panels: primary-backup, chain, multi-leader, leaderless quorum."""
    if fig is None:
        fig = plt.figure(figsize=(9.0, 2.8))
    axes = fig.subplots(1, 4)
    client, server, other = "#757575", PALETTE[0], PALETTE[2]
    # primary-backup
    ax = axes[0]
    _node(ax, (0.0, 0.9), "C", client)
    _node(ax, (0.0, 0.3), "P", server)
    _node(ax, (-0.55, -0.45), "B", other)
    _node(ax, (0.55, -0.45), "B", other)
    _arrow(ax, (0.0, 0.9), (0.0, 0.3), text=None)
    _arrow(ax, (0.0, 0.3), (-0.55, -0.45))
    _arrow(ax, (0.0, 0.3), (0.55, -0.45))
    ax.text(0.23, 0.62, "reads and\nwrites", fontsize=7, va="center")
    ax.set_title("primary-backup", fontsize=10)
    # chain
    ax = axes[1]
    xs = (-0.65, 0.0, 0.65)
    for x, t in zip(xs, ("H", "M", "T")):
        _node(ax, (x, 0.0), t, server)
    _arrow(ax, (xs[0], 0.0), (xs[1], 0.0))
    _arrow(ax, (xs[1], 0.0), (xs[2], 0.0))
    _node(ax, (-0.65, 0.85), "C", client)
    _node(ax, (0.65, 0.85), "C", client)
    _arrow(ax, (-0.65, 0.85), (xs[0], 0.0), text=None)
    _arrow(ax, (0.65, 0.85), (xs[2], 0.0), style="<|-|>")
    ax.text(-0.45, 0.45, "write", fontsize=7)
    ax.text(0.18, 0.45, "read,\nreply", fontsize=7)
    _arrow(ax, (xs[2], 0.0), (xs[0], 0.0), rad=-0.45, ls="--", color="#9e9e9e")
    ax.text(0.0, -0.72, "acks flow back", fontsize=7, ha="center", color="#757575")
    ax.set_title("chain", fontsize=10)
    # multi-leader
    ax = axes[2]
    for x, lbl in ((-0.5, "L1"), (0.5, "L2")):
        _node(ax, (x, 0.2), lbl, server)
        _node(ax, (x, 0.9), "C", client)
        _arrow(ax, (x, 0.9), (x, 0.2))
        _node(ax, (x, -0.55), "F", other, r=0.12)
        _arrow(ax, (x, 0.2), (x, -0.55))
    _arrow(ax, (-0.5, 0.2), (0.5, 0.2), style="<|-|>", ls="--", color=PALETTE[1])
    ax.text(0.0, 0.3, "async", fontsize=7, ha="center", color=PALETTE[1])
    ax.text(0.0, -0.05, "conflicts!", fontsize=7, ha="center", color=PALETTE[1])
    ax.set_title("multi-leader", fontsize=10)
    # leaderless
    ax = axes[3]
    _node(ax, (0.0, 0.9), "C", client)
    ring = [(-0.7, -0.1), (-0.25, -0.55), (0.25, -0.55), (0.7, -0.1)]
    for i, xy in enumerate(ring):
        _node(ax, xy, f"R{i + 1}", server if i < 3 else other)
    for xy in ring[:3]:
        _arrow(ax, (0.0, 0.9), xy)
    ax.text(0.72, 0.55, "wait for\nW acks or\nR replies", fontsize=7, ha="center")
    ax.text(0.7, -0.45, "not a\nreplica", fontsize=6, ha="center", va="top", color="#616161")
    ax.set_title("leaderless (N=3)", fontsize=10)
    for ax in axes:
        ax.set_xlim(-1.0, 1.0)
        ax.set_ylim(-0.9, 1.15)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig
