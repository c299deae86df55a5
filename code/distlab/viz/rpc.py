"""Pictures for notebook 1.1: labels for RPC and heartbeat diagrams, mistake rasters,
execution-count bars.

Everything here reads traces and numbers computed from them; nothing reaches into a
node's memory.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from ..detectors.heartbeat import Heartbeat
from ..rpc.messages import Execution, Reply, Request
from ..sim.trace import TraceEvent
from .style import PALETTE

__all__ = ["rpc_label", "rpc_outputs", "detector_outputs", "suspicion_raster",
           "execution_bars", "client_server_picture"]

_SHORT = {"increment": "inc", "set": "set", "get": "get"}


def rpc_label(msg: Any) -> str | None:
    """Arrow labels: ``inc #1`` for a request, ``#1→3`` for its reply, ``hb 4``."""
    if isinstance(msg, Request):
        op = _SHORT.get(msg.op, msg.op)
        args = "" if not msg.args else " " + ",".join(map(str, msg.args))
        return f"{op}{args} #{msg.request_id}"
    if isinstance(msg, Reply):
        out = "err" if msg.error is not None else msg.result
        return f"#{msg.request_id}→{out}"
    if isinstance(msg, Heartbeat):
        return None
    return type(msg).__name__


def rpc_outputs(event: TraceEvent) -> str | None:
    """Output labels: ``run #1 =3`` (executed), ``cached #1`` (answered from the
    table), ``stale #1`` (dropped)."""
    if event.info == "execute" and isinstance(event.msg, Execution):
        return f"run #{event.msg.request_id}={event.msg.result}"
    if event.info in ("cached", "stale") and isinstance(event.msg, tuple):
        return f"{event.info} #{event.msg[1]}"
    return None


def detector_outputs(event: TraceEvent) -> str | None:
    """Output labels for a failure detector: ``suspect p`` / ``restore p``."""
    if event.info in ("suspect", "restore"):
        return f"{event.info} {event.msg}"
    return None


def suspicion_raster(rows: Sequence[Sequence[float]], *, ax: Axes | None = None,
                     gst: float | None = None, end: float | None = None,
                     color: str = PALETTE[1], title: str | None = None,
                     ylabel: str = "seed") -> Axes:
    """One row per run, a tick at the time of each false suspicion; GST as a line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.0))
    for i, times in enumerate(rows):
        if times:
            ax.plot(list(times), [i] * len(times), "|", color=color, ms=6, mew=1.4)
    if gst is not None:
        ax.axvline(gst, color="#1565c0", lw=1.2, ls="--")
        ax.text(gst, -1.2, " GST", color="#1565c0", fontsize=8.5, va="bottom", ha="left")
    ax.set_ylim(len(rows) - 0.5, -1.5)
    if end is not None:
        ax.set_xlim(0, end)
    ax.set_xlabel("time")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10.5, loc="left")
    return ax


def execution_bars(counts: Mapping[str, Mapping[int, int]], *, ax: Axes | None = None,
                   title: str | None = None, top: int = 3) -> Axes:
    """Grouped bars: for each configuration, the share of calls executed 0, 1, 2, ...
    times (``top`` and more are pooled). ``counts[name][k]`` = calls executed k times."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.0))
    names = list(counts)
    buckets = list(range(top + 1))
    width = 0.8 / max(1, len(buckets))
    for j, k in enumerate(buckets):
        shares = []
        for name in names:
            c = counts[name]
            total = sum(c.values()) or 1
            n = sum(v for e, v in c.items() if (e >= top if k == top else e == k))
            shares.append(100.0 * n / total)
        xs = [i + (j - (len(buckets) - 1) / 2) * width for i in range(len(names))]
        label = f"{k}+ times" if k == top else f"{k} time" + ("s" if k != 1 else "")
        bars = ax.bar(xs, shares, width=width, color=PALETTE[j % len(PALETTE)], label=label)
        for b, s in zip(bars, shares):
            if s > 0:
                text = f"{s:.1f}" if s < 1 else f"{s:.0f}"
                ax.text(b.get_x() + b.get_width() / 2, b.get_height() + 1, text,
                        ha="center", va="bottom", fontsize=7.5)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(["\n".join(textwrap.wrap(n, 18)) for n in names], fontsize=9)
    ax.set_ylabel("% of calls")
    ax.set_ylim(0, 128)
    ax.set_yticks(range(0, 101, 20))
    ax.legend(fontsize=8, ncol=len(buckets), loc="upper center", bbox_to_anchor=(0.5, 1.0))
    if title:
        ax.set_title(title, fontsize=10.5, loc="left")
    return ax


def client_server_picture(clients: Sequence[str], *, server: str = "server",
                          state: str = "counter", ax: Axes | None = None,
                          title: str | None = None) -> Axes:
    """Boxes and arrows: clients send requests to a server that owns some state."""
    from matplotlib.patches import FancyBboxPatch

    if isinstance(clients, str) or not clients:
        raise ValueError("clients must be a non-empty list of names such as ['c1', 'c2']")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 2.6))
    n = len(clients)
    xs = [(i + 0.5) / n for i in range(n)]

    def box(x: float, y: float, text: str, color: str, w: float = 0.34) -> None:
        ax.add_patch(FancyBboxPatch((x - w / 2, y - 0.1), w, 0.2,
                                    boxstyle="round,pad=0.02", fc=color, ec="white"))
        ax.text(x, y, text, ha="center", va="center", color="white", fontsize=8.5,
                fontweight="bold")

    box(0.5, 0.82, f"{server}\n({state})", PALETTE[0], w=0.5)
    for x, c in zip(xs, clients):
        box(x, 0.15, c, PALETTE[2], w=min(0.34, 0.8 / n))
        ax.annotate("", xy=(0.5 + (x - 0.5) * 0.35 - 0.03, 0.7), xytext=(x - 0.03, 0.27),
                    arrowprops=dict(arrowstyle="-|>", color=PALETTE[0], lw=1.2))
        ax.annotate("", xy=(x + 0.03, 0.27), xytext=(0.5 + (x - 0.5) * 0.35 + 0.03, 0.7),
                    arrowprops=dict(arrowstyle="-|>", color=PALETTE[1], lw=1.2))
    ax.text(0.02, 0.5, "request", color=PALETTE[0], fontsize=8, ha="left", va="center")
    ax.text(0.98, 0.5, "reply", color=PALETTE[1], fontsize=8, ha="right", va="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax
