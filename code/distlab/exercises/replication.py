"""Checks for the exercises of notebook 2.9, "Replication strategies and conflict
resolution".

The learner computes how many replicas a read quorum and a write quorum must share,
and writes Dynamo's sibling reconciliation on ``(value, VectorClock)`` versions; the
checks compare with brute force and with ``distlab.replication.Siblings``.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

from ..clocks import VectorClock
from ..replication import Siblings
from . import call, expect, fail, passed

__all__ = ["check_quorum_overlap", "check_siblings"]


def _call(fn: Callable[..., Any], name: str, *args: Any) -> Any:
    return call(fn, name, args)


def _brute_overlap(n: int, r: int, w: int) -> int:
    nodes = range(n)
    return min(len(set(a) & set(b)) for a in itertools.combinations(nodes, r)
               for b in itertools.combinations(nodes, w))


def check_quorum_overlap(overlap: Callable[[int, int, int], int]) -> None:
    """``overlap(n, r, w)``: the fewest replicas that a read quorum of ``r`` and a write
    quorum of ``w``, among ``n`` replicas, can have in common."""
    if not callable(overlap):
        fail("quorum_overlap: expected a function", expected="a callable", got=overlap,
             hint="define `def quorum_overlap(n, r, w): ...` and run the cell")
    for n in range(1, 7):
        for r in range(1, n + 1):
            for w in range(1, n + 1):
                want = _brute_overlap(n, r, w)
                got = _call(overlap, "quorum_overlap", n, r, w)
                expect(got == want, "quorum_overlap gives the wrong number",
                       given=f"quorum_overlap({n}, {r}, {w})", expected=want, got=got,
                       hint="put the r readers and the w writers as far apart as possible: "
                            "they must share whatever does not fit in n; and never < 0")
    passed("quorum_overlap matches brute force for every n <= 6: reads meet the latest "
           "write exactly when r + w > n")


def _versions(rng: random.Random) -> list[tuple[Any, VectorClock]]:
    """Versions as clients make them: each write's clock is a context some client read
    (one earlier clock, or the merge of two) with the writer's own counter advanced."""
    actors = ("alice", "bob", "carol")
    counters = dict.fromkeys(actors, 0)
    out: list[tuple[Any, VectorClock]] = []
    clocks = [VectorClock()]
    for i in range(rng.randint(1, 6)):
        base = rng.choice(clocks)
        if rng.random() < 0.3 and len(clocks) > 1:
            base = base.merge(rng.choice(clocks))
        actor = rng.choice(actors)
        counters[actor] = max(counters[actor], base[actor]) + 1
        clock = base.merge(VectorClock({actor: counters[actor]}))
        clocks.append(clock)
        out.append((f"v{i}", clock))
    rng.shuffle(out)
    return out


def check_siblings(reconcile: Callable[[list], list]) -> None:
    """``reconcile(versions)``: of a list of ``(value, VectorClock)`` versions, keep those
    that no other version's clock dominates (strictly), in any order."""
    if not callable(reconcile):
        fail("reconcile: expected a function", expected="a callable", got=reconcile,
             hint="define `def reconcile(versions): ...` and run the cell")
    rng = random.Random(2)
    for _ in range(300):
        versions = _versions(rng)
        kept = [(v, c) for v, c in versions if not any(c < d for _, d in versions)]
        want = sorted(kept, key=lambda p: p[0])
        got = _call(reconcile, "reconcile", list(versions))
        try:
            got_sorted = sorted(got, key=lambda p: p[0])
        except Exception:
            fail("reconcile must return a list of (value, VectorClock) pairs", got=got)
        if got_sorted != want:
            shown = [(v, str(c)) for v, c in versions]
            fail("reconcile kept the wrong versions", given=shown,
                 expected=[(v, str(c)) for v, c in want],
                 got=[(v, str(c)) for v, c in got_sorted],
                 hint="drop a version when another's clock is strictly greater (c1 < c2); "
                      "keep concurrent ones, whatever their values")
        merged = Siblings(kept)
        expect(sorted(merged.values) == sorted(v for v, _ in got_sorted),
               "your siblings differ from distlab's", got=got_sorted)
    passed("reconcile keeps exactly the concurrent versions on 300 random version sets, "
           "as distlab.replication.Siblings does")
