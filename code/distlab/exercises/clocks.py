"""Checks for the exercises of notebooks 1.2 (logical clocks) and 1.3 (vector clocks).

Exercises describe a run as a *history*: for each process, the list of its events in
order, each written ``"local"``, ``"send m"`` or ``"recv m"`` (``m`` names a message,
sent once, received at most once). Expected answers are computed here with the
library's own clocks (``LamportClock``, ``VectorClock``), on hand-written histories and
on histories of simulated runs (:func:`history_of`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from ..clocks.causality import HappensBefore
from ..clocks.lamport import LamportClock, LamportTimestamp
from ..clocks.nodes import LamportNode
from ..clocks.vector import VectorClock
from ..sim import Simulation
from . import call, expect, need_function, passed

__all__ = ["history_of", "lamport_reference", "vector_reference", "check_lamport_stamps",
           "check_may_enter", "check_vector_merge", "check_vector_compare",
           "check_vector_stamps", "HISTORIES"]

History = Mapping[str, list[str]]

#: Hand-written histories: Lamport's Figure 1 in miniature, a chain, a diamond.
HISTORIES: list[dict[str, list[str]]] = [
    {"p1": ["local", "send a", "local"], "p2": ["recv a", "send b"], "p3": ["local", "recv b"]},
    {"p1": ["send a", "recv b"], "p2": ["recv a", "send b"]},
    {"p1": ["local", "local", "local"], "p2": ["local"]},
    {"p1": ["send a", "send b", "local"], "p2": ["local", "local", "local", "recv b"],
     "p3": ["recv a", "send c"], "p4": ["recv c", "local"]},
    {"p": ["send x", "recv y", "recv z"], "q": ["send y"], "r": ["local", "local", "send z"]},
]


def _parse(history: Any) -> dict[str, list[tuple[str, str | None]]]:
    if not isinstance(history, Mapping):
        raise TypeError(f"a history maps process names to lists of events, got {history!r}")
    out = {}
    for p, events in history.items():
        steps = []
        for e in events:
            parts = e.split()
            if parts == ["local"]:
                steps.append(("local", None))
            elif len(parts) == 2 and parts[0] in ("send", "recv"):
                steps.append((parts[0], parts[1]))
            else:
                raise ValueError(f"event {e!r} of {p}: write 'local', 'send m' or 'recv m'")
        out[p] = steps
    return out


def _replay(history: History, clock_of: Callable[[str], Any],
            event: Callable[[Any, str, str, Any], Any]) -> dict[str, list[Any]]:
    """Process the events in an order where every receive follows its send."""
    parsed = _parse(history)
    pos = {p: 0 for p in parsed}
    clocks = {p: clock_of(p) for p in parsed}
    carried: dict[str, Any] = {}
    out: dict[str, list[Any]] = {p: [] for p in parsed}
    while any(pos[p] < len(parsed[p]) for p in parsed):
        progress = False
        for p in parsed:
            while pos[p] < len(parsed[p]):
                kind, m = parsed[p][pos[p]]
                if kind == "recv" and m not in carried:
                    break
                stamp, clocks[p] = event(clocks[p], p, kind, carried.get(m))
                if kind == "send":
                    carried[m] = stamp
                out[p].append(stamp)
                pos[p] += 1
                progress = True
        if not progress:
            raise ValueError("this history receives a message that is never sent")
    return out


def lamport_reference(history: History) -> dict[str, list[int]]:
    """Lamport timestamps of every event (IR1, IR2), with ``distlab``'s ``LamportClock``."""
    def event(clock: LamportClock, p: str, kind: str, tm: int | None):
        t = clock.receive(tm) if kind == "recv" else clock.tick()
        return t, clock
    return _replay(history, lambda p: LamportClock(), event)


def vector_reference(history: History) -> dict[str, dict]:
    """Vector timestamps of every event (as plain dicts), with ``VectorClock``."""
    def event(v: VectorClock, p: str, kind: str, vm: VectorClock | None):
        v = (v.merge(vm) if kind == "recv" else v).increment(p)
        return v, v
    out = _replay(history, lambda p: VectorClock(), event)
    return {p: [v.as_dict() for v in vs] for p, vs in out.items()}


def history_of(sim: Simulation) -> dict[str, list[str]]:
    """The history of a simulated run (messages named ``m<msg_id>``)."""
    hb = HappensBefore.from_trace(sim)
    out: dict[str, list[str]] = {n: [] for n in sim.node_ids}
    delivered = set()
    for e in hb.events:
        if e.kind == "local":
            out[e.node].append("local")
        elif e.kind == "send":
            out[e.node].append(f"send m{e.msg_id}")
        elif e.msg_id not in delivered:  # a duplicate copy is left out of the exercise
            delivered.add(e.msg_id)
            out[e.node].append(f"recv m{e.msg_id}")
    return {n: evs for n, evs in out.items() if evs}


def _simulated(seeds: range) -> list[dict[str, list[str]]]:
    out = []
    for seed in seeds:
        sim = Simulation(seed=seed)
        sim.add_nodes(["n1", "n2", "n3"], LamportNode, actions=5)
        sim.run(until=200)
        out.append(history_of(sim))
    return out


def _call(fn: Any, name: str, *args: Any) -> Any:
    need_function(fn, name)
    return call(fn, name, args, given=args[0] if args else None,
                hint="run it on this input yourself and read the error")


def _first_difference(expected: Mapping, got: Any) -> str:
    if not isinstance(got, Mapping):
        return "the answer is not a dict {process: [timestamps]}"
    for p, vals in expected.items():
        mine = list(got.get(p, []))
        if len(mine) != len(vals):
            return f"{p} has {len(vals)} events but the answer lists {len(mine)} timestamps"
        for i, (a, b) in enumerate(zip(vals, mine)):
            if a != b:
                return f"the first wrong timestamp is event {i + 1} of {p}"
    return ""


def check_lamport_stamps(fn: Callable[[History], dict[str, list[int]]]) -> None:
    """``fn(history)`` returns ``{process: [Lamport timestamp of each event]}``."""
    cases = HISTORIES + _simulated(range(3))
    for history in cases:
        expected = lamport_reference(history)
        got = _call(fn, "lamport_stamps", history)
        where = _first_difference(expected, got)
        expect(not where, f"lamport_stamps gave wrong timestamps: {where}", given=history,
               expected=expected, got=got,
               hint="every event ticks the clock (IR1); a receive first sets it to "
                    "max(own clock, timestamp of the send) (IR2); a receive can only be "
                    "stamped once its send has been")
    passed(f"lamport_stamps matches LamportClock on {len(cases)} histories "
           f"({len(cases) - len(HISTORIES)} from simulated runs)")


def check_may_enter(fn: Callable[..., bool]) -> None:
    """``fn(mine, queue, latest)``: rule 5 of Lamport's mutual exclusion."""
    T = LamportTimestamp
    cases = [
        (T(3, "n1"), [T(3, "n1")], {"n2": 4, "n3": 5}),
        (T(3, "n1"), [T(3, "n1")], {"n2": 4, "n3": 3}),       # n3 not heard since Tm
        (T(3, "n1"), [T(2, "n3"), T(3, "n1")], {"n2": 4, "n3": 5}),
        (T(3, "n2"), [T(3, "n1"), T(3, "n2")], {"n1": 6, "n3": 7}),   # tie: n1 first
        (T(3, "n1"), [T(3, "n1"), T(3, "n2")], {"n2": 4, "n3": 9}),
        (T(5, "n3"), [T(5, "n3"), T(8, "n1")], {"n1": 8, "n2": 6}),
        (T(5, "n3"), [T(5, "n3")], {"n1": 2, "n2": 6}),
    ]

    def reference(mine, queue, latest):
        return min(queue) == mine and all(t > mine.time for t in latest.values())

    for mine, queue, latest in cases:
        expected = reference(mine, queue, latest)
        got = _call(fn, "may_enter", mine, list(queue), dict(latest))
        expect(got == expected, "may_enter gave the wrong answer",
               given=f"may_enter(mine={mine}, queue={[str(q) for q in queue]}, "
                     f"latest={latest})",
               expected=expected, got=got,
               hint="(i) your request must come first in the queue under (C, node id), "
                    "ties broken by node id; (ii) every other process must have sent "
                    "you a message timestamped later than your request's C")
    passed(f"may_enter implements rule 5 on {len(cases)} cases")


def _random_vectors(seed: int, count: int) -> list[dict[str, int]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        out.append({n: rng.randint(0, 3) for n in ("a", "b", "c") if rng.random() < 0.8})
    return out


def _norm(v: Any) -> Any:
    return {k: c for k, c in v.items() if c} if isinstance(v, Mapping) else v


def check_vector_merge(fn: Callable[[dict, dict], dict]) -> None:
    """``fn(v, w)``: the entry-wise maximum of two vectors given as dicts."""
    vs = _random_vectors(7, 12)
    pairs = [({"a": 2}, {"b": 1}), ({"a": 2, "b": 5}, {"a": 3, "b": 1}), ({}, {"c": 4})]
    pairs += list(zip(vs[:6], vs[6:]))
    for v, w in pairs:
        expected = VectorClock(v).merge(w).as_dict()
        got = _call(fn, "merge", dict(v), dict(w))
        expect(_norm(got) == expected, "merge gave the wrong vector", given=f"merge({v}, {w})",
               expected=expected, got=got,
               hint="take every key that appears in either vector; keep the larger count "
                    "(a missing key counts as 0)")
    for v, w in pairs[:4]:
        expect(_norm(_call(fn, "merge", dict(w), dict(v))) == _norm(fn(dict(v), dict(w))),
               "merge is not commutative", given=f"{v} and {w}", got="different results")
    passed(f"merge is the entry-wise maximum on {len(pairs)} pairs, and commutative")


def check_vector_compare(fn: Callable[[dict, dict], str]) -> None:
    """``fn(v, w)``: ``"before"``, ``"after"``, ``"equal"`` or ``"concurrent"``."""
    vs = _random_vectors(11, 16)
    pairs = [({"a": 1}, {"a": 2}), ({"a": 2}, {"a": 1}), ({"a": 1}, {"b": 1}),
             ({"a": 1, "b": 0}, {"a": 1}), ({}, {"c": 1}), ({"a": 2, "b": 1}, {"a": 1, "b": 2})]
    pairs += list(zip(vs[:8], vs[8:]))
    seen = set()
    for v, w in pairs:
        expected = VectorClock(v).compare(VectorClock(w))
        seen.add(expected)
        got = _call(fn, "compare", dict(v), dict(w))
        expect(got == expected, "compare gave the wrong answer", given=f"compare({v}, {w})",
               expected=expected, got=got,
               hint="v is 'before' w when every entry of v is <= the same entry of w and "
                    "the vectors differ; missing keys count as 0")
    passed(f"compare is right on {len(pairs)} pairs covering {', '.join(sorted(seen))}")


def check_vector_stamps(fn: Callable[[History], dict[str, list[dict]]]) -> None:
    """``fn(history)`` returns ``{process: [vector timestamp (a dict) of each event]}``."""
    cases = HISTORIES + _simulated(range(3, 6))
    for history in cases:
        expected = vector_reference(history)
        got = _call(fn, "vector_stamps", history)
        normalised = ({p: [_norm(v) for v in vs] for p, vs in got.items()}
                      if isinstance(got, Mapping) else got)
        where = _first_difference(expected, normalised)
        expect(not where, f"vector_stamps gave wrong timestamps: {where}", given=history,
               expected=expected, got=got,
               hint="every event adds 1 to the process's own entry; a receive first takes "
                    "the entry-wise maximum with the vector the message carried")
    passed(f"vector_stamps matches VectorClock on {len(cases)} histories "
           f"({len(cases) - len(HISTORIES)} from simulated runs)")
