"""A generic explorer over a simulation: step, run, crash, restart, partition, heal.

Every chapter's "Try it" section builds on this. The learner drives a live simulation
with buttons and sees a space-time diagram and a table of node states; each button
also writes the line of Python it stands for, so the session can be replayed in code.
It needs a live kernel; its static twin for the site is an animation from
``distlab.viz.animate_trace``.

The actions are ordinary methods (``step``, ``advance``, ``crash``, ...), so tests and
notebooks can drive an explorer without clicking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ..sim import Node, Simulation
from ..viz.spacetime import spacetime

__all__ = ["Explorer", "parse_groups"]


def parse_groups(text: str, known: Sequence[str]) -> list[list[str]]:
    """Parse ``"n1,n2 | n3"`` into ``[["n1", "n2"], ["n3"]]``, checking node names."""
    if not isinstance(text, str):
        raise TypeError(f"groups must be written as text such as 'n1,n2 | n3', got {text!r}")
    groups = []
    for part in text.split("|"):
        members = [m.strip() for m in part.replace(" ", ",").split(",") if m.strip()]
        for m in members:
            if m not in known:
                raise ValueError(f"{m!r} is not a node; nodes are {', '.join(known)}")
        if members:
            groups.append(members)
    if not groups:
        raise ValueError("write the groups as node names separated by '|', e.g. 'n1,n2 | n3'")
    return groups


class Explorer:
    """Drive a simulation interactively.

    Parameters
    ----------
    build
        ``build(seed) -> Simulation``: makes a fresh simulation (nodes added, not run).
    seed
        The first seed; the learner can change it and reset.
    state
        ``state(node) -> dict`` for the state table (default ``node.state()``).
    step_size
        How far the "+Δt" button advances time.
    window
        Show only the last ``window`` time units in the diagram (``None``: all).
    diagram
        Extra keyword arguments for ``distlab.viz.spacetime``.
    """

    def __init__(self, build: Callable[[int], Simulation], *, seed: int = 0,
                 state: Callable[[Node], dict] | None = None, step_size: float = 10.0,
                 window: float | None = None, diagram: dict[str, Any] | None = None,
                 title: str = "") -> None:
        if not callable(build):
            raise TypeError("build must be callable(seed) -> Simulation")
        self._build = build
        self._state = state
        self.step_size = float(step_size)
        self.window = window
        self.diagram_kwargs = dict(diagram or {})
        self.title = title
        self.log: list[str] = []
        self.error = ""
        self.seed = seed
        self.sim = self._make(seed)
        self._widget: W.Widget | None = None

    # --- actions (buttons call these; so can code) ------------------------------------
    def _make(self, seed: int) -> Simulation:
        sim = self._build(seed)
        if not isinstance(sim, Simulation):
            raise TypeError(f"build(seed) must return a Simulation, got {sim!r}")
        return sim

    def reset(self, seed: int | None = None) -> None:
        """Start again from a fresh simulation (optionally with another seed)."""
        if seed is not None:
            self.seed = seed
        self.sim = self._make(self.seed)
        self.log = [f"sim = build(seed={self.seed})"]
        self._refresh()

    def step(self) -> None:
        """Process events until something appears in the trace."""
        new = self.sim.step()
        self.log.append("sim.step()" + ("" if new else "   # nothing left to happen"))
        self._refresh()

    def advance(self, dt: float | None = None) -> None:
        """Run for ``dt`` more time units (default ``step_size``)."""
        dt = self.step_size if dt is None else float(dt)
        self.sim.run(until=self.sim.now + dt)
        self.log.append(f"sim.run(until={self.sim.now:g})")
        self._refresh()

    def crash(self, node: str) -> None:
        self._guard(lambda: self.sim.crash(node), f"sim.crash({node!r})")

    def restart(self, node: str) -> None:
        self._guard(lambda: self.sim.restart(node), f"sim.restart({node!r})")

    def partition(self, text: str) -> None:
        """Partition into groups written as ``"n1,n2 | n3"``."""
        def act() -> None:
            groups = parse_groups(text, self.sim.node_ids)
            self.sim.partition(*groups)
            self.log[-1] = "sim.partition(" + ", ".join(map(repr, groups)) + ")"
        self._guard(act, "sim.partition(...)")

    def heal(self) -> None:
        self._guard(self.sim.heal, "sim.heal()")

    def _guard(self, action: Callable[[], Any], code: str) -> None:
        self.log.append(code)
        try:
            action()
            self.error = ""
        except (ValueError, TypeError) as exc:
            self.log.pop()
            self.error = str(exc)
        self._refresh()

    # --- views ----------------------------------------------------------------------------
    def state_rows(self) -> list[dict[str, Any]]:
        """One row per node: up/down plus its state (what the table shows)."""
        rows = []
        for n in self.sim.node_ids:
            row: dict[str, Any] = {"node": n}
            if self.sim.is_up(n):
                node = self.sim.node(n)
                starting = n in self.sim._pending_start
                row["status"] = "starting" if starting else "up"
                try:
                    st = self._state(node) if self._state else node.state()
                except (AttributeError, KeyError):
                    if not starting:
                        raise
                    st = {}  # on_start has not run yet: state set there is missing
                row.update({k: _short(v) for k, v in st.items()})
            else:
                row["status"] = "crashed"
            rows.append(row)
        return rows

    def draw(self, ax=None):
        """Draw the current space-time diagram."""
        start = None
        if self.window is not None:
            start = max(0.0, self.sim.now - self.window)
        end = max(self.sim.now, 1.0)
        return spacetime(self.sim, ax=ax, start=start, end=end, now=self.sim.now,
                         **self.diagram_kwargs)

    def _refresh(self) -> None:
        if self._widget is None:
            return
        import pandas as pd

        with self._out:
            self._out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(9.5, 0.5 * len(self.sim.node_ids) + 1.4))
            self.draw(ax=ax)
            plt.show()
            plt.close(fig)  # outside the inline backend, figures would pile up
        self._table.value = pd.DataFrame(self.state_rows()).to_html(index=False, na_rep="")
        self._clock.value = f"<b>t = {self.sim.now:.2f}</b> &nbsp; seed {self.seed}"
        self._code.value = "\n".join(self.log[-12:])
        self._err.value = f"<span style='color:#c62828'>{self.error}</span>" if self.error else ""
        self._node.options = list(self.sim.node_ids)

    # --- the widget -------------------------------------------------------------------------
    def widget(self) -> W.Widget:
        """Build (once) and return the ipywidgets layout."""
        if self._widget is not None:
            return self._widget
        nodes = list(self.sim.node_ids)
        btn = lambda text, tip: W.Button(description=text, tooltip=tip,  # noqa: E731
                                         layout=W.Layout(width="auto"))
        b_step, b_adv = btn("Step", "next event"), btn(f"+{self.step_size:g}", "run on")
        b_reset = btn("Reset", "start again with this seed")
        self._seed_box = W.IntText(value=self.seed, description="seed",
                                   layout=W.Layout(width="150px"))
        self._node = W.Dropdown(options=nodes, description="node",
                                layout=W.Layout(width="170px"))
        b_crash, b_restart = btn("Crash", "crash the node"), btn("Restart", "restart it")
        self._groups = W.Text(value=" | ".join(nodes[:1] + [",".join(nodes[1:])]),
                              description="groups", layout=W.Layout(width="260px"))
        b_part, b_heal = btn("Partition", "split the network"), btn("Heal", "reconnect")
        self._out = W.Output()
        self._table = W.HTML()
        self._clock = W.HTML()
        self._err = W.HTML()
        self._code = W.Textarea(layout=W.Layout(width="100%", height="9em"), disabled=True)

        b_step.on_click(lambda _: self.step())
        b_adv.on_click(lambda _: self.advance())
        b_reset.on_click(lambda _: self.reset(self._seed_box.value))
        b_crash.on_click(lambda _: self.crash(self._node.value))
        b_restart.on_click(lambda _: self.restart(self._node.value))
        b_part.on_click(lambda _: self.partition(self._groups.value))
        b_heal.on_click(lambda _: self.heal())

        header = [W.HTML(f"<b>{self.title}</b>")] if self.title else []
        self._widget = W.VBox(header + [
            W.HBox([b_step, b_adv, self._clock]),
            W.HBox([self._node, b_crash, b_restart, self._groups, b_part, b_heal]),
            W.HBox([self._seed_box, b_reset, self._err]),
            self._out,
            W.HBox([self._table]),
            W.Accordion(children=[self._code], titles=("the same, in code",)),
        ])
        if not self.log:
            self.log = [f"sim = build(seed={self.seed})"]
        self._refresh()
        return self._widget

    def _ipython_display_(self) -> None:
        display(self.widget())


def _short(value: Any, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
