"""Vector clocks (Fidge 1988; Mattern 1989).

A vector clock maps each process to the number of its events known so far. Each
event increments the process's own entry; a message carries the sender's vector; a
receiver takes the entry-wise maximum (the merge) and then increments its own entry.
Then a -> b if and only if V(a) < V(b): vector clocks characterise happens-before,
so they can tell concurrent events apart, which Lamport clocks cannot.

``VectorClock`` is an immutable value (hashable, safe to put in messages); missing
entries count as 0. Taught in notebook 1.3.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Literal

__all__ = ["VectorClock", "Ordering"]

Ordering = Literal["before", "after", "equal", "concurrent"]


class VectorClock(Mapping[str, int]):
    """An immutable vector timestamp, e.g. ``VectorClock({"n1": 2, "n2": 1})``."""

    __slots__ = ("_v", "_hash")
    __immutable__ = True  # durable storage may keep it without copying

    def __init__(self, entries: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        items = entries.items() if isinstance(entries, Mapping) else entries
        v: dict[str, int] = {}
        for node, count in items:
            if not isinstance(node, str):
                raise TypeError(f"vector clock keys are node ids (str), got {node!r}")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"vector clock entries are non-negative ints, got "
                                 f"{node!r}: {count!r}")
            if count:
                v[node] = count
        self._v = dict(sorted(v.items()))
        self._hash: int | None = None

    # Mapping interface (missing entries read as 0)
    def __getitem__(self, node: str) -> int:
        return self._v.get(node, 0)

    def __iter__(self) -> Iterator[str]:
        return iter(self._v)

    def __len__(self) -> int:
        return len(self._v)

    def __contains__(self, node: object) -> bool:
        return node in self._v

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {c}" for k, c in self._v.items())
        return f"VectorClock({{{inner}}})"

    def __str__(self) -> str:
        return "[" + ", ".join(f"{k}:{c}" for k, c in self._v.items()) + "]"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VectorClock):
            return self._v == other._v
        if isinstance(other, Mapping):
            return self._v == {k: c for k, c in other.items() if c}
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._v.items()))
        return self._hash

    # the algebra
    def increment(self, node: str) -> "VectorClock":
        """A copy with ``node``'s entry one higher (a local event at ``node``)."""
        if not isinstance(node, str):
            raise TypeError(f"node must be a node id (str), got {node!r}")
        v = dict(self._v)
        v[node] = v.get(node, 0) + 1
        return VectorClock(v)

    def merge(self, other: Mapping[str, int]) -> "VectorClock":
        """The entry-wise maximum: the least upper bound of two vectors."""
        if not isinstance(other, Mapping):
            raise TypeError(f"merge needs a VectorClock (or a mapping), got {other!r}")
        v = dict(self._v)
        for node, count in other.items():
            if count > v.get(node, 0):
                v[node] = count
        return VectorClock(v)

    def __le__(self, other: "VectorClock") -> bool:
        return all(c <= other[k] for k, c in self._v.items())

    def __lt__(self, other: "VectorClock") -> bool:
        return self <= other and self != other

    def __ge__(self, other: "VectorClock") -> bool:
        return other <= self

    def __gt__(self, other: "VectorClock") -> bool:
        return other < self

    def compare(self, other: "VectorClock") -> Ordering:
        """``"before"``, ``"after"``, ``"equal"`` or ``"concurrent"``."""
        if not isinstance(other, VectorClock):
            raise TypeError(f"compare needs a VectorClock, got {other!r}")
        le, ge = self <= other, other <= self
        if le and ge:
            return "equal"
        if le:
            return "before"
        if ge:
            return "after"
        return "concurrent"

    def concurrent(self, other: "VectorClock") -> bool:
        """Neither happened before the other."""
        return self.compare(other) == "concurrent"

    def as_dict(self) -> dict[str, int]:
        """A plain dict of the non-zero entries."""
        return dict(self._v)
