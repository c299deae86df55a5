"""Counters as state-based CRDTs: the G-Counter and the PN-Counter.

A **G-Counter** (grow-only counter; Shapiro et al. 2011b, §3.1.2, Specification 6)
keeps one entry per replica: replica ``i`` only ever increments its own entry ``P[i]``.
The value is the sum of the entries; the merge takes the entry-wise maximum. An entry
is a count of one replica's increments, so the maximum of two copies is the more
recent copy, and no increment is ever counted twice (idempotent) or lost.

A **PN-Counter** (§3.1.3, Specification 7) supports decrements with two G-Counters:
``P`` counts increments and ``N`` decrements; the value is ``P.value() - N.value()``
and the merge merges ``P`` with ``P`` and ``N`` with ``N``. (Decrementing ``P[i]``
instead would break the order: a smaller entry would look *older* and lose the merge.)

Both are immutable values (see ``distlab.crdt.base``). Taught in notebook 1.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .base import StateCRDT

__all__ = ["GCounter", "PNCounter"]


def _replica(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a replica id (a str such as 'r1'), "
                        f"got {type(value).__name__} {value!r}")
    if not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"amount must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"amount must be >= 1 (a G-Counter only grows; use a "
                         f"PN-Counter's decrement to count down), got {value!r}")
    return value


class GCounter(StateCRDT):
    """A grow-only counter: one entry per replica, merged by entry-wise maximum.

    >>> a = GCounter().increment("r1").increment("r1")   # r1 counted 2
    >>> b = GCounter().increment("r2")                   # r2 counted 1, concurrently
    >>> a.merge(b)
    GCounter({'r1': 2, 'r2': 1})
    >>> a.merge(b).value()
    3

    Shapiro et al. 2011b, §3.1.2 (Specification 6). Missing entries count as 0.
    """

    __slots__ = ("_p", "_hash")

    def __init__(self, counts: Mapping[str, int] | Iterable[tuple[str, int]] = ()) -> None:
        if isinstance(counts, GCounter):
            counts = counts._p
        if isinstance(counts, (str, bytes)):
            raise TypeError("counts must map replica ids to counts, e.g. {'r1': 2}, "
                            "not a string")
        items = counts.items() if isinstance(counts, Mapping) else counts
        p: dict[str, int] = {}
        for item in items:
            try:
                replica, count = item
            except (TypeError, ValueError):
                raise TypeError(f"counts must map replica ids to counts, e.g. {{'r1': 2}}; "
                                f"got the item {item!r}") from None
            _replica("replica id", replica)
            if isinstance(count, bool) or not isinstance(count, int):
                raise TypeError(f"the count of {replica!r} must be an int, "
                                f"got {type(count).__name__} {count!r}")
            if count < 0:
                raise ValueError(f"the count of {replica!r} must be >= 0 (a G-Counter "
                                 f"entry counts increments), got {count}")
            if count:
                p[replica] = count
        object.__setattr__(self, "_p", dict(sorted(p.items())))
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a GCounter is immutable: increment() and merge() return "
                             "new counters")

    def __reduce__(self) -> tuple:
        return (type(self), (dict(self._p),))

    @classmethod
    def _trusted(cls, p: dict[str, int]) -> "GCounter":
        """Wrap an already valid payload (positive counts, sorted keys) without checks."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "_p", p)
        object.__setattr__(obj, "_hash", None)
        return obj

    # --- update and query (Specification 6) ----------------------------------------
    def increment(self, replica: str, amount: int = 1) -> "GCounter":
        """Replica ``replica`` counts ``amount`` more: ``P[replica] += amount`` (new state)."""
        _replica("replica", replica)
        _amount(amount)
        p = dict(self._p)
        p[replica] = p.get(replica, 0) + amount
        return type(self)._trusted(dict(sorted(p.items())))

    def value(self) -> int:
        """The count: the sum of every replica's entry."""
        return sum(self._p.values())

    # --- the semilattice -----------------------------------------------------------
    def merge(self, other: "GCounter") -> "GCounter":
        """Entry-wise maximum: ``P[i] = max(self.P[i], other.P[i])`` for every replica ``i``."""
        self._same_type(other, "merge")
        mine, theirs = self._p, other._p
        if all(count <= mine.get(replica, 0) for replica, count in theirs.items()):
            return self  # nothing new: the join is self (saves a copy on every gossip)
        merged = dict(mine)
        for replica, count in theirs.items():
            merged[replica] = max(merged.get(replica, 0), count)
        return type(self)._trusted(dict(sorted(merged.items())))

    def leq(self, other: "GCounter") -> bool:
        """Every entry of ``self`` is ``<=`` the same entry of ``other``."""
        self._same_type(other, "leq")
        return all(count <= other._p.get(replica, 0) for replica, count in self._p.items())

    # --- reading the payload -------------------------------------------------------
    def __getitem__(self, replica: str) -> int:
        """How many increments ``replica`` has made, as far as this state knows."""
        return self._p.get(_replica("replica", replica), 0)

    def entries(self) -> dict[str, int]:
        """The payload as a plain dict ``{replica: count}`` (non-zero entries, sorted)."""
        return dict(self._p)

    @property
    def replicas(self) -> tuple[str, ...]:
        """The replicas with a non-zero entry, sorted."""
        return tuple(self._p)

    def size(self) -> int:
        """How many integers the payload holds (its non-zero entries)."""
        return len(self._p)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._p == other._p

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash((type(self).__name__,
                                                   tuple(self._p.items()))))
        return self._hash  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._p!r})"

    def __str__(self) -> str:
        return "{" + ", ".join(f"{r}:{c}" for r, c in self._p.items()) + "}"


class PNCounter(StateCRDT):
    """A counter that goes up and down: two G-Counters, ``P`` (increments) and ``N``.

    >>> c = PNCounter().increment("r1", 3).decrement("r2")
    >>> c
    PNCounter(P={'r1': 3}, N={'r2': 1})
    >>> c.value()
    2

    Shapiro et al. 2011b, §3.1.3 (Specification 7).
    """

    __slots__ = ("_P", "_N")

    def __init__(self, P: GCounter | Mapping[str, int] = (), N: GCounter | Mapping[str, int] = ()
                 ) -> None:
        object.__setattr__(self, "_P", P if isinstance(P, GCounter) else GCounter(P))
        object.__setattr__(self, "_N", N if isinstance(N, GCounter) else GCounter(N))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a PNCounter is immutable: increment(), decrement() and "
                             "merge() return new counters")

    def __reduce__(self) -> tuple:
        return (type(self), (self._P, self._N))

    @property
    def P(self) -> GCounter:
        """The increments, one entry per replica."""
        return self._P

    @property
    def N(self) -> GCounter:
        """The decrements, one entry per replica."""
        return self._N

    def increment(self, replica: str, amount: int = 1) -> "PNCounter":
        """``P[replica] += amount`` (a new state)."""
        return type(self)(self._P.increment(replica, amount), self._N)

    def decrement(self, replica: str, amount: int = 1) -> "PNCounter":
        """``N[replica] += amount`` (a new state): a decrement is an increment of ``N``."""
        return type(self)(self._P, self._N.increment(replica, amount))

    def value(self) -> int:
        """Increments minus decrements: ``P.value() - N.value()``."""
        return self._P.value() - self._N.value()

    def merge(self, other: "PNCounter") -> "PNCounter":
        """Merge ``P`` with ``P`` and ``N`` with ``N`` (each by entry-wise maximum)."""
        self._same_type(other, "merge")
        P, N = self._P.merge(other._P), self._N.merge(other._N)
        return self if P is self._P and N is self._N else type(self)(P, N)

    def leq(self, other: "PNCounter") -> bool:
        """``P <= other.P`` and ``N <= other.N``."""
        self._same_type(other, "leq")
        return self._P.leq(other._P) and self._N.leq(other._N)

    def size(self) -> int:
        """How many integers the payload holds: ``P.size() + N.size()``."""
        return self._P.size() + self._N.size()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._P == other._P and self._N == other._N

    def __hash__(self) -> int:
        return hash(("PNCounter", self._P, self._N))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(P={self._P.entries()!r}, N={self._N.entries()!r})"

    def __str__(self) -> str:
        return f"P{self._P} N{self._N}"
