"""Pictures for broadcast protocols: the layer stack, and space-time diagrams that
show the hold-back queue (how long each message waited between arriving at a node
and being delivered there).

Everything is read from the trace (``distlab.broadcast.checks.holdbacks``) or from
class definitions; nothing reaches into a node's memory. Taught in notebook 1.6.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Annotation

from ..broadcast.chat import Post
from ..broadcast.checks import holdbacks
from ..broadcast.messages import Ack, Message, Order, Packet, Stamped
from ..sim import Node, Simulation
from ..sim.trace import Trace, TraceEvent
from .animation import Animation, animate
from .spacetime import message_label, spacetime
from .style import PALETTE

__all__ = ["HOLD_COLOR", "payload_of", "broadcast_label", "broadcast_kind", "deliver_label",
           "holdback_diagram", "animate_holdback", "layer_stack"]

HOLD_COLOR = "#E69F00"


def payload_of(msg: Any) -> Any:
    """What a wire message carries for the application (unwrapping packets, stamps)."""
    while isinstance(msg, (Packet, Message, Stamped)):
        msg = msg.payload
    return msg


def broadcast_label(msg: Any, width: int = 14) -> str | None:
    """Arrow label: a post's text, an order's number; nothing for acknowledgements."""
    if isinstance(msg, Ack):
        return None
    p = payload_of(msg)
    if isinstance(p, Post):
        text = p.text
    elif isinstance(p, Order):
        text = f"#{p.number}"
    else:
        text = message_label(p, width)
    return text if len(text) <= width else text[: width - 1] + "…"


def broadcast_kind(msg: Any) -> str:
    """Colour key for arrows: post, reply, order, ack (or the payload's type)."""
    if isinstance(msg, Ack):
        return "ack"
    p = payload_of(msg)
    if isinstance(p, Post):
        return "post" if p.reply_to is None else "reply"
    if isinstance(p, Order):
        return "order"
    return type(p).__name__


def deliver_label(event: TraceEvent) -> str | None:
    """Label ``deliver`` outputs with the delivered post's text (diamonds on the line)."""
    if event.info != "deliver" or not isinstance(event.msg, Message):
        return None
    p = event.msg.payload
    text = p.text if isinstance(p, Post) else str(event.msg)
    return text if len(text) <= 12 else text[:11] + "…"


def _rows(source: Any, nodes: Sequence[str] | None) -> list[str]:
    if nodes is not None:
        return list(nodes)
    if isinstance(source, Simulation):
        return list(source.node_ids)
    events = source.events if isinstance(source, Trace) else list(source)
    return list(dict.fromkeys(e.node for e in events if e.kind == "start"))


def holdback_diagram(source: Any, *, nodes: Sequence[str] | None = None,
                     ax: Axes | None = None, now: float | None = None,
                     title: str | None = None, acks: bool = True,
                     delivery_labels: Callable[[TraceEvent], str | None] | None = None,
                     **spacetime_kwargs: Any) -> Axes:
    """A space-time diagram with each node's hold-back periods drawn as thick bars.

    A bar on a node's line runs from the moment a message first *arrived* there to the
    moment it was *delivered* to the application (a purple diamond).
    ``delivery_labels(event)`` labels deliveries (e.g. ``deliver_label``; return
    ``None`` to skip one); labels close in time are stacked, not overlapped.
    ``acks=False`` leaves acknowledgements out of the picture.
    """
    trace = source.trace if isinstance(source, Simulation) else source
    rows = _rows(source, nodes)
    events = list(trace)
    if not acks:
        hidden = {e.msg_id for e in events if e.kind == "send" and isinstance(e.msg, Ack)}
        events = [e for e in events if e.msg_id not in hidden]
    if ax is None:
        _, ax = plt.subplots(figsize=spacetime_kwargs.pop("figsize", None)
                             or (8.6, 0.62 * len(rows) + 1.5))
    spacetime_kwargs.setdefault("label", broadcast_label)
    spacetime_kwargs.setdefault("color_by", broadcast_kind)
    spacetime_kwargs.setdefault("outputs", True)
    if "end" not in spacetime_kwargs and now is None and isinstance(source, Simulation):
        spacetime_kwargs["end"] = source.now
    spacetime(events, nodes=rows, ax=ax, now=now, **spacetime_kwargs)
    for child in ax.get_children():
        # Arrows and their labels stay inside the axes: leaving them out of layout
        # computations makes drawing (and animations) several times faster.
        if isinstance(child, Annotation):
            child.set_in_layout(False)
    row = {n: i for i, n in enumerate(rows)}
    cutoff = float("inf") if now is None else now
    last = now if now is not None else (spacetime_kwargs.get("end")
                                        or max((e.time for e in events), default=0.0))
    held = 0
    for h in holdbacks(trace):
        if h.node not in row or h.arrived > cutoff:
            continue
        until = last if h.delivered is None else min(h.delivered, cutoff)
        ax.plot([h.arrived, until], [row[h.node]] * 2, color=HOLD_COLOR,
                lw=7, alpha=0.45, solid_capstyle="butt", zorder=1.8)
        held += 1
    if delivery_labels is not None:
        _label_deliveries(ax, events, row, cutoff, delivery_labels)
    if held and spacetime_kwargs.get("legend", True):
        legend = ax.get_legend()
        handles = list(legend.legend_handles) if legend is not None else []
        labels = [t.get_text() for t in legend.get_texts()] if legend is not None else []
        handles.append(Line2D([0], [0], color=HOLD_COLOR, lw=6, alpha=0.45))
        labels.append("held back")
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  frameon=False, title="messages", title_fontsize=8)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return ax


def _label_deliveries(ax: Axes, events: Sequence[TraceEvent], row: Mapping[str, int],
                      cutoff: float, text_of: Callable[[TraceEvent], str | None]) -> None:
    lo, hi = ax.get_xlim()
    close = 0.06 * (hi - lo)               # labels nearer than this in time are stacked
    last: dict[str, tuple[float, int]] = {}
    for e in events:
        if e.kind != "output" or e.info != "deliver" or e.node not in row or e.time > cutoff:
            continue
        text = text_of(e)
        if not text:
            continue
        t0, depth = last.get(e.node, (float("-inf"), -1))
        depth = depth + 1 if e.time - t0 < close else 0
        last[e.node] = (e.time if depth == 0 else t0, depth)
        ax.text(e.time, row[e.node] + 0.14 + 0.16 * depth, text, fontsize=7.5, ha="left",
                va="top", color="#6a1b9a", zorder=6, in_layout=False)


def animate_holdback(sim: Simulation, times: Sequence[float], *,
                     states: Sequence[tuple[float, Mapping[str, Any]]] | None = None,
                     state_fields: Sequence[str] | None = None,
                     captions: Sequence[str] | Callable[[float], str] | None = None,
                     figsize: tuple[float, float] | None = None, acks: bool = False,
                     labels: bool = False, width: int = 34, dpi: int = 88) -> Animation:
    """The static twin of the chat explorer: the hold-back diagram growing frame by
    frame, with an optional panel of node states (from ``run_recording``).

    Arrow labels are off by default (``labels=True`` puts them back): an animation
    redraws every frame, and text is what costs most to draw.
    """
    times = list(times)
    if not times:
        raise ValueError("times must hold at least one frame time")
    end = max(times[-1], sim.now)
    n = len(sim.node_ids)
    figsize = figsize or (9.6 if states else 8.4, 0.6 * n + 1.7)

    bottom, top = 0.55 / figsize[1], 1.0 - 0.35 / figsize[1]  # fixed margins, in inches

    def draw(fig: Figure, i: int) -> None:
        t = times[i]
        if states:
            gs = fig.add_gridspec(1, 2, width_ratios=[2.4, 1.0], left=0.08, right=0.99,
                                  bottom=bottom, top=top, wspace=0.05)
            ax = fig.add_subplot(gs[0, 0])
            side = fig.add_subplot(gs[0, 1])
            side.axis("off")
            current = states[0][1]
            for ts, st in states:
                if ts <= t + 1e-9:
                    current = st
            side.text(0.0, 1.0, _state_lines(current, state_fields, width), family="monospace",
                      fontsize=7.5, va="top", ha="left", transform=side.transAxes)
        else:
            ax = fig.add_axes((0.08, bottom, 0.9, top - bottom))
        holdback_diagram(sim, ax=ax, now=t, start=0.0, end=end, legend=False, acks=acks,
                         label=broadcast_label if labels else None)
        text = (captions(t) if callable(captions) else captions[i]) if captions else f"t = {t:g}"
        ax.set_title(text, fontsize=10, loc="left")

    return animate(draw, len(times), figsize=figsize, dpi=dpi, layout="fixed")


def _state_lines(states: Mapping[str, Any], fields: Sequence[str] | None, width: int) -> str:
    """One block per node, one field per line (hold-back queues can be long)."""
    lines = []
    for node, st in states.items():
        if st is None:
            lines.append(f"{node}: crashed")
            lines.append("")
            continue
        lines.append(f"{node}:")
        for k, v in st.items():
            if fields is not None and k not in fields:
                continue
            text = f"  {k}: {v}"
            lines.append(text if len(text) <= width else text[: width - 1] + "…")
        lines.append("")
    return "\n".join(lines)


def layer_stack(node_class: type, *, ax: Axes | None = None,
                title: str | None = None) -> Axes:
    """Draw the layers of a broadcast node, application on top, network at the bottom.

    Read from the class's method resolution order, so the picture is the code: each
    box is a class and its docstring's first line; ``bcast`` goes down the left side,
    ``deliver`` comes up the right.
    """
    if not (isinstance(node_class, type) and issubclass(node_class, Node)):
        raise TypeError(f"node_class must be a Node subclass, got {node_class!r}")
    # Every class that adds something (a generated combination such as CausalChat,
    # which only joins the chat to a layer, adds nothing of its own).
    layers = [c for c in node_class.__mro__ if c not in (Node, object)
              and any(not k.startswith("__") for k in vars(c))]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 0.5 * (len(layers) + 1) + 0.4))
    h, gap = 0.8, 0.25
    y = 0.0
    boxes = list(layers) + ["network"]
    for i, layer in enumerate(boxes):
        top = -(i * (h + gap))
        if layer == "network":
            name, color = "the simulated network", "#9e9e9e"
            doc = "may lose, delay, duplicate, reorder"
        else:
            name = layer.__name__
            doc = vars(layer).get("summary") or (inspect.getdoc(layer) or "").split("\n")[0]
            doc = doc if len(doc) <= 80 else doc[:79] + "…"
            color = PALETTE[i % len(PALETTE)] if i < 6 else "#424242"
        ax.add_patch(FancyBboxPatch((0.0, top - h), 10.0, h, fc="white", ec=color, lw=1.6,
                                    boxstyle="round,pad=0.02,rounding_size=0.12"))
        ax.text(0.25, top - 0.3, name, fontsize=9.5, fontweight="bold", color=color, va="center")
        ax.text(0.25, top - 0.62, doc, fontsize=8, color="#333333", va="center")
        y = top - h
    ax.annotate("", xy=(-0.35, y + 0.1), xytext=(-0.35, -0.1),
                arrowprops=dict(arrowstyle="-|>", color="#333333", lw=1.3))
    ax.text(-0.55, y / 2, "bcast(m)", rotation=90, ha="center", va="center", fontsize=9)
    ax.annotate("", xy=(10.35, -0.1), xytext=(10.35, y + 0.1),
                arrowprops=dict(arrowstyle="-|>", color="#333333", lw=1.3))
    ax.text(10.55, y / 2, "deliver(m)", rotation=270, ha="center", va="center", fontsize=9)
    ax.set_xlim(-0.9, 10.9)
    ax.set_ylim(y - 0.15, 0.15)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return ax

