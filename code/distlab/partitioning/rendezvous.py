"""Rendezvous (highest-random-weight) hashing (Thaler & Ravishankar 1998).

Every node computes a score for every key, ``stable_hash(f"{node}|{key}")``, and the
key belongs to the node with the highest score. No ring, no tokens: a client that
knows the list of nodes finds the owner by ``N`` hashes. When a node joins, a key moves
only if the newcomer's score beats the old winner's, so every moved key moves *to the
new node*, and about ``1 / (N + 1)`` of the keys move; when a node leaves, only its own
keys move, each to its second-best node. The ranking also gives ``n`` replicas for
free: the top ``n`` scores (``top``). Thaler and Ravishankar proposed it for choosing
web proxy caches; CARP and many CDNs and distributed caches use it.

Taught in notebook 2.11.
"""

from __future__ import annotations

from typing import Any

from .hashing import check_nodes, key_bytes, stable_hash

__all__ = ["Rendezvous", "score"]


def score(node: str, key: Any) -> int:
    """The weight of ``node`` for ``key``: ``stable_hash(node + "|" + key)``."""
    return stable_hash(node.encode("utf-8") + b"|" + key_bytes(key))


class Rendezvous:
    """``owner(key)`` is the node with the highest ``score(node, key)``.

    >>> Rendezvous(["n1", "n2", "n3"]).owner("user:42") in ("n1", "n2", "n3")
    True
    """

    __slots__ = ("_nodes",)

    def __init__(self, nodes: Any) -> None:
        self._nodes = check_nodes(nodes)

    @property
    def nodes(self) -> tuple[str, ...]:
        return self._nodes

    def owner(self, key: Any) -> str:
        """The highest-scoring node (ties, never seen in practice, go to the smaller id)."""
        return min(self._nodes, key=lambda m: (-score(m, key), m))

    def top(self, key: Any, n: int) -> list[str]:
        """The ``n`` highest-scoring nodes, best first: the key's replicas."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        ranked = sorted(self._nodes, key=lambda m: (-score(m, key), m))
        return ranked[:n]

    def with_node(self, node: str) -> "Rendezvous":
        return Rendezvous(self._nodes + (node,))

    def without_node(self, node: str) -> "Rendezvous":
        if node not in self._nodes:
            raise ValueError(f"node {node!r} is not one of {list(self._nodes)}")
        return Rendezvous(tuple(n for n in self._nodes if n != node))

    def __repr__(self) -> str:
        return f"Rendezvous({list(self._nodes)!r})"
