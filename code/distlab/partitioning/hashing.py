"""Stable hashing and the measures every partitioning scheme is judged by.

Python's built-in ``hash()`` of a string changes from one interpreter to the next
(``PYTHONHASHSEED``), so a partitioning built on it would send a key to a different
node after every restart. Every scheme here hashes with ``stable_hash``: the first
eight bytes of the key's MD5 digest (the hash Dynamo and Cassandra's
``RandomPartitioner`` put on their rings; DeCandia et al. 2007, §4.2), read as an
unsigned 64-bit integer. MD5 is used for its spread, not for security.

A *partitioner* is anything with ``owner(key) -> node`` and ``nodes``; ``assignment``,
``moved``, ``loads`` and ``imbalance`` compare partitioners on the same keys.

Taught in notebook 2.11 ("Partitioning and consistent hashing").
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

__all__ = ["HASH_BITS", "HASH_SPACE", "stable_hash", "key_bytes", "Partitioner", "assignment",
           "moved", "loads", "imbalance", "check_nodes"]

HASH_BITS = 64
HASH_SPACE = 1 << HASH_BITS  #: hashes are integers in ``[0, HASH_SPACE)``


def key_bytes(key: Any) -> bytes:
    """The bytes that are hashed for ``key``: a ``str`` (UTF-8), ``bytes`` or an ``int``."""
    if isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key).encode("ascii")
    raise TypeError(f"key must be a str, bytes or int, got {type(key).__name__} {key!r}")


@functools.lru_cache(maxsize=1 << 17)
def _md5_64(data: bytes) -> int:
    return int.from_bytes(hashlib.md5(data).digest()[:8], "big")


def stable_hash(key: Any) -> int:
    """A 64-bit hash of ``key`` that is the same in every process and on every machine.

    >>> stable_hash("user:42") == stable_hash("user:42")
    True

    (Results are memoised: experiments hash the same keys again and again.)
    """
    return _md5_64(key_bytes(key))


def check_nodes(nodes: Any, *, allow_empty: bool = False) -> tuple[str, ...]:
    """Validate a sequence of distinct node ids (str) and return it as a tuple."""
    if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
        raise TypeError(f"nodes must be a list of node ids such as ['n1', 'n2'], got {nodes!r}")
    out = tuple(nodes)
    for n in out:
        if not isinstance(n, str) or not n:
            raise TypeError(f"each node id must be a non-empty str, got {n!r}")
    if len(set(out)) != len(out):
        dup = sorted({n for n in out if out.count(n) > 1})
        raise ValueError(f"nodes must be distinct; repeated: {dup}")
    if not out and not allow_empty:
        raise ValueError("nodes must name at least one node")
    return out


class Partitioner(Protocol):
    """What the measures below need: the nodes, and the node that owns a key."""

    @property
    def nodes(self) -> tuple[str, ...]: ...

    def owner(self, key: Any) -> str: ...


def _keys(keys: Iterable[Any]) -> list[Any]:
    if isinstance(keys, (str, bytes)):
        raise TypeError("keys must be a list of keys, not a single string")
    return list(keys)


def assignment(partitioner: Partitioner, keys: Iterable[Any]) -> dict[Any, str]:
    """``{key: owner}`` for every key, in the order of ``keys``."""
    return {k: partitioner.owner(k) for k in _keys(keys)}


def moved(before: Partitioner, after: Partitioner, keys: Iterable[Any]
          ) -> list[tuple[Any, str, str]]:
    """The keys whose owner differs between two partitioners: ``(key, old, new)``."""
    out = []
    for k in _keys(keys):
        a, b = before.owner(k), after.owner(k)
        if a != b:
            out.append((k, a, b))
    return out


def loads(partitioner: Partitioner, keys: Iterable[Any]) -> dict[str, int]:
    """How many of ``keys`` (or requests: repeat a key once per request) each node owns.

    Every node appears, in the partitioner's order, even with a load of 0.
    """
    out = {n: 0 for n in partitioner.nodes}
    for k in _keys(keys):
        out[partitioner.owner(k)] += 1
    return out


def imbalance(node_loads: Mapping[str, int] | Sequence[int]) -> float:
    """The most loaded node's load divided by the mean load (1.0: perfectly even)."""
    values = list(node_loads.values()) if isinstance(node_loads, Mapping) else list(node_loads)
    if not values:
        raise ValueError("imbalance needs the load of at least one node")
    total = sum(values)
    if total == 0:
        return 1.0
    return max(values) / (total / len(values))
