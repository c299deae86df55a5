"""Checks for the exercises of notebook 2.10, "CRDTs".

The learner writes the OR-Set's merge on plain payloads, and a CRDT of their own (a
max-register) as a ``StateCRDT`` subclass; the checks compare with ``distlab.crdt`` and
test the merge laws on many states.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..crdt import ORSet, StateCRDT, law_violations
from . import CheckFailed, expect, fail, passed

__all__ = ["check_orset_merge", "check_max_register"]


def _random_orsets(seed: int, n: int = 12) -> list[ORSet]:
    rng = random.Random(seed)
    replicas = ("r1", "r2", "r3")
    states = {r: ORSet() for r in replicas}
    out = [ORSet()]
    for _ in range(n):
        r = rng.choice(replicas)
        item = rng.choice(("milk", "eggs", "tea"))
        s = states[r]
        if rng.random() < 0.3:
            s = s.merge(states[rng.choice(replicas)])
        elif s.lookup(item) and rng.random() < 0.4:
            s = s.remove(item)
        else:
            s = s.add(item, r)
        states[r] = s
        out.append(s)
    return out


def _payload(s: ORSet) -> tuple[set, set]:
    return set(s.entries), set(s.tombstones)


def check_orset_merge(merge: Callable[[tuple, tuple], tuple]) -> None:
    """``merge((E1, T1), (E2, T2)) -> (E, T)``: the state-based OR-Set merge on payloads
    made of Python sets of ``(element, (replica, n))`` pairs."""
    if not callable(merge):
        fail("orset_merge: expected a function", expected="a callable", got=merge,
             hint="define `def orset_merge(a, b): ...` in the cell above and run it")
    pairs = 0
    for seed in range(40):
        states = _random_orsets(seed)
        for a, b in zip(states, reversed(states)):
            pairs += 1
            pa, pb = _payload(a), _payload(b)
            args = ((set(pa[0]), set(pa[1])), (set(pb[0]), set(pb[1])))
            try:
                got = merge(*args)
            except NotImplementedError:
                fail("orset_merge is not written yet (it raises NotImplementedError)",
                     got="NotImplementedError",
                     hint="replace the `raise NotImplementedError()` line with your code")
            except CheckFailed:
                raise
            except Exception as exc:
                fail(f"orset_merge raised {type(exc).__name__}: {exc}", given=args,
                     got=type(exc).__name__)
            try:
                got_e, got_t = set(got[0]), set(got[1])
            except Exception:
                fail("orset_merge must return a pair (E, T) of sets", got=got,
                     hint="return (entries, tombstones)")
            want = _payload(a.merge(b))
            if (got_e, got_t) != want:
                extra = sorted(got_e - want[0], key=repr)
                fail("orset_merge gives the wrong payload",
                     given=f"a = {a!r}\n            b = {b!r}",
                     expected=f"E={sorted(want[0], key=repr)}, T={sorted(want[1], key=repr)}",
                     got=f"E={sorted(got_e, key=repr)}, T={sorted(got_t, key=repr)}",
                     hint=("a pair that either side has removed (it is in T1 or T2) must not "
                           "stay live" if extra else
                           "keep every live pair of both sides and every tombstone of both"))
    passed(f"orset_merge agrees with distlab.crdt.ORSet.merge on {pairs} pairs of reachable states")


def check_max_register(cls: Any) -> None:
    """``cls``: a ``StateCRDT`` subclass ``MaxRegister(value=0)`` with ``assign(v)``
    keeping the largest value ever assigned, and ``value``, ``merge``, ``leq``, ``size``."""
    if not (isinstance(cls, type) and issubclass(cls, StateCRDT)):
        fail("check_max_register needs your class (a subclass of StateCRDT)",
             expected="a StateCRDT subclass", got=cls,
             hint="write `class MaxRegister(StateCRDT): ...` and pass MaxRegister")
    try:
        states = [cls()] + [cls(v) for v in (3, -2, 7, 7, 0)]
    except TypeError as exc:
        if "abstract" in str(exc):
            fail(f"MaxRegister is still abstract: {exc}", got="TypeError",
                 hint="define value, merge, leq and size (all four)")
        fail(f"MaxRegister() or MaxRegister(3) failed: {exc}", got="TypeError",
             hint="__init__(self, value=0) must accept an optional starting value")
    except NotImplementedError:
        fail("MaxRegister is not written yet (it raises NotImplementedError)",
             got="NotImplementedError", hint="write the methods between the markers")
    r = cls().assign(5).assign(2)
    expect(r.value() == 5, "assign must keep the largest value ever assigned",
           given="MaxRegister().assign(5).assign(2).value()", expected=5, got=r.value(),
           hint="assign(v) returns a new register holding max(current, v)")
    for a in states:
        for b in states:
            for c in states:
                bad = law_violations(a, b, c)
                expect(not bad, "a merge law fails", given=f"a={a!r}, b={b!r}, c={c!r}",
                       expected="no violated law", got=bad,
                       hint="merge must be the maximum; leq must be <= on the values; "
                            "__eq__ must compare values")
    expect(cls(3).merge(cls(7)).value() == 7, "merge must keep the larger value",
           given="MaxRegister(3).merge(MaxRegister(7)).value()", expected=7,
           got=cls(3).merge(cls(7)).value())
    passed(f"MaxRegister obeys the merge laws on all {len(states) ** 3} triples and keeps "
           f"the largest value")
