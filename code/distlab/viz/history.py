"""Pictures of client histories, in the spirit of Porcupine's visualiser.

One row per client; a bar per operation from its call to its return (open-ended,
faded, when the outcome is unknown). When the history is linearizable, a dot marks
where each operation takes effect in a witness order; when it is not, the operations
of the longest partial linearization are green and those that cannot be placed after
it are red. Taught in notebook 2.2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from ..consistency.linearizability import LinearizabilityResult, linearization_points
from ..consistency.models import Model
from ..consistency.operations import UNKNOWN, Op, as_ops, from_history
from ..sim.history import History

__all__ = ["history_chart"]


def history_chart(history: Any, *, model: Model | None = None,
                  result: LinearizabilityResult | None = None,
                  processes: Sequence[str] | None = None, ax: Axes | None = None,
                  title: str | None = None, figsize: tuple[float, float] | None = None) -> Axes:
    """Draw a history; with ``result`` (from ``check_linearizable``) show its verdict.

    A ``History`` is drawn on its virtual times. An operation whose outcome is unknown
    is drawn as a thin dashed bar open to the right, above its client's row, so it does
    not hide what the client did next.
    """
    ops = from_history(history, by="time") if isinstance(history, History) else as_ops(history)
    if processes is None:
        processes = sorted({op.process for op in ops})
    row = {p: i for i, p in enumerate(processes)}
    finite = [t for op in ops for t in (op.call, op.ret) if math.isfinite(t)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = (hi - lo) or 1.0
    right = hi + 0.08 * span
    if ax is None:
        _, ax = plt.subplots(figsize=figsize or (8.0, 0.55 * len(processes) + 1.3))
    placed: set[int] = set()
    bad: set[int] = set()
    points: dict[int, float] = {}
    if result is not None:
        if result.linearizable:
            for part in result.partitions:
                points.update(linearization_points(part.linearization))
        else:
            placed = {op.id for op in result.longest_partial}
            bad = {op.id for op in result.unplaceable}
    for op in ops:
        y = row[op.process]
        if not math.isfinite(op.ret):  # unknown outcome: above the row, open-ended
            ax.plot([op.call, right], [y - 0.36, y - 0.36], color="#9e9e9e", lw=1.2,
                    ls=(0, (3, 2)), zorder=2)
            ax.plot([op.call], [y - 0.36], marker="|", ms=8, color="#616161", zorder=3)
            label = (model.describe_operation((op.f, op.input), op.output) if model
                     else f"{op.f}({'' if op.input is None else repr(op.input)})→?")
            ax.text(op.call, y - 0.42, label + "  (outcome unknown)", fontsize=7, va="bottom",
                    ha="left", color="#616161", clip_on=True)
            if op.id in points:
                ax.plot([points[op.id]], [y - 0.36], marker="v", ms=6, color="#0072B2",
                        zorder=5)
            continue
        end = op.ret
        color = "#e3f2fd"
        edge = "#0072B2"
        if op.id in bad:
            color, edge = "#ffcdd2", "#c62828"
        elif op.id in placed:
            color, edge = "#c8e6c9", "#2e7d32"
        box = FancyBboxPatch((op.call, y - 0.28), max(end - op.call, 1e-9), 0.56,
                             boxstyle="round,pad=0,rounding_size=0.08", mutation_aspect=0.3,
                             fc=color, ec=edge, lw=1.2,
                             ls="-" if math.isfinite(op.ret) else (0, (3, 2)),
                             alpha=1.0 if op.output is not UNKNOWN else 0.7)
        ax.add_patch(box)
        if model is not None:
            text = model.describe_operation((op.f, op.input), op.output)
        else:
            arg = "" if op.input is None else repr(op.input)
            out = "?" if op.output is UNKNOWN else repr(op.output)
            text = f"{op.f}({arg})→{out}"
        ax.text(op.call + 0.5 * (end - op.call), y, text, ha="center", va="center",
                fontsize=7.5, clip_on=True)
    if points:
        for op in ops:
            if op.id in points and math.isfinite(op.ret):
                ax.plot([points[op.id]], [row[op.process] + 0.36], marker="v", ms=6,
                        color="#0072B2", zorder=5)
    ax.set_yticks(range(len(processes)))
    ax.set_yticklabels(processes)
    ax.set_ylim(len(processes) - 0.4, -0.75)
    ax.set_xlim(lo - 0.03 * span, right + 0.02 * span)
    ax.set_xlabel("time")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title is None and result is not None:
        title = result.verdict
        if result.failed:
            title += (f": {len(result.longest_partial)} op(s) linearized (green), then none of "
                      f"the red ones fits")
        elif result.linearizable:
            title += " (▼ where each operation takes effect)"
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax
