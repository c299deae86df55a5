"""Pictures for Part 2's consistency notebooks: the map of consistency models (a
networkx graph drawn from data) and the linearizability search, step by step.

``HIERARCHY`` is the map as data (after Viotti & Vukolić 2016, simplified): an edge
``A -> B`` says that every history allowed by ``A`` is allowed by ``B``.
``search_steps`` runs the library's ``Search`` one step at a time and records what
each step did; ``draw_search_step`` and ``animate_search`` draw those records.
Taught in notebooks 2.1 and 2.2.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from ..consistency.linearizability import Search
from ..consistency.models import Model
from ..consistency.operations import as_ops
from .animation import Animation, animate

__all__ = ["HIERARCHY", "KINDS", "hierarchy", "SearchStep", "search_steps",
           "draw_search_step", "animate_search"]

#: name -> (kind, position); kinds: "strong", "weak", "session".
KINDS: dict[str, tuple[str, tuple[float, float]]] = {
    "linearizable": ("strong", (1.0, 5.0)),
    "sequential": ("strong", (1.0, 4.0)),
    "causal+": ("weak", (1.0, 3.0)),
    "causal": ("weak", (0.25, 2.0)),
    "eventual": ("weak", (1.95, 2.0)),
    "PRAM (FIFO)": ("weak", (-0.35, 1.0)),
    "writes follow reads": ("session", (0.95, 1.0)),
    "read your writes": ("session", (-1.25, 0.0)),
    "monotonic reads": ("session", (-0.35, 0.0)),
    "monotonic writes": ("session", (0.55, 0.0)),
}

#: (stronger, weaker, how): "safety" edges hold on every history; a "liveness" edge
#: adds convergence (what the weaker model promises in the limit).
HIERARCHY: list[tuple[str, str, str]] = [
    ("linearizable", "sequential", "safety"),
    ("sequential", "causal+", "safety"),
    ("causal+", "causal", "safety"),
    ("causal+", "eventual", "liveness"),
    ("causal", "PRAM (FIFO)", "safety"),
    ("causal", "writes follow reads", "safety"),
    ("PRAM (FIFO)", "read your writes", "safety"),
    ("PRAM (FIFO)", "monotonic reads", "safety"),
    ("PRAM (FIFO)", "monotonic writes", "safety"),
]

_FILL = {"strong": "#0072B2", "weak": "#009E73", "session": "#E69F00"}
_LEGEND = {"strong": "strong (behaves like one copy)", "weak": "weak (data-centric)",
           "session": "session guarantees (client-centric)"}


def hierarchy(*, ax: Axes | None = None, checked: Sequence[str] = (),
              highlight: Mapping[str, bool] | None = None,
              title: str | None = None, figsize: tuple[float, float] = (8.0, 5.2)) -> Axes:
    """Draw ``HIERARCHY`` as a directed graph: an arrow points to a weaker model.

    ``checked`` names the models a checker of the book judges (drawn with a thick
    black outline). ``highlight`` maps model names to True/False (drawn with a green
    tick or a red cross beside the name), e.g. one history's verdicts.
    """
    import networkx as nx  # imported here: it costs 0.3 s, and most pages never draw a graph

    g = nx.DiGraph()
    for name, (kind, _) in KINDS.items():
        g.add_node(name, kind=kind)
    for a, b, how in HIERARCHY:
        g.add_edge(a, b, how=how)
    pos = {n: KINDS[n][1] for n in g.nodes}
    unknown = [n for n in list(checked) + list(highlight or {}) if n not in KINDS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; models are {sorted(KINDS)}")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    half: dict[str, tuple[float, float]] = {}
    for name, (kind, (x, y)) in KINDS.items():
        text = name.replace(" (FIFO)", "\n(FIFO)")
        if highlight is not None and name in highlight:
            text += "  ✔" if highlight[name] else "  ✘"
        bold = name in checked
        ax.text(x, y, text, ha="center", va="center", fontsize=9, color="white",
                fontweight="bold" if bold else "normal", zorder=5,
                bbox=dict(boxstyle="round,pad=0.45", fc=_FILL[kind],
                          ec="black" if bold else "white", lw=2.2 if bold else 1.0))
        lines = text.split("\n")
        half[name] = (0.05 * max(len(t) for t in lines) + 0.12, 0.17 * len(lines) + 0.12)
    for a, b, data in g.edges(data=True):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        dx, dy = x2 - x1, y2 - y1

        def edge(name: str, sign: float) -> tuple[float, float]:
            # where the segment leaves the node's box (boxes are about half x half)
            hw, hh = half[name]
            t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
            cx, cy = pos[name]
            return cx + sign * t * dx, cy + sign * t * dy

        ax.annotate("", xy=edge(b, -1.0), xytext=edge(a, 1.0), zorder=3,
                    arrowprops=dict(arrowstyle="-|>", color="#616161", lw=1.3,
                                    mutation_scale=14, shrinkA=0, shrinkB=0,
                                    ls="--" if data["how"] == "liveness" else "-"))
    for kind, label in _LEGEND.items():
        ax.plot([], [], "s", color=_FILL[kind], ms=10, label=label)
    ax.plot([], [], color="#616161", label="implies (every history of A is one of B)")
    ax.plot([], [], color="#616161", ls="--", label="implies, adding convergence")
    if checked:
        ax.plot([], [], "s", mfc="white", mec="black", mew=2, ms=10,
                label="judged by a checker in this book")
    ax.legend(loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(-0.02, 1.02))
    ax.set_xlim(-1.9, 2.7)
    ax.set_ylim(-0.6, 5.5)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return ax


# --- the search, step by step ------------------------------------------------------------------
@dataclass(frozen=True)
class SearchStep:
    """What the search looked like after one step, and what the step did."""

    step: int
    remaining: tuple[int, ...]      # entries still in the list (positive: call of op i+1 ...)
    current: int                    # the entry the search looks at next (-1: none)
    linearized: tuple[int, ...]     # op indices, in the order they were linearized
    states: tuple[Any, ...]         # the model state after each linearized op
    action: str                     # what this step did, in words
    result: bool | None             # the verdict, once known


def _entry_label(search: Search, e: int) -> tuple[str, int]:
    i = search.code[e]
    return ("call", i) if i >= 0 else ("ret", ~i)


def _snapshot(search: Search, step: int, action: str) -> SearchStep:
    remaining, e = [], search.nxt[0]
    while e != -1:
        remaining.append(e)
        e = search.nxt[e]
    lin = tuple(search.code[x] for x in search.stack[0::2])
    sids = list(search.stack[1::2][1:]) + ([search.sid] if lin else [])
    states = tuple(search.states[s] for s in sids)
    current = search.entry if search.result is None and search.entry > 0 else -1
    return SearchStep(step, tuple(remaining), current, lin, states, action, search.result)


def search_steps(history: Any, model: Model, *, max_steps: int = 200) -> list[SearchStep]:
    """Run ``Search`` one step at a time on ``history``; one record per step.

    The first record is the start. Each later one says what the step did: lift an
    operation (linearize it), pass a call it could not place, or backtrack at a
    return. Meant for small histories (pictures); stops after ``max_steps``.
    """
    ops = as_ops(history)
    search = Search(ops, model)
    describe = model.describe_operation
    out = [_snapshot(search, 0, "start: the list holds every call and return, in time order")]
    n = 0
    while search.result is None and n < max_steps:
        if search.nxt[0] == -1:  # the last lift emptied the list: say so on its record
            search.run(1)
            out[-1] = replace(out[-1], result=True, action=out[-1].action + "; the list is "
                              "now empty: the history is linearizable")
            break
        entry, before = search.entry, [search.code[x] for x in search.stack[0::2]]
        kind, i = _entry_label(search, entry)
        name = describe((ops[i].f, ops[i].input), ops[i].output)
        search.run(1)
        n += 1
        after = [search.code[x] for x in search.stack[0::2]]
        if len(after) > len(before):
            state = search.states[search.sid]
            action = (f"linearize {name} (op {i}): the state becomes "
                      f"{model.describe_state(state)}; lift its call and return")
        elif kind == "call":
            action = (f"{name} (op {i}) cannot take effect now (illegal in this state, "
                      f"or already tried from here): look at the next entry")
        elif search.result is False:
            action = (f"reached the return of {name} (op {i}) with nothing left to undo: "
                      f"not linearizable")
        else:
            undone = ", ".join(f"{describe((ops[j].f, ops[j].input), ops[j].output)} "
                               f"(op {j})" for j in reversed(before[len(after):]))
            action = (f"reached the return of {name} (op {i}), not yet linearized: "
                      f"backtrack, undo {undone}, and try the entry after its call")
        out.append(_snapshot(search, n, action))
    return out


def draw_search_step(step: SearchStep, history: Any, model: Model, *,
                     fig: plt.Figure | None = None) -> plt.Figure:
    """Draw one ``SearchStep`` on one axes: the history on top (linearized operations
    green), then the list of entries (lifted ones dashed) and the linearized prefix."""
    ops = as_ops(history)
    search = Search(ops, model)  # only for the entry codes (deterministic)
    if fig is None:
        fig = plt.figure(figsize=(8.6, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_axis_off()
    describe = model.describe_operation
    total = len(search.code) - 1
    # the history, scaled into the width of the entry list
    finite = [t for op in ops for t in (op.call, op.ret) if math.isfinite(t)]
    lo, hi = min(finite), max(finite)
    width = max(total, 4) - 1.0
    scale = width / ((hi - lo) or 1.0)
    x_of = lambda t: (t - lo) * scale  # noqa: E731
    lin = set(step.linearized)
    procs = sorted({op.process for op in ops})
    top = 2.2 + 0.75 * len(procs)
    for k, op in enumerate(ops):
        y = top - 0.75 * (procs.index(op.process) + 1)
        end = op.ret if math.isfinite(op.ret) else hi + 0.05 * (hi - lo)
        done = k in lin
        ax.add_patch(FancyBboxPatch((x_of(op.call), y - 0.25), x_of(end) - x_of(op.call), 0.5,
                                    boxstyle="round,pad=0,rounding_size=0.08",
                                    fc="#c8e6c9" if done else "#e3f2fd",
                                    ec="#2e7d32" if done else "#0072B2", lw=1.1))
        label = f"op {k}: {describe((op.f, op.input), op.output)}"
        if x_of(end) - x_of(op.call) > 0.075 * len(label):
            ax.text((x_of(op.call) + x_of(end)) / 2, y, label, ha="center", va="center",
                    fontsize=8)
        else:  # a short bar: write beside it
            ax.text(x_of(end) + 0.1, y, label, ha="left", va="center", fontsize=8)
        ax.text(-0.75, y, op.process, ha="right", va="center", fontsize=9)
    ax.text(-0.6, 1.45, "the list: Ck = call of op k, Rk = its return, in time order "
                        "(dashed: lifted out)", fontsize=8, ha="left", va="bottom")
    live = set(step.remaining)
    for e in range(1, total + 1):
        kind, i = _entry_label(search, e)
        here = e == step.current
        x = e - 1
        if e in live:
            fc = "#fff3cd" if here else ("#e3f2fd" if kind == "call" else "#f5f5f5")
            ec, lw, ls, color = ("#c62828" if here else "#0072B2"), (2.0 if here else 1.0), \
                "-", "black"
        else:
            fc, ec, lw, ls, color = "white", "#bdbdbd", 1.0, "--", "#9e9e9e"
        ax.add_patch(FancyBboxPatch((x - 0.38, 0.6), 0.76, 0.6,
                                    boxstyle="round,pad=0.02,rounding_size=0.1",
                                    fc=fc, ec=ec, lw=lw, ls=ls))
        ax.text(x, 0.9, f"{'C' if kind == 'call' else 'R'}{i}", ha="center", va="center",
                fontsize=9, color=color)
        if here:
            ax.annotate("next", (x, 0.57), (x, 0.15), ha="center", va="center", fontsize=8,
                        color="#c62828", arrowprops=dict(arrowstyle="->", color="#c62828"))
    prev = ax.text(-0.6, -0.45, "linearized so far:", fontsize=8, ha="left", va="center")
    items = [f"{describe((ops[i].f, ops[i].input), ops[i].output)}  ⇒  "
             f"{model.describe_state(state)}"
             for i, state in zip(step.linearized, step.states)]
    if not items:
        items = [f"nothing yet (the state is {model.describe_state(model.init)})"]
    for label in items:
        box = dict(boxstyle="round,pad=0.3", fc="#c8e6c9", ec="#2e7d32") \
            if step.linearized else None
        prev = ax.annotate(label, xy=(1.0, 0.5), xycoords=prev, xytext=(10, 0),
                           textcoords="offset points", fontsize=8, va="center", ha="left",
                           bbox=box)
    verdict = {True: "  ✔", False: "  ✘"}.get(step.result, "")
    ax.set_title(textwrap.fill(f"step {step.step}: {step.action}{verdict}", 100),
                 loc="left", fontsize=9)
    ax.set_xlim(-1.2, width + 0.6)
    ax.set_ylim(-0.8, top)
    return fig


def animate_search(history: Any, model: Model, *, max_steps: int = 60,
                   figsize: tuple[float, float] = (8.2, 3.9), dpi: int = 78) -> Animation:
    """A step-through animation of the search on a small history (the static twin of
    stepping ``Search.run(1)`` by hand)."""
    steps = search_steps(history, model, max_steps=max_steps)

    def draw(fig: plt.Figure, i: int) -> None:
        draw_search_step(steps[i], history, model, fig=fig)

    return animate(draw, len(steps), figsize=figsize, dpi=dpi, interval_ms=1400)
