"""Network topology pictures (networkx): who can talk to whom, who is down.

Used for partitions (edges that cross a partition are drawn cut), for rings and
for the book's roadmap graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from .style import CRASH_COLOR, PALETTE

__all__ = ["topology", "topology_of"]


def topology(nodes: Sequence[str], *, edges: Iterable[tuple[str, str]] | None = None,
             groups: Sequence[Sequence[str]] | None = None, down: Iterable[str] = (),
             labels: dict[str, str] | None = None, ax: Axes | None = None,
             layout: str = "circular", title: str | None = None,
             figsize: tuple[float, float] = (4.0, 4.0)) -> Axes:
    """Draw nodes and links; links that cross a partition are red and dashed.

    ``groups`` are the partition's sides (nodes in no group form one more side);
    ``down`` are crashed nodes (grey, crossed).
    """
    import networkx as nx  # imported here: it costs 0.3 s, and most pages never draw a graph

    nodes = list(nodes)
    if not nodes:
        raise ValueError("topology needs at least one node")
    g = nx.Graph()
    g.add_nodes_from(nodes)
    if edges is None:
        edges = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]]
    for a, b in edges:
        if a not in g or b not in g:
            raise ValueError(f"edge ({a!r}, {b!r}) names a node that is not in nodes")
        g.add_edge(a, b)
    side: dict[str, int] = {}
    if groups:
        for i, grp in enumerate(groups):
            if isinstance(grp, str):
                raise TypeError("each group must be a list of node ids, not a string")
            for n in grp:
                side[n] = i
    down = set(down)
    if layout == "circular":
        pos = nx.circular_layout(nodes)
        # start at the top and go clockwise, like a clock face
        pos = {n: (p[1], p[0]) for n, p in pos.items()} if len(nodes) > 1 else pos
    elif layout == "spring":
        pos = nx.spring_layout(g, seed=1)
    else:
        raise ValueError(f"layout must be 'circular' or 'spring', got {layout!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ok = [(a, b) for a, b in g.edges if side.get(a, -1) == side.get(b, -1)]
    cut = [(a, b) for a, b in g.edges if side.get(a, -1) != side.get(b, -1)]
    nx.draw_networkx_edges(g, pos, edgelist=ok, ax=ax, edge_color="#616161", width=1.3)
    nx.draw_networkx_edges(g, pos, edgelist=cut, ax=ax, edge_color=CRASH_COLOR, width=1.0,
                           style="dashed", alpha=0.6)
    colors = [("#bdbdbd" if n in down else PALETTE[side.get(n, -1) % len(PALETTE)]
               if groups else "#0072B2") for n in nodes]
    nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_color=colors, ax=ax, node_size=900,
                           edgecolors="white", linewidths=1.5)
    nx.draw_networkx_labels(g, pos, labels=labels or {n: n for n in nodes}, ax=ax,
                            font_color="white", font_size=9, font_weight="bold")
    for n in down:
        if n in pos:
            ax.plot(*pos[n], marker="x", ms=26, mew=2.5, color=CRASH_COLOR)
    ax.set_axis_off()
    ax.margins(0.15)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def topology_of(sim: Any, **kwargs: Any) -> Axes:
    """The topology of a ``Simulation`` right now: its partition and crashed nodes."""
    net = sim.network
    groups = None
    if net._group is not None:
        by: dict[int, list[str]] = {}
        for n, g in net._group.items():
            by.setdefault(g, []).append(n)
        groups = [by[k] for k in sorted(by)]
    down = [n for n in sim.node_ids if not sim.is_up(n)]
    return topology(sim.node_ids, groups=groups, down=down, **kwargs)
