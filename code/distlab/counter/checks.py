"""Checking a replicated counter from what was observed: the history and the trace.

The *expected* value comes from the clients' history: the sum of the acknowledged
increments minus the acknowledged decrements. An operation whose outcome the client
never learned (``pending`` or ``info``) may or may not have taken effect, so it widens
the range of acceptable values. The *observed* values come from the trace: the last
``value`` output of each replica. A run is correct when every replica reports the same
value (convergence) and that value is the expected one (no increment lost or counted
twice). Nothing here reads a replica's memory (DESIGN.md, "checkers are first-class").

Taught in notebook 1.5 ("Project: a distributed counter").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..sim import History, Operation, Simulation, Trace
from ..sim import _check

__all__ = ["SIGN", "acknowledged", "uncertain", "final_values", "Convergence",
           "check_convergence"]

#: The effect of each kind of operation on the counter.
SIGN = {"increment": +1, "decrement": -1}


def _ops(history: History) -> list[Operation]:
    if not isinstance(history, History):
        raise TypeError(f"history must be a distlab.sim.History, got {type(history).__name__}")
    return [o for o in history.operations() if o.f in SIGN]


def acknowledged(history: History) -> int:
    """Acknowledged increments minus acknowledged decrements (``ok`` operations only)."""
    return sum(SIGN[o.f] * o.input for o in _ops(history) if o.status == "ok")


def uncertain(history: History) -> list[Operation]:
    """Operations whose outcome the client never learned (``pending`` or ``info``)."""
    return [o for o in _ops(history) if o.status in ("pending", "info")]


def final_values(trace: Trace, nodes: Iterable[str]) -> dict[str, int | None]:
    """The last ``value`` output of each node in ``nodes`` (``None``: it never reported)."""
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a distlab.sim.Trace, got {type(trace).__name__}")
    if isinstance(nodes, str):
        raise TypeError("nodes must be a list of node ids, not a string")
    out: dict[str, int | None] = {_check.node_id("nodes", n): None for n in nodes}
    for e in trace.outputs("value"):
        if e.node in out:
            out[e.node] = e.msg
    return out


@dataclass(frozen=True)
class Convergence:
    """The verdict on one run: expected value (range), each replica's final value."""

    seed: int
    expected: int
    low: int
    high: int
    values: dict[str, int | None]
    uncertain: int

    @property
    def converged(self) -> bool:
        """Every replica reported, and all report the same value."""
        vals = list(self.values.values())
        return bool(vals) and None not in vals and len(set(vals)) == 1

    @property
    def correct(self) -> bool:
        """Converged, to a value the history allows (exactly ``expected`` if certain)."""
        if not self.converged:
            return False
        v = next(iter(self.values.values()))
        return self.low <= v <= self.high  # type: ignore[operator]

    def problem(self) -> str | None:
        """``None`` if correct, else one line that names the seed and what went wrong."""
        if self.correct:
            return None
        shown = ", ".join(f"{n}={v}" for n, v in self.values.items())
        want = (f"{self.expected}" if self.low == self.high
                else f"{self.low}..{self.high} ({self.uncertain} operations uncertain)")
        what = "replicas disagree" if not self.converged else "wrong value"
        return f"seed={self.seed}: {what}: {shown}; acknowledged total {want}"


def check_convergence(sim: Simulation, replicas: Iterable[str]) -> Convergence:
    """Judge a finished run: do ``replicas`` agree on the acknowledged total?"""
    if not isinstance(sim, Simulation):
        raise TypeError(f"sim must be a distlab.sim.Simulation, got {type(sim).__name__}")
    replicas = list(replicas)
    for r in replicas:
        _check.known_node("replicas", r, sim.node_ids)
    expected = acknowledged(sim.history)
    open_ops = uncertain(sim.history)
    low = expected - sum(o.input for o in open_ops if o.f == "decrement")
    high = expected + sum(o.input for o in open_ops if o.f == "increment")
    return Convergence(seed=sim.seed, expected=expected, low=low, high=high,
                       values=final_values(sim.trace, replicas), uncertain=len(open_ops))
