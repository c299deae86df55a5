"""Checks for the exercises of notebook 1.5, "Project: a distributed counter".

The learner writes a G-Counter's merge and a PN-Counter's value on plain dicts
(``{replica: count}``), the payloads of Shapiro et al. 2011b, Specifications 6 and 7;
the checks compare them with ``distlab.crdt`` and test the merge laws.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from ..crdt import GCounter, PNCounter
from . import call, expect, fail, passed

__all__ = ["check_gcounter_merge", "check_pn_value"]

_REPLICAS = ("r1", "r2", "r3")


def _call(fn: Callable[..., Any], name: str, *args: Any) -> Any:
    """Call the learner's function with copies, turning its errors into messages."""
    copies = [dict(a) for a in args]
    shown = ", ".join(repr(a) for a in args)
    out = call(fn, name, tuple(copies), shown=shown,
               hint="the arguments are plain dicts {replica: count}; a replica missing from "
                    "a dict has count 0 (use .get(replica, 0))")
    for original, copy in zip(args, copies):
        expect(copy == dict(original), f"{name} changed its argument",
               given=f"{name}({shown})", expected=dict(original), got=copy,
               hint="build a new dict for the result; states are values, never "
                    "modified in place (a replica may still be sending the old one)")
    return out


def _normal(d: Any) -> Any:
    """A dict without its zero entries (a missing entry and a 0 mean the same)."""
    if isinstance(d, Mapping):
        return {k: v for k, v in sorted(d.items()) if v != 0}
    return d


def _random_state(rng: random.Random) -> dict[str, int]:
    return {r: rng.randrange(4) for r in _REPLICAS if rng.random() < 0.7}


def check_gcounter_merge(merge: Callable[[dict, dict], dict]) -> None:
    """``merge(a, b)``: the G-Counter merge of two payloads ``{replica: count}``."""
    name = "gcounter_merge"
    if not callable(merge):
        fail(f"{name}: expected a function", expected="a callable", got=merge,
             hint="define `def gcounter_merge(a, b): ...` in the cell above and run it")
    cases = [
        (({}, {}), {}, "two empty counters merge to an empty counter"),
        (({"r1": 2}, {}), {"r1": 2}, "merging with an empty counter changes nothing"),
        (({}, {"r2": 1}), {"r2": 1},
         "entries that only the second argument has must be in the result too"),
        (({"r1": 2, "r2": 1}, {"r1": 1, "r2": 3}), {"r1": 2, "r2": 3},
         "each replica's entry counts that replica's increments: keep the larger count"),
        (({"r1": 3}, {"r1": 3}), {"r1": 3},
         "merging a state with a copy of itself (a duplicated gossip message) must not "
         "change it"),
        (({"r1": 1, "r3": 4}, {"r2": 2, "r3": 1}), {"r1": 1, "r2": 2, "r3": 4},
         "take every replica that appears in either argument"),
    ]
    for (a, b), expected, why in cases:
        got = _call(merge, name, a, b)
        if not isinstance(got, Mapping):
            fail(f"{name} must return a dict", given=f"{name}({a!r}, {b!r})",
                 expected=expected, got=got, hint="return the merged {replica: count} dict")
        if _normal(got) != expected:
            hint = why
            same = set(a) & set(b)
            if same and all(got.get(k) == a[k] + b[k] for k in same):
                hint = ("you added the two counts: then a duplicated or re-sent state is "
                        "counted twice (the merge must be idempotent): keep the maximum")
            elif same and all(got.get(k) == min(a[k], b[k]) for k in same):
                hint = ("you kept the smaller count: the merge must keep every increment "
                        "either side has seen: keep the maximum")
            fail(f"{name} gave a wrong merge", given=f"{name}({a!r}, {b!r})",
                 expected=expected, got=_normal(got), hint=hint)
    rng = random.Random(15)
    for _ in range(200):
        a, b, c = _random_state(rng), _random_state(rng), _random_state(rng)
        ab, ba = _normal(_call(merge, name, a, b)), _normal(_call(merge, name, b, a))
        expect(ab == ba, f"{name} is not commutative", given=f"a={a!r}, b={b!r}",
               expected=f"merge(a, b) == merge(b, a) == {ab!r}", got=f"merge(b, a) = {ba!r}",
               hint="the order in which two states meet must not matter")
        left = _normal(_call(merge, name, _call(merge, name, a, b), c))
        right = _normal(_call(merge, name, a, _call(merge, name, b, c)))
        expect(left == right, f"{name} is not associative", given=f"a={a!r}, b={b!r}, c={c!r}",
               expected=f"merge(merge(a, b), c) == merge(a, merge(b, c)) == {left!r}",
               got=f"merge(a, merge(b, c)) = {right!r}",
               hint="the path along which states travel must not matter")
        aa = _normal(_call(merge, name, a, a))
        expect(aa == _normal(a), f"{name} is not idempotent", given=f"a={a!r}",
               expected=_normal(a), got=aa, hint="merge(a, a) must be a")
        want = GCounter(a).merge(GCounter(b)).entries()
        expect(ab == want, f"{name} disagrees with distlab.crdt.GCounter",
               given=f"{name}({a!r}, {b!r})", expected=want, got=ab,
               hint="entry-wise maximum over every replica in either argument")
    passed("gcounter_merge keeps the larger count of every replica; it is commutative, "
           "associative and idempotent on 200 random triples")


def check_pn_value(value: Callable[[dict, dict], int]) -> None:
    """``value(P, N)``: a PN-Counter's value from its two payloads."""
    name = "pn_value"
    if not callable(value):
        fail(f"{name}: expected a function", expected="a callable", got=value,
             hint="define `def pn_value(P, N): ...` in the cell above and run it")
    cases = [
        (({}, {}), 0, "an empty counter is 0"),
        (({"r1": 3}, {}), 3, "with no decrements, the value is the sum of P"),
        (({"r1": 3, "r2": 2}, {"r2": 1}), 4,
         "add up every replica's increments, then subtract every replica's decrements"),
        (({"r1": 1}, {"r2": 3}), -2, "a PN-Counter can go below zero"),
        (({"r1": 2, "r3": 5}, {"r1": 2, "r3": 5}), 0,
         "as many decrements as increments make 0"),
    ]
    for (P, N), expected, why in cases:
        got = _call(value, name, P, N)
        if got != expected:
            hint = why
            if got == sum(P.values()) + sum(N.values()):
                hint = "N counts decrements: subtract its sum, don't add it"
            elif got == sum(P.get(r, 0) - N.get(r, 0) for r in P):
                hint = "replicas that appear only in N decrement the value too"
            fail(f"{name} gave a wrong value", given=f"{name}({P!r}, {N!r})",
                 expected=expected, got=got, hint=hint)
    rng = random.Random(7)
    for _ in range(100):
        P, N = _random_state(rng), _random_state(rng)
        want = PNCounter(P, N).value()
        got = _call(value, name, P, N)
        expect(got == want, f"{name} disagrees with distlab.crdt.PNCounter",
               given=f"{name}({P!r}, {N!r})", expected=want, got=got,
               hint="sum(P.values()) - sum(N.values())")
    passed("pn_value is the sum of P minus the sum of N, on 5 cases and 100 random states")
