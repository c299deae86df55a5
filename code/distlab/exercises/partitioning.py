"""Checks for the exercises of notebook 2.11, "Partitioning and consistent hashing".

The learner predicts how many keys move when a node joins (hash mod N, consistent
hashing) and writes rendezvous hashing's owner function; the checks compare with
``distlab.partitioning`` on many keys.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from ..partitioning import HashRing, ModN, Rendezvous, moved
from . import call, expect, fail, passed

__all__ = ["check_moved_fractions", "check_rendezvous_owner"]

_KEYS = [f"key:{i}" for i in range(4000)]


def _call(fn: Callable[..., Any], name: str, *args: Any) -> Any:
    return call(fn, name, args)


def check_moved_fractions(modn_moved: Callable[[int], float],
                          ring_moved: Callable[[int], float]) -> None:
    """``modn_moved(n)`` and ``ring_moved(n)``: the expected fraction of keys that move
    when a scheme grows from ``n`` to ``n + 1`` nodes (hash mod N; consistent hashing
    with many virtual nodes per node)."""
    for fn, name in ((modn_moved, "modn_moved"), (ring_moved, "ring_moved")):
        if not callable(fn):
            fail(f"{name}: expected a function", expected="a callable", got=fn,
                 hint=f"define `def {name}(n): ...` in the cell above and run it")
    for n in (1, 2, 3, 4, 7, 10, 50):
        got = _call(modn_moved, "modn_moved", n)
        want = n / (n + 1)
        expect(isinstance(got, numbers.Real) and math.isclose(got, want, rel_tol=1e-6),
               "modn_moved gives the wrong fraction", given=f"modn_moved({n})",
               expected=round(want, 6), got=got,
               hint="a key stays only if h mod n == h mod (n + 1); count the residues "
                    "modulo n·(n + 1) for which that holds (Chinese remainder theorem)")
        got = _call(ring_moved, "ring_moved", n)
        want = 1 / (n + 1)
        expect(isinstance(got, numbers.Real) and math.isclose(got, want, rel_tol=1e-6),
               "ring_moved gives the wrong fraction", given=f"ring_moved({n})",
               expected=round(want, 6), got=got,
               hint="after the join the newcomer owns its fair share of the circle, and "
                    "it is the only node that gains keys")
    nodes = [f"n{i}" for i in range(1, 6)]
    modn = ModN(nodes)
    ring = HashRing(nodes, vnodes=200)
    measured_modn = len(moved(modn, modn.with_node("n6"), _KEYS)) / len(_KEYS)
    measured_ring = len(moved(ring, ring.with_node("n6"), _KEYS)) / len(_KEYS)
    passed(f"both formulas are right; measured on {len(_KEYS)} keys from 5 to 6 nodes: "
           f"hash mod N moved {measured_modn:.1%} (formula {float(modn_moved(5)):.1%}), the ring "
           f"{measured_ring:.1%} (formula {float(ring_moved(5)):.1%})")


def check_rendezvous_owner(owner: Callable[[Any, Sequence[str]], str]) -> None:
    """``owner(key, nodes)``: the node with the highest ``score(node, key)`` (ties, which
    do not happen, to the smaller id)."""
    if not callable(owner):
        fail("rendezvous_owner: expected a function", expected="a callable", got=owner,
             hint="define `def rendezvous_owner(key, nodes): ...` and run the cell")
    node_sets = [["a"], ["n1", "n2"], ["n1", "n2", "n3", "n4"], [f"cache{i}" for i in range(9)]]
    for nodes in node_sets:
        ref = Rendezvous(nodes)
        for key in _KEYS[:300]:
            got = _call(owner, "rendezvous_owner", key, list(nodes))
            expect(got == ref.owner(key), "rendezvous_owner picked another node",
                   given=f"rendezvous_owner({key!r}, {nodes})", expected=ref.owner(key),
                   got=got,
                   hint="compute score(node, key) for every node and return the node with "
                        "the largest score (max with key=...)")
    nodes = ["n1", "n2", "n3", "n4"]
    before = {k: _call(owner, "rendezvous_owner", k, list(nodes)) for k in _KEYS[:1000]}
    after = {k: _call(owner, "rendezvous_owner", k, nodes + ["n5"]) for k in _KEYS[:1000]}
    changed = [k for k in before if before[k] != after[k]]
    expect(all(after[k] == "n5" for k in changed), "after n5 joins, a key moved between "
           "two old nodes", expected="every moved key goes to n5",
           got=[(k, before[k], after[k]) for k in changed if after[k] != "n5"][:3])
    passed(f"rendezvous_owner matches distlab on {len(node_sets)} node sets; when n5 joins "
           f"4 nodes, {len(changed)} of 1000 keys move, all of them to n5")
