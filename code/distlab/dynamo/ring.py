"""The ring a Dynamo node routes by: consistent hashing with virtual nodes, preference
lists, and the key ranges replicas compare (DeCandia et al. 2007, §§4.2, 4.3, 4.7).

Tokens are placed exactly as in notebook 2.11's ``distlab.partitioning.HashRing``
(virtual node ``i`` of node ``n`` sits at ``stable_hash(f"{n}#{i}")``, MD5 as in
Dynamo); this module adds what a replicated store needs on top:

- ``walk(key)``: every distinct node clockwise from the key, the *extended* preference
  list that sloppy quorums draw fallback nodes from (§4.6);
- ``preference_list(key, n)``: its first ``n`` nodes, the key's replicas (§4.3);
- ``ranges()``: the arcs ``(lo, hi]`` between consecutive tokens; every key of an arc
  has the same preference list, so replicas compare an arc at a time (Merkle trees,
  §4.7) and a join or a leave moves whole arcs (§4.9).

A ``Ring`` is an immutable value built from a set of members; an empty ring (a node
that has not joined yet) routes nothing. Taught in notebook 2.13.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from functools import lru_cache

from ..partitioning import HASH_SPACE, HashRing, stable_hash

__all__ = ["Ring", "position", "in_range", "HASH_SPACE"]


@lru_cache(maxsize=4096)
def position(key: str) -> int:
    """Where ``key`` sits on the circle (a 64-bit MD5 hash, the same in every process)."""
    if not isinstance(key, str):
        raise TypeError(f"keys are str, got {type(key).__name__} {key!r}")
    return stable_hash(key)


def in_range(pos: int, lo: int, hi: int) -> bool:
    """Is ``pos`` on the arc ``(lo, hi]``, going clockwise (it may wrap past 0)?"""
    if lo < hi:
        return lo < pos <= hi
    return pos > lo or pos <= hi  # the arc that wraps around 0 (or the whole circle)


class Ring:
    """A consistent-hashing ring of ``members`` with ``vnodes`` tokens each."""

    __slots__ = ("members", "vnodes", "_tokens", "_owners", "_walks", "_memo")

    def __init__(self, members: Iterable[str], vnodes: int = 8) -> None:
        if isinstance(members, str):
            raise TypeError("members must be a list of node ids, not a string")
        if isinstance(vnodes, bool) or not isinstance(vnodes, int) or vnodes < 1:
            raise ValueError(f"vnodes must be an int >= 1, got {vnodes!r}")
        self.members: tuple[str, ...] = tuple(sorted(set(members)))
        self.vnodes = vnodes
        points = HashRing(self.members, vnodes).tokens if self.members else []
        self._tokens = [t for t, _ in points]
        self._owners = [n for _, n in points]
        self._walks: dict[int, tuple[str, ...]] = {}
        self._memo: dict[tuple, list[tuple[int, int]]] = {}

    def __repr__(self) -> str:
        return f"Ring({list(self.members)!r}, vnodes={self.vnodes})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Ring) and self.members == other.members
                and self.vnodes == other.vnodes)

    def __hash__(self) -> int:
        return hash((self.members, self.vnodes))

    @property
    def tokens(self) -> list[tuple[int, str]]:
        """Every ``(position, node)`` on the circle, clockwise from 0."""
        return list(zip(self._tokens, self._owners))

    def _index(self, pos: int) -> int:
        i = bisect.bisect_left(self._tokens, pos)
        return 0 if i == len(self._tokens) else i

    def _walk_from(self, i: int) -> tuple[str, ...]:
        walk = self._walks.get(i)
        if walk is None:
            seen: list[str] = []
            total = len(self._tokens)
            for step in range(total):
                node = self._owners[(i + step) % total]
                if node not in seen:
                    seen.append(node)
                    if len(seen) == len(self.members):
                        break
            walk = self._walks[i] = tuple(seen)
        return walk

    def walk(self, key: str) -> tuple[str, ...]:
        """Every member, in the order met going clockwise from ``key``: the extended
        preference list (its first ``n`` are the replicas; the rest, fallbacks)."""
        if not self._tokens:
            return ()
        return self._walk_from(self._index(position(key)))

    def preference_list(self, key: str, n: int) -> tuple[str, ...]:
        """The first ``n`` distinct nodes clockwise from ``key``: its replicas (§4.3)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        return self.walk(key)[:n]

    def coordinator(self, key: str) -> str | None:
        """The first node of the preference list (Dynamo's usual coordinator)."""
        walk = self.walk(key)
        return walk[0] if walk else None

    # --- ranges ---------------------------------------------------------------------------
    def ranges(self) -> list[tuple[int, int]]:
        """The arcs ``(lo, hi]`` between consecutive tokens, clockwise from 0."""
        t = self._tokens
        return [(t[i - 1], t[i]) for i in range(len(t))] if t else []

    def range_of(self, key: str) -> tuple[int, int]:
        """The arc that holds ``key``."""
        if not self._tokens:
            raise ValueError("an empty ring has no ranges")
        i = self._index(position(key))
        return (self._tokens[i - 1], self._tokens[i])

    def range_replicas(self, arc: tuple[int, int], n: int) -> tuple[str, ...]:
        """The ``n`` replicas of every key on the arc ``(lo, hi]`` (which must end at a
        token of this ring)."""
        lo, hi = arc
        i = bisect.bisect_left(self._tokens, hi)
        if i == len(self._tokens) or self._tokens[i] != hi:
            raise ValueError(f"{arc} does not end at a token of this ring")
        return self._walk_from(i)[:n]

    def ranges_of(self, node: str, n: int) -> list[tuple[int, int]]:
        """The arcs ``node`` replicates (it is among their first ``n`` nodes)."""
        memo = ("of", node, n)
        if memo not in self._memo:
            self._memo[memo] = [arc for i, arc in enumerate(self.ranges())
                                if node in self._walk_from(i)[:n]]
        return list(self._memo[memo])

    def peers(self, node: str, n: int) -> list[str]:
        """The other nodes that replicate some arc with ``node`` (its anti-entropy peers)."""
        memo = ("peers", node, n)
        if memo not in self._memo:
            self._memo[memo] = sorted({p for arc in self.ranges_of(node, n)
                                       for p in self.range_replicas(arc, n)} - {node})
        return list(self._memo[memo])

    def shared_ranges(self, a: str, b: str, n: int) -> list[tuple[int, int]]:
        """The arcs both ``a`` and ``b`` replicate: what their Merkle trees compare."""
        memo = ("shared", a, b, n)
        if memo not in self._memo:
            self._memo[memo] = [arc for i, arc in enumerate(self.ranges())
                                if a in self._walk_from(i)[:n] and b in self._walk_from(i)[:n]]
        return list(self._memo[memo])

    def with_member(self, node: str) -> "Ring":
        """A new ring with ``node`` added."""
        return Ring((*self.members, node), self.vnodes)

    def without_member(self, node: str) -> "Ring":
        """A new ring without ``node``."""
        return Ring((m for m in self.members if m != node), self.vnodes)
