"""Invariant checkers for Paxos, judged from the trace (``output`` events), never from
a node's memory.

Safety of consensus (Lamport 2001, §2.1): only a value that has been proposed may be
chosen (**validity**), only a single value is chosen, and a process never learns that a
value has been chosen unless it actually has been (**agreement**: no two learners
learn different values). For Multi-Paxos the same holds slot by slot: at most one
command per slot, and only commands a client submitted, or no-ops
(van Renesse & Altinbuken 2015, §3: the replicas' invariants). **Termination** is
liveness: it can only be asked of a run whose faults have stopped.

The protocols report ``propose`` (a proposer's value), ``decide`` (a learned value, or
``(slot, command)``) and ``submit`` (a client's command) as outputs. Taught in
notebook 2.4.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..sim import Simulation, Trace
from .messages import NOOP, Command

__all__ = ["Problem", "synod_decisions", "agreement", "validity", "termination",
           "slot_decisions", "slot_agreement", "slot_validity", "decided_logs"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A property that does not hold, with a readable account of why."""

    property: str
    detail: str

    def __str__(self) -> str:
        return f"{self.property}: {self.detail}"


def _trace(source: Any) -> Trace:
    if isinstance(source, Simulation):
        return source.trace
    if isinstance(source, Trace):
        return source
    raise TypeError(f"expected a Simulation or a Trace, got {type(source).__name__}")


def synod_decisions(source: Any) -> list[tuple[float, str, Any]]:
    """``(time, node, value)`` for every ``decide`` output, in trace order."""
    return [(e.time, e.node, e.msg) for e in _trace(source).outputs("decide")]


def _distinct(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(v == w for w in out):  # values need not be hashable
            out.append(v)
    return out


def agreement(source: Any) -> list[Problem]:
    """No two learners learn different values (single-decree)."""
    decisions = synod_decisions(source)
    values = _distinct(v for _, _, v in decisions)
    if len(values) <= 1:
        return []
    firsts = []
    for value in values:
        t, node, _ = next(d for d in decisions if d[2] == value)
        firsts.append(f"{node} learned {value!r} at t={t:.1f}")
    return [Problem("agreement", f"{len(values)} different values learned: "
                    + "; ".join(firsts))]


def validity(source: Any) -> list[Problem]:
    """Only a proposed value is learned (single-decree)."""
    trace = _trace(source)
    proposed = _distinct(e.msg for e in trace.outputs("propose"))
    bad = [(t, n, v) for t, n, v in synod_decisions(trace) if not any(v == p for p in proposed)]
    if not bad:
        return []
    t, n, v = bad[0]
    return [Problem("validity", f"{n} learned {v!r} at t={t:.1f}, which nobody proposed "
                    f"(proposed: {proposed!r})")]


def termination(source: Any, nodes: Iterable[str]) -> list[Problem]:
    """Every node in ``nodes`` learned a value (ask it only once faults have stopped)."""
    learned = {n for _, n, _ in synod_decisions(source)}
    missing = [n for n in nodes if n not in learned]
    if not missing:
        return []
    return [Problem("termination", f"{', '.join(missing)} never learned a value")]


# --- Multi-Paxos ------------------------------------------------------------------------------
def slot_decisions(source: Any) -> list[tuple[float, str, int, Command]]:
    """``(time, node, slot, command)`` for every ``decide`` output of Multi-Paxos."""
    out = []
    for e in _trace(source).outputs("decide"):
        slot, command = e.msg
        out.append((e.time, e.node, slot, command))
    return out


def slot_agreement(source: Any) -> list[Problem]:
    """At most one command is learned per slot, across all nodes and incarnations."""
    by_slot: dict[int, dict[Command, tuple[float, str]]] = {}
    for t, node, slot, command in slot_decisions(source):
        by_slot.setdefault(slot, {}).setdefault(command, (t, node))
    problems = []
    for slot in sorted(by_slot):
        seen = by_slot[slot]
        if len(seen) > 1:
            who = "; ".join(f"{n} learned {c!r} at t={t:.1f}" for c, (t, n) in seen.items())
            problems.append(Problem("agreement", f"slot {slot}: {who}"))
    return problems


def slot_validity(source: Any) -> list[Problem]:
    """Every learned command is a no-op or a command some client submitted."""
    trace = _trace(source)
    submitted = {e.msg for e in trace.outputs("submit")}
    problems = []
    for t, node, slot, command in slot_decisions(trace):
        if command != NOOP and command not in submitted:
            problems.append(Problem("validity", f"{node} learned {command!r} in slot {slot} "
                                    f"at t={t:.1f}, which no client submitted"))
            break
    return problems


def decided_logs(source: Any, nodes: Iterable[str] | None = None) -> dict[str, dict[int, Command]]:
    """Each node's learned log ``{slot: command}``, read from its ``decide`` outputs."""
    logs: dict[str, dict[int, Command]] = {}
    if nodes is not None:
        logs = {n: {} for n in nodes}
    for _, node, slot, command in slot_decisions(source):
        if nodes is None or node in logs:
            logs.setdefault(node, {})[slot] = command
    return logs
