"""Consistent hashing with virtual nodes (Karger et al. 1997; Dynamo, DeCandia et al.
2007, §4.2).

Nodes and keys are hashed onto the same circle of ``2**64`` points. A key belongs to
the first node clockwise from it (its *successor*). When a node joins, it takes over
only the keys between its predecessor and itself; when a node leaves, only its keys
move, to its successor. With ``N`` nodes, a join moves about ``K / (N + 1)`` of ``K``
keys instead of nearly all of them (compare ``modn``).

One point per node cuts the circle into very unequal arcs: the largest is about
``ln N`` times the mean. Each physical node therefore places ``vnodes`` *virtual nodes*
(tokens) on the circle, at ``stable_hash(f"{node}#{i}")``; a node's share is the sum of
many small arcs, and the imbalance shrinks roughly as ``1 / sqrt(vnodes)``. A node may
get more tokens than another (a bigger machine gets a bigger share). Dynamo's replicas
of a key are the first ``N`` *distinct* physical nodes clockwise: its **preference
list** (``preference_list``).

``HashRing`` is an immutable value: ``with_node`` and ``without_node`` return new rings.
Taught in notebook 2.11.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any

from .hashing import HASH_SPACE, check_nodes, stable_hash

__all__ = ["HashRing", "token_of"]


def token_of(node: str, i: int) -> int:
    """The position on the circle of virtual node ``i`` of ``node``."""
    return stable_hash(f"{node}#{i}")


def _vnode_count(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"{name} must be an int >= 1, got {v!r}")
    return v


class HashRing:
    """A consistent-hashing ring: ``owner(key)`` is the node of the first token clockwise.

    Parameters
    ----------
    nodes
        The physical nodes.
    vnodes
        Tokens per node: one int for all, or a ``{node: count}`` mapping (weights).

    >>> ring = HashRing(["n1", "n2", "n3"], vnodes=8)
    >>> ring.owner("user:42") in ring.nodes
    True
    >>> len(ring.preference_list("user:42", 3))
    3
    """

    __slots__ = ("_nodes", "_vnodes", "_tokens", "_owners")

    def __init__(self, nodes: Iterable[str], vnodes: int | Mapping[str, int] = 1) -> None:
        self._nodes = check_nodes(nodes)
        if isinstance(vnodes, Mapping):
            unknown = sorted(set(vnodes) - set(self._nodes))
            if unknown:
                raise ValueError(f"vnodes names nodes that are not on the ring: {unknown}")
            counts = {n: _vnode_count(f"vnodes[{n!r}]", vnodes.get(n, 1)) for n in self._nodes}
        else:
            v = _vnode_count("vnodes", vnodes)
            counts = {n: v for n in self._nodes}
        self._vnodes = counts
        points = sorted((token_of(n, i), n) for n in self._nodes for i in range(counts[n]))
        self._tokens = [t for t, _ in points]
        self._owners = [n for _, n in points]

    # --- the ring ----------------------------------------------------------------------
    @property
    def nodes(self) -> tuple[str, ...]:
        return self._nodes

    @property
    def vnodes(self) -> dict[str, int]:
        """Tokens per node."""
        return dict(self._vnodes)

    @property
    def tokens(self) -> list[tuple[int, str]]:
        """Every ``(position, node)`` on the circle, clockwise from 0."""
        return list(zip(self._tokens, self._owners))

    def _successor(self, h: int) -> int:
        i = bisect.bisect_left(self._tokens, h)
        return 0 if i == len(self._tokens) else i

    def owner(self, key: Any) -> str:
        """The node of the first token at or clockwise after ``stable_hash(key)``."""
        return self._owners[self._successor(stable_hash(key))]

    def preference_list(self, key: Any, n: int) -> list[str]:
        """The first ``n`` distinct physical nodes clockwise from ``key``: its replicas
        (Dynamo §4.3), in order. Fewer if the ring has fewer nodes."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        out: list[str] = []
        start = self._successor(stable_hash(key))
        total = len(self._tokens)
        for step in range(total):
            node = self._owners[(start + step) % total]
            if node not in out:
                out.append(node)
                if len(out) == n:
                    break
        return out

    def ownership(self) -> dict[str, float]:
        """The fraction of the circle each node owns (the sum of the arcs ending at its
        tokens): its expected share of uniformly hashed keys."""
        share = {n: 0 for n in self._nodes}
        total = len(self._tokens)
        for i, t in enumerate(self._tokens):
            prev = self._tokens[i - 1] if i else self._tokens[-1] - HASH_SPACE
            share[self._owners[i]] += t - prev
        return {n: share[n] / HASH_SPACE for n in self._nodes} if total else {}

    # --- membership --------------------------------------------------------------------
    def with_node(self, node: str, vnodes: int | None = None) -> "HashRing":
        """A new ring with ``node`` added (``vnodes`` tokens; default: as the first node)."""
        if node in self._nodes:
            raise ValueError(f"node {node!r} is already on the ring")
        counts = dict(self._vnodes)
        counts[node] = vnodes if vnodes is not None else self._vnodes[self._nodes[0]]
        return HashRing(self._nodes + (node,), counts)

    def without_node(self, node: str) -> "HashRing":
        """A new ring without ``node`` (its keys go to their next token clockwise)."""
        if node not in self._nodes:
            raise ValueError(f"node {node!r} is not on the ring {list(self._nodes)}")
        rest = tuple(n for n in self._nodes if n != node)
        return HashRing(rest, {n: self._vnodes[n] for n in rest})

    def __repr__(self) -> str:
        counts = set(self._vnodes.values())
        shown = counts.pop() if len(counts) == 1 else self._vnodes
        return f"HashRing({list(self._nodes)!r}, vnodes={shown!r})"
