"""Checks for the exercises of notebooks 2.12 ("Partition tolerance and CAP") and 2.13
("Project: a Dynamo-style key-value store")."""

from __future__ import annotations

import random
from typing import Any

from ..clocks import VectorClock
from ..dynamo.handoff import sloppy_targets
from ..dynamo.ring import Ring, position
from ..dynamo.versions import Version, reconcile
from . import call, expect, fail, need_function, passed

__all__ = ["check_quorum_available", "check_sloppy_targets", "check_preference_list",
           "check_reconcile"]


def _call(fn: Any, name: str, *args: Any) -> Any:
    need_function(fn, name)
    return call(fn, name, args, given=", ".join(repr(a) for a in args),
                hint="read the traceback of the cell above")


# --- 2.12 ------------------------------------------------------------------------------------
def check_quorum_available(fn: Any) -> None:
    """``fn(side, replicas, r, w) -> (can_read, can_write)`` under a strict quorum."""
    cases = [
        ({"n1", "n2"}, ["n1", "n5", "n3"], 2, 2, (False, False)),
        ({"n3", "n4", "n5"}, ["n1", "n5", "n3"], 2, 2, (True, True)),
        ({"n1"}, ["n1", "n5", "n3"], 1, 3, (True, False)),
        ({"n1", "n2", "n3", "n4", "n5"}, ["n1", "n5", "n3"], 3, 3, (True, True)),
        ({"n2", "n4"}, ["n1", "n5", "n3"], 1, 1, (False, False)),
        ({"n1", "n3"}, ["n1", "n5", "n3"], 3, 2, (False, True)),
    ]
    for side, replicas, r, w, expected in cases:
        got = _call(fn, "quorum_available", side, replicas, r, w)
        expect(isinstance(got, tuple) and len(got) == 2, "return a pair of booleans",
               given=f"quorum_available({sorted(side)}, {replicas}, r={r}, w={w})",
               expected=expected, got=got, hint="return (can_read, can_write)")
        expect(tuple(map(bool, got)) == expected, "wrong availability",
               given=f"quorum_available({sorted(side)}, {replicas}, r={r}, w={w})",
               expected=expected, got=got,
               hint="count the key's replicas on this side; a strict quorum needs R "
                    "(or W) of the replicas themselves, other nodes do not count")
    passed("a strict quorum is available on a side iff it holds R (or W) of the replicas")


def check_sloppy_targets(fn: Any) -> None:
    """``fn(walk, n, suspected) -> {target: hint}`` as in ``distlab.dynamo.sloppy_targets``."""
    rng = random.Random(7)
    nodes = ["n1", "n2", "n3", "n4", "n5", "n6"]
    cases = [(("n3", "n1", "n4", "n2", "n5"), 3, set()),
             (("n3", "n1", "n4", "n2", "n5"), 3, {"n1"}),
             (("n3", "n1", "n4", "n2", "n5"), 3, {"n3", "n4"}),
             (("n2", "n5", "n1"), 3, {"n5", "n1"})]
    for _ in range(30):
        walk = tuple(rng.sample(nodes, rng.randint(2, 6)))
        cases.append((walk, rng.randint(1, 3), set(rng.sample(nodes, rng.randint(0, 3)))))
    for walk, n, suspected in cases:
        expected = sloppy_targets(walk, n, suspected)
        got = _call(fn, "sloppy_targets", walk, n, set(suspected))
        expect(isinstance(got, dict), "return a dict {target: hint}",
               given=f"sloppy_targets({walk}, {n}, {sorted(suspected)})",
               expected=expected, got=got)
        if set(got) != set(expected):
            fail("wrong targets", given=f"sloppy_targets({walk}, {n}, {sorted(suspected)})",
                 expected=sorted(expected), got=sorted(got),
                 hint="the targets are the first n nodes of the walk that are not suspected")
        if got != expected:
            fail("right targets, wrong hints",
                 given=f"sloppy_targets({walk}, {n}, {sorted(suspected)})",
                 expected=expected, got=got,
                 hint="an owner (one of walk[:n]) has hint None; the fallbacks, in walk "
                      "order, stand in for the skipped owners, in walk order")
    passed(f"sloppy_targets agrees with the library on {len(cases)} walks")


# --- 2.13 ------------------------------------------------------------------------------------
def check_preference_list(fn: Any) -> None:
    """``fn(tokens, key_position, n)``: the first ``n`` distinct nodes clockwise."""
    small = [(10, "a"), (20, "b"), (30, "a"), (40, "c")]
    cases = [(small, 15, 2, ["b", "a"]), (small, 20, 3, ["b", "a", "c"]),
             (small, 41, 2, ["a", "b"]), (small, 5, 5, ["a", "b", "c"]),
             (small, 35, 1, ["c"])]
    for members, vnodes in ((["n1", "n2", "n3", "n4", "n5"], 4), (["p", "q", "r"], 3)):
        ring = Ring(members, vnodes)
        for i in range(25):
            key = f"key-{i}"
            cases.append((ring.tokens, position(key), 3, list(ring.preference_list(key, 3))))
    for tokens, pos, n, expected in cases:
        got = _call(fn, "preference_list", list(tokens), pos, n)
        shown = tokens if len(tokens) <= 4 else f"<{len(tokens)} tokens of a real ring>"
        if list(got) != expected:
            fail("wrong preference list", given=f"preference_list({shown}, {pos}, n={n})",
                 expected=expected, got=list(got),
                 hint="start at the first token whose position is >= the key's (wrapping "
                      "around to the first token), walk clockwise, and skip nodes "
                      "already in the list")
    passed(f"preference_list is right on {len(cases)} cases, wrap-around included")


def check_reconcile(fn: Any) -> None:
    """``fn(versions)``: keep the versions no other version supersedes."""
    rng = random.Random(3)

    def v(value: str, **clock: int) -> Version:
        return Version(value, VectorClock(clock))

    cases = [[v("D2", sx=2), v("D3", sx=2, sy=1), v("D4", sx=2, sz=1)],
             [v("D3", sx=2, sy=1), v("D4", sx=2, sz=1), v("D5", sx=3, sy=1, sz=1)],
             [v("a", c1=1), v("a", c1=1)], [], [v("x", c1=1), v("y", c2=1)]]
    for _ in range(40):
        cases.append([Version(rng.choice("pqrs"),
                              VectorClock({a: rng.randint(0, 2) for a in ("a", "b", "c")}))
                      for _ in range(rng.randint(1, 5))])
    for versions in cases:
        expected = sorted(reconcile(versions), key=Version.key)
        got = _call(fn, "reconcile", list(versions))
        try:
            got_sorted = sorted(set(got), key=Version.key)
        except TypeError:
            fail("return a list (or tuple) of Version", given=versions, got=got)
        if got_sorted != expected:
            fail("wrong siblings", given=versions, expected=expected, got=got_sorted,
                 hint="drop a version when another one's clock is strictly greater "
                      "(v.clock < w.clock); keep concurrent ones; duplicates count once")
    passed(f"reconcile keeps exactly the versions no other supersedes ({len(cases)} cases)")
