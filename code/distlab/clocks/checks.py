"""Checkers: do a run's timestamps respect, or characterise, happens-before?

- The **clock condition** (Lamport 1978, section 3): for any events ``a``, ``b``,
  if ``a -> b`` then ``C(a) < C(b)``. Lamport clocks satisfy it; vector clocks too.
- Its **converse** does not hold for Lamport clocks: ``C(a) < C(b)`` says nothing when
  ``a || b``. :func:`false_orders` lists the concurrent pairs a clock orders anyway.
- **Characterisation** (Fidge 1988; Mattern 1989, section 4): ``a -> b`` *if and only
  if* ``V(a) < V(b)``. :func:`characterisation_violations` lists every pair on which
  the vector order and happens-before disagree.

Each takes the relation computed from the trace (``HappensBefore``) and the timestamps
the nodes reported (``read_stamps``), and returns the offending pairs: an empty list
means the property held on this run. Taught in notebooks 1.2 and 1.3.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .causality import Event, HappensBefore
from .vector import VectorClock

__all__ = ["Violation", "clock_condition_violations", "false_orders",
           "characterisation_violations", "missing_stamps"]


@dataclass(frozen=True, slots=True)
class Violation:
    """A pair of events on which the clock and happens-before disagree."""

    a: str
    b: str
    causal: str       #: what happens-before says of (a, b): before, after, concurrent
    clock: str        #: what the timestamps say
    stamp_a: Any
    stamp_b: Any

    def __str__(self) -> str:
        return (f"{self.a} is {self.causal} {self.b} but the clocks say {self.clock} "
                f"({self.stamp_a} vs {self.stamp_b})")


def _check(hb: Any, stamps: Any) -> None:
    if not isinstance(hb, HappensBefore):
        raise TypeError(f"hb must be a HappensBefore (HappensBefore.from_trace(sim)), "
                        f"got {type(hb).__name__}")
    if not isinstance(stamps, Mapping):
        raise TypeError(f"stamps must map event ids to timestamps (read_stamps(sim)), "
                        f"got {type(stamps).__name__}")


def missing_stamps(hb: HappensBefore, stamps: Mapping[str, Any]) -> list[str]:
    """Ids of events that have no timestamp."""
    _check(hb, stamps)
    return [e.id for e in hb.events if e.id not in stamps]


def clock_condition_violations(hb: HappensBefore, stamps: Mapping[str, Any], *,
                               less: Callable[[Any, Any], bool] = operator.lt
                               ) -> list[Violation]:
    """Pairs with ``a -> b`` but not ``C(a) < C(b)`` (events without a stamp are skipped)."""
    _check(hb, stamps)
    out = []
    for a, b in hb.pairs():
        sa, sb = stamps.get(a.id), stamps.get(b.id)
        if sa is None or sb is None:
            continue
        if not less(sa, sb):
            out.append(Violation(a.id, b.id, "before", "not before", sa, sb))
    return out


def false_orders(hb: HappensBefore, stamps: Mapping[str, Any], *,
                 less: Callable[[Any, Any], bool] = operator.lt) -> list[Violation]:
    """Concurrent pairs that the clock orders anyway (``a || b`` and ``C(a) < C(b)``).

    Each pair is reported once, oriented so that ``C(a) < C(b)``.
    """
    _check(hb, stamps)
    out = []
    for a, b in hb.concurrent_pairs():
        sa, sb = stamps.get(a.id), stamps.get(b.id)
        if sa is None or sb is None:
            continue
        if less(sa, sb):
            out.append(Violation(a.id, b.id, "concurrent with", "before", sa, sb))
        elif less(sb, sa):
            out.append(Violation(b.id, a.id, "concurrent with", "before", sb, sa))
    return out


def characterisation_violations(hb: HappensBefore, stamps: Mapping[str, VectorClock]
                                ) -> list[Violation]:
    """Pairs on which ``VectorClock.compare`` and happens-before disagree.

    Two distinct events with *equal* vectors are a violation too: distinct events must
    have distinct timestamps.
    """
    _check(hb, stamps)
    events: list[Event] = [e for e in hb.events if e.id in stamps]
    nodes = sorted({k for e in events for k in stamps[e.id]} | {e.node for e in events})
    vec = {}
    for e in events:
        v = stamps[e.id]
        if not isinstance(v, Mapping):
            raise TypeError(f"stamps[{e.id!r}] must be a VectorClock, got {v!r}")
        vec[e.id] = tuple(v.get(n, 0) for n in nodes)
    out = []
    for j, b in enumerate(events):
        vb = vec[b.id]
        for a in events[:j]:
            va = vec[a.id]
            le = all(map(operator.le, va, vb))
            ge = all(map(operator.ge, va, vb))
            clock = ("equal" if le and ge else "before" if le else "after" if ge
                     else "concurrent")
            causal = hb.compare(a, b)
            if clock != causal:
                out.append(Violation(a.id, b.id, causal, clock, stamps[a.id], stamps[b.id]))
    return out
