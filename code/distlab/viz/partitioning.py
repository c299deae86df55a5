"""Pictures for partitioning (notebook 2.11): the hash ring, and who owns what.

- ``ring_diagram``: the circle of a ``HashRing`` with each node's tokens, the arcs they
  own, and keys as dots coloured by owner;
- ``load_bars``: keys (or requests) per node, against the mean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import Wedge

from ..partitioning import HASH_SPACE, HashRing, stable_hash
from .style import PALETTE

__all__ = ["ring_diagram", "load_bars", "node_colors"]


def node_colors(nodes: Sequence[str]) -> dict[str, str]:
    """One colour per node, in order."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(nodes)}


def _angle(h: int) -> float:
    """Clockwise from the top, in degrees (matplotlib counts counter-clockwise from 3 o'clock)."""
    return 90.0 - 360.0 * h / HASH_SPACE


def ring_diagram(ring: HashRing, keys: Iterable[Any] = (), *, ax: Axes | None = None,
                 colors: Mapping[str, str] | None = None, highlight: Iterable[Any] = (),
                 title: str | None = None, legend: bool = True,
                 tokens: bool = True) -> Axes:
    """Draw ``ring``: a coloured arc for each stretch the next token clockwise owns,
    a tick per token, and ``keys`` as dots just inside the circle (``highlight``ed keys
    drawn larger, with a black edge)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.2))
    colors = dict(colors or node_colors(ring.nodes))
    for n in ring.nodes:
        colors.setdefault(n, "#757575")
    points = ring.tokens
    wedges, ticks = [], []
    for i, (t, node) in enumerate(points):
        prev = points[i - 1][0] if i else points[-1][0] - HASH_SPACE
        # the arc (prev, t] belongs to this token's node; wedges go counter-clockwise
        wedges.append(Wedge((0, 0), 1.0, _angle(t), _angle(prev), width=0.14,
                            facecolor=colors[node], edgecolor="white", linewidth=0.4))
        a = math.radians(_angle(t))
        ticks.append([(0.84 * math.cos(a), 0.84 * math.sin(a)),
                      (1.06 * math.cos(a), 1.06 * math.sin(a))])
    ax.add_collection(PatchCollection(wedges, match_original=True))
    if tokens:
        ax.add_collection(LineCollection(ticks, colors="#212121", linewidths=0.8))
    marked = set(highlight)
    for big in (False, True):
        chosen = [k for k in keys if (k in marked) == big]
        if not chosen:
            continue
        angles = [math.radians(_angle(stable_hash(k))) for k in chosen]
        ax.scatter([0.74 * math.cos(a) for a in angles], [0.74 * math.sin(a) for a in angles],
                   s=36 if big else 9, c=[colors[ring.owner(k)] for k in chosen],
                   edgecolors="black" if big else "none", linewidths=0.8, zorder=3)
    ax.text(0, 1.12, "0", ha="center", va="bottom", fontsize=8, color="#616161")
    ax.annotate("", xy=(0.35, 1.08), xytext=(0.12, 1.12),
                arrowprops={"arrowstyle": "->", "color": "#616161", "lw": 0.8})
    ax.set_xlim(-1.25, 1.25)
    ax.set_ylim(-1.25, 1.25)
    ax.set_aspect("equal")
    ax.axis("off")
    if legend:
        for n in ring.nodes:
            ax.scatter([], [], color=colors[n], label=n, s=30)
        ax.legend(loc="center", fontsize=7, ncol=1 if len(ring.nodes) <= 5 else 2,
                  handletextpad=0.2, borderaxespad=0)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def load_bars(loads: Mapping[str, int], *, ax: Axes | None = None,
              colors: Mapping[str, str] | None = None, title: str | None = None,
              ylabel: str = "keys") -> Axes:
    """Bars of each node's load, with the mean as a dashed line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.0, 2.6))
    nodes = list(loads)
    colors = colors or node_colors(nodes)
    ax.bar(nodes, [loads[n] for n in nodes], color=[colors.get(n, "#757575") for n in nodes])
    mean = sum(loads.values()) / max(1, len(loads))
    ax.axhline(mean, color="#424242", ls="--", lw=1, label="mean")
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelsize=8)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax
