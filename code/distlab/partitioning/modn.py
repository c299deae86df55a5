"""Hash partitioning modulo the number of nodes: simple, even, and terrible at resizing.

Key ``k`` lives on node ``nodes[h(k) mod N]``. The spread is as even as the hash, and
finding a key costs one computation. But the owner of almost every key depends on
``N``: when a node joins (``N -> N + 1``) a key stays put only if ``h mod N`` equals
``h mod (N + 1)``, which by the Chinese remainder theorem holds for exactly ``N`` of
every ``N (N + 1)`` hash values: a fraction ``1 / (N + 1)`` stays, and ``N / (N + 1)``
of all keys move (Kleppmann 2017, ch. 6, "How not to do it: hash mod N"; Karger et al.
1997 call this the problem consistent hashing solves).

Taught in notebook 2.11.
"""

from __future__ import annotations

from typing import Any

from .hashing import check_nodes, stable_hash

__all__ = ["ModN", "modn_moved_fraction"]


class ModN:
    """``owner(key) = nodes[stable_hash(key) % len(nodes)]``.

    >>> ModN(["n1", "n2", "n3"]).owner("user:42") in ("n1", "n2", "n3")
    True
    """

    __slots__ = ("_nodes",)

    def __init__(self, nodes: Any) -> None:
        self._nodes = check_nodes(nodes)

    @property
    def nodes(self) -> tuple[str, ...]:
        return self._nodes

    def owner(self, key: Any) -> str:
        """The node that stores ``key``."""
        return self._nodes[stable_hash(key) % len(self._nodes)]

    def with_node(self, node: str) -> "ModN":
        """A new partitioner with ``node`` appended (N grows by one)."""
        return ModN(self._nodes + (node,))

    def without_node(self, node: str) -> "ModN":
        """A new partitioner without ``node``."""
        if node not in self._nodes:
            raise ValueError(f"node {node!r} is not one of {list(self._nodes)}")
        return ModN(tuple(n for n in self._nodes if n != node))

    def __repr__(self) -> str:
        return f"ModN({list(self._nodes)!r})"


def modn_moved_fraction(n: int) -> float:
    """The fraction of keys that move when hash-mod-N grows from ``n`` to ``n + 1`` nodes:
    exactly ``n / (n + 1)`` for uniformly spread hashes."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    return n / (n + 1)
