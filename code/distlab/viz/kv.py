"""Pictures for the Dynamo chapters (notebooks 2.12 and 2.13), drawn from rings, trees,
traces and histories.

- ``kv_label``: short arrow labels for the store's messages (for ``spacetime``);
- ``only_requests``: the trace without background chatter (gossip, anti-entropy);
- ``ring_diagram``: the consistent-hashing ring, its tokens, keys and a preference list;
- ``merkle_pair``: two replicas' Merkle trees, differing hashes in red;
- ``cap_timeline`` / ``cap_grid``: each client's requests during a partition
  (answered, stale, refused, timed out);
- ``pacelc_plot``: latency against staleness for every ``R`` and ``W``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from ..dynamo.checks import stale_reads
from ..dynamo.merkle import MerkleTree
from ..dynamo.messages import (Delete, Get, GetOk, Gossip, Handoff, HandoffOk, MerkleLevel,
                               MerkleRoots, Put, PutOk, ReplicaRead, ReplicaReadOk,
                               ReplicaWrite, ReplicaWriteOk, SyncLeaves, Timeout, Transfer,
                               TransferOk, Unavailable)
from ..dynamo.ring import HASH_SPACE, Ring, position
from ..sim import Simulation, TraceEvent
from .style import CRASH_COLOR, PALETTE, PARTITION_FILL

__all__ = ["kv_label", "kv_kind", "only_requests", "ring_diagram", "merkle_pair",
           "cap_timeline", "cap_grid", "cap_figure", "pacelc_plot", "BACKGROUND"]

#: Messages of the background tasks (left out of request diagrams).
BACKGROUND = (Gossip, MerkleRoots, MerkleLevel, SyncLeaves)


def _values(versions: Iterable[Any]) -> str:
    shown = [("✝" if not str(v.value).startswith("✝") else "") + str(v.value)
             if v.deleted else str(v.value) for v in versions]
    return "{" + ",".join(shown) + "}" if len(shown) != 1 else shown[0]


def kv_label(msg: Any, width: int = 18) -> str | None:
    """A short label for a store message: ``put x=c1-1``, ``read x``, ``ok``, ..."""
    if isinstance(msg, Get):
        text = f"get {msg.key}"
    elif isinstance(msg, Put):
        text = f"put {msg.key}={msg.value}"
    elif isinstance(msg, Delete):
        text = f"del {msg.key}"
    elif isinstance(msg, GetOk):
        text = _values(msg.versions) if msg.versions else "∅"
    elif isinstance(msg, PutOk):
        text = "ok"
    elif isinstance(msg, Unavailable):
        text = "unavailable"
    elif isinstance(msg, Timeout):
        text = "timeout"
    elif isinstance(msg, ReplicaRead):
        text = f"read {msg.key}"
    elif isinstance(msg, ReplicaReadOk):
        text = _values(msg.versions) if msg.versions else "∅"
    elif isinstance(msg, ReplicaWrite):
        text = ("repair " if msg.op == 0 else "") + _values(msg.versions) + \
            (f" hint {msg.hint}" if msg.hint else "")
    elif isinstance(msg, (ReplicaWriteOk, HandoffOk, TransferOk)):
        text = "ack"
    elif isinstance(msg, Handoff):
        text = f"handoff {_values(msg.versions)}"
    elif isinstance(msg, Transfer):
        text = f"transfer {msg.key}"
    elif isinstance(msg, MerkleRoots):
        text = f"roots ×{len(msg.roots)}"
    elif isinstance(msg, MerkleLevel):
        text = f"level {msg.level}"
    elif isinstance(msg, SyncLeaves):
        text = f"keys ×{len(msg.entries)}"
    elif isinstance(msg, Gossip):
        text = "gossip"
    else:
        text = type(msg).__name__
    return text if len(text) <= width else text[: width - 1] + "…"


def kv_kind(msg: Any) -> str:
    """Colour key for ``spacetime(color_by=...)``: client, read, write, repair, ..."""
    if isinstance(msg, (Get, Put, Delete, GetOk, PutOk, Unavailable, Timeout)):
        return "client"
    if isinstance(msg, (ReplicaRead, ReplicaReadOk)):
        return "read"
    if isinstance(msg, ReplicaWrite) and msg.op == 0:
        return "repair"
    if isinstance(msg, (ReplicaWrite, ReplicaWriteOk)):
        return "write"
    if isinstance(msg, (Handoff, HandoffOk, Transfer, TransferOk)):
        return "handoff"
    return "background"


def only_requests(sim: Simulation) -> list[TraceEvent]:
    """The trace without gossip and anti-entropy messages (or their drops)."""
    return [e for e in sim.trace.events
            if not (e.kind in ("send", "deliver", "drop", "duplicate")
                    and isinstance(e.msg, BACKGROUND))]


# --- the ring -----------------------------------------------------------------------------
def _angle(pos: int) -> float:
    """Clockwise from the top, like a clock face."""
    return math.pi / 2 - 2 * math.pi * pos / HASH_SPACE


def ring_diagram(ring: Ring, *, keys: Sequence[str] = (), n: int = 3,
                 highlight: str | None = None, ax: Axes | None = None,
                 title: str | None = None, figsize: tuple[float, float] = (4.6, 4.6)) -> Axes:
    """The circle of hashes: a coloured tick per token (virtual node), a black dot per
    key; for ``highlight``, arrows from the key clockwise to its ``n`` replicas."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    colors = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(ring.members)}
    t = [2 * math.pi * i / 360 for i in range(361)]
    ax.plot([math.cos(a) for a in t], [math.sin(a) for a in t], color="#9e9e9e", lw=1.2,
            zorder=1)
    for pos, node in ring.tokens:
        a = _angle(pos)
        ax.plot([0.93 * math.cos(a), 1.07 * math.cos(a)], [0.93 * math.sin(a), 1.07 * math.sin(a)],
                color=colors[node], lw=3, zorder=2, solid_capstyle="butt")
    for key in keys:
        a = _angle(position(key))
        ax.plot([math.cos(a)], [math.sin(a)], "o", color="black", ms=5, zorder=4)
        ax.text(0.82 * math.cos(a), 0.82 * math.sin(a), key, ha="center", va="center",
                fontsize=9, zorder=4)
    if highlight is not None:
        toks = ring.tokens
        start = position(highlight)
        i0 = next((i for i, (p, _) in enumerate(toks) if p >= start), 0)
        found: list[tuple[int, str]] = []   # the walk: first token of each new node
        for step in range(len(toks)):
            pos, node = toks[(i0 + step) % len(toks)]
            if node not in [f for _, f in found]:
                found.append((pos, node))
            if len(found) == n:
                break
        for rank, (pos, node) in enumerate(found, 1):
            a = _angle(pos)
            ax.annotate("", xy=(1.12 * math.cos(a), 1.12 * math.sin(a)),
                        xytext=(1.32 * math.cos(a), 1.32 * math.sin(a)),
                        arrowprops=dict(arrowstyle="-|>", color=colors[node], lw=1.4))
            ax.text(1.42 * math.cos(a), 1.42 * math.sin(a), f"{rank}: {node}", ha="center",
                    va="center", fontsize=8.5, color=colors[node], fontweight="bold")
    handles = [plt.Line2D([], [], color=colors[m], lw=3) for m in ring.members]
    ax.legend(handles, ring.members, loc="center", fontsize=8, ncol=1, frameon=False,
              handlelength=1.2)
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    return ax


# --- Merkle trees ---------------------------------------------------------------------------
def merkle_pair(a: MerkleTree, b: MerkleTree, *, names: tuple[str, str] = ("n1", "n2"),
                fig=None, figsize: tuple[float, float] = (9.0, 3.4)):
    """Two Merkle trees side by side; nodes whose hashes differ are red, and the leaves
    show their keys. Returns the figure."""
    if fig is None:
        fig = plt.figure(figsize=figsize, layout="none")
    axes = fig.subplots(1, 2, gridspec_kw=dict(left=0.01, right=0.99, bottom=0.02, top=0.9,
                                               wspace=0.06))
    for ax, tree, other, name in ((axes[0], a, b, names[0]), (axes[1], b, a, names[1])):
        depth = tree.depth
        for level in range(depth + 1):
            count = 1 << level
            for i in range(count):
                x = (i + 0.5) / count
                y = depth - level
                differs = tree.levels[level][i] != other.levels[level][i]
                color = "#ffcdd2" if differs else "#e8f5e9"
                edge = CRASH_COLOR if differs else "#2e7d32"
                ax.add_patch(Rectangle((x - 0.055, y - 0.18), 0.11, 0.36, fc=color, ec=edge,
                                       lw=1.0, zorder=2))
                ax.text(x, y, tree.levels[level][i][:4], ha="center", va="center",
                        fontsize=7, family="monospace", zorder=3)
                if level < depth:
                    for c in (2 * i, 2 * i + 1):
                        ax.plot([x, (c + 0.5) / (2 * count)], [y - 0.18, y - 0.82],
                                color="#9e9e9e", lw=0.8, zorder=1)
        for i, keys in enumerate(tree.buckets):
            x = (i + 0.5) / (1 << depth)
            ax.text(x, -0.35, "\n".join(keys) if keys else "·", ha="center", va="top",
                    fontsize=7.5)
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.9, depth + 0.5)
        ax.set_axis_off()
        ax.set_title(f"{name}: root {tree.root[:4]}", fontsize=10)
    return fig


# --- CAP ------------------------------------------------------------------------------------
_OK_WRITE, _FRESH, _STALE, _REFUSED, _UNKNOWN = "#0072B2", "#009E73", "#E69F00", CRASH_COLOR, "#bdbdbd"


def cap_timeline(sim: Simulation, *, key: str = "x", ax: Axes | None = None,
                 clients: Sequence[str] | None = None, title: str | None = None,
                 legend: bool = True) -> Axes:
    """Each client's requests as bars from call to return: writes (blue), fresh reads
    (green), stale reads (orange), refused (red), timed out (grey); partitions shaded."""
    ops = sim.history.operations()
    if clients is None:
        clients = sorted({o.process for o in ops})
    row = {c: i for i, c in enumerate(clients)}
    stale_times = {t for _, _, t in stale_reads(sim, key)}
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 * len(clients) + 1.2))
    end = sim.now
    t0 = None
    for e in sim.trace.events:
        if e.kind == "partition":
            t0 = e.time if t0 is None else t0
        elif e.kind == "heal" and t0 is not None:
            ax.axvspan(t0, e.time, color=PARTITION_FILL, zorder=0, lw=0)
            t0 = None
    if t0 is not None:
        ax.axvspan(t0, end, color=PARTITION_FILL, zorder=0, lw=0)
    for o in ops:
        if o.process not in row:
            continue
        ret = o.ret if o.ret is not None else min(end, o.call + 40)
        if o.status == "fail":
            color = _REFUSED
        elif o.status != "ok":
            color = _UNKNOWN
        elif o.f == "get":
            color = _STALE if o.call in stale_times else _FRESH
        else:
            color = _OK_WRITE
        y = row[o.process]
        ax.add_patch(Rectangle((o.call, y - 0.3), max(ret - o.call, 0.8), 0.6, fc=color,
                               ec="white", lw=0.4, zorder=2))
    ax.set_yticks(range(len(clients)))
    ax.set_yticklabels(clients)
    ax.set_ylim(len(clients) - 0.5, -0.5)
    last = max((o.ret for o in ops if o.ret is not None), default=end)
    ax.set_xlim(0, min(end, last + 15))
    ax.set_xlabel("time")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if legend:
        labels = [("write ok", _OK_WRITE), ("read, fresh", _FRESH), ("read, stale", _STALE),
                  ("refused", _REFUSED), ("timed out", _UNKNOWN),
                  ("partition", PARTITION_FILL)]
        handles = [Rectangle((0, 0), 1, 1, fc=c) for _, c in labels]
        ax.legend(handles, [t for t, _ in labels], ncol=6, fontsize=7.5, loc="upper center",
                  bbox_to_anchor=(0.5, -0.32), frameon=False, handlelength=1.0)
    if title:
        ax.set_title(title, fontsize=9.5, loc="left")
    return ax


def cap_grid(runs: Sequence[tuple[str, str, Simulation, Any]], *, key: str = "x",
             figsize: tuple[float, float] | None = None):
    """Small multiples: one row per partition, one column per mode. ``runs`` holds
    ``(partition text, mode, simulation, summary)`` in row-major order."""
    modes = list(dict.fromkeys(m for _, m, _, _ in runs))
    parts = list(dict.fromkeys(p for p, _, _, _ in runs))
    fig, axes = plt.subplots(len(parts), len(modes), squeeze=False, sharex=True,
                             figsize=figsize or (10, 1.55 * len(parts) + 0.9))
    for text, mode, sim, summary in runs:
        ax = axes[parts.index(text)][modes.index(mode)]
        last = parts.index(text) == len(parts) - 1 and modes.index(mode) == 0
        cap_timeline(sim, key=key, ax=ax, legend=last,
                     title=f"{mode} · {text}: {100 * summary.availability:.0f}% answered, "
                           f"{summary.stale} stale, linearizable: {summary.linearizable}")
        if not last:
            ax.set_xlabel("")
    return fig


def cap_figure(sim: Simulation, groups: Sequence[Sequence[str]] | None, summary: Any, *,
               key: str = "x", n: int = 3, vnodes: int = 4,
               figsize: tuple[float, float] = (10.0, 2.9)):
    """The partition as drawn (the key's replicas starred, each client beside its node)
    next to the clients' requests. Returns the figure."""
    from .topology import topology

    nodes = [m for m in sim.node_ids if m.startswith("n")]
    replicas = Ring(nodes, vnodes).preference_list(key, n)
    fig = plt.figure(figsize=figsize, layout="none")
    left = fig.add_axes((0.0, 0.05, 0.24, 0.85))
    right = fig.add_axes((0.33, 0.32, 0.65, 0.58))
    topology(nodes, groups=groups or None, ax=left,
             labels={m: m + ("*" if m in replicas else "") for m in nodes})
    left.set_title(f"* = replicas of {key!r}", fontsize=9)
    cap_timeline(sim, key=key, ax=right,
                 title=f"{summary.mode}: {100 * summary.availability:.0f}% answered, "
                       f"{summary.stale} stale reads, linearizable: {summary.linearizable}")
    return fig


# --- PACELC ---------------------------------------------------------------------------------
def pacelc_plot(points: Sequence[Any], *, n: int = 3, fig=None,
                figsize: tuple[float, float] = (9.5, 3.4)):
    """Left: median read latency against ``R`` and write latency against ``W``.
    Right: the share of stale reads for each ``R`` (rows) and ``W`` (columns); cells
    with ``R + W > N`` are framed."""
    if fig is None:
        fig = plt.figure(figsize=figsize)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    rs = sorted({p.r for p in points})
    ws = sorted({p.w for p in points})
    by = {(p.r, p.w): p for p in points}
    read = [sum(by[(r, w)].read_latency for w in ws) / len(ws) for r in rs]
    p90 = [sum(by[(r, w)].read_latency_p90 for w in ws) / len(ws) for r in rs]
    write = [sum(by[(r, w)].write_latency for r in rs) / len(rs) for w in ws]
    left.plot(rs, read, "o-", color=PALETTE[0], label="read, median (vs R)")
    left.plot(rs, p90, "o--", color=PALETTE[0], alpha=0.6, label="read, 90th percentile")
    left.plot(ws, write, "s-", color=PALETTE[1], label="write, median (vs W)")
    left.set_xticks(rs)
    left.set_xlabel("replies waited for (R for reads, W for writes)")
    left.set_ylabel("latency (time units)")
    left.set_ylim(0, None)
    left.legend(fontsize=8, loc="upper left")
    left.set_title("Latency: waiting for more replicas", fontsize=10)
    grid = [[100 * by[(r, w)].stale for w in ws] for r in rs]
    top = max(5.0, max(max(g) for g in grid))
    right.imshow(grid, cmap="Oranges", vmin=0, vmax=top)
    for i, r in enumerate(rs):
        for j, w in enumerate(ws):
            right.text(j, i, f"{grid[i][j]:.1f}%", ha="center", va="center", fontsize=9,
                       color="white" if grid[i][j] > 0.6 * top else "black")
            if r + w > n:
                right.add_patch(Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False,
                                          ec=PALETTE[2], lw=2))
    right.set_xticks(range(len(ws)))
    right.set_xticklabels([f"W={w}" for w in ws])
    right.set_yticks(range(len(rs)))
    right.set_yticklabels([f"R={r}" for r in rs])
    right.set_title(f"Stale reads (framed: R+W>N={n})", fontsize=10)
    for side in ("top", "right", "left", "bottom"):
        right.spines[side].set_visible(False)
    right.tick_params(length=0)
    return fig

