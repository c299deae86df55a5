"""Registers as state-based CRDTs: the LWW-Register and the MV-Register.

Two ways to resolve concurrent assignments to one value (Shapiro et al. 2011b, §3.2):

- **LWW-Register** (last-writer-wins; §3.2.1, Specification 8): the payload is a value
  and the timestamp of the assignment that wrote it; the merge keeps the larger
  timestamp. Timestamps are ``(time, replica)`` pairs, so ties between replicas break
  the same way everywhere. It converges, by throwing away every concurrent assignment
  but one, and "larger timestamp" means "later" only if the clocks agree: with a
  clock that is behind, a later assignment carries a smaller timestamp and is lost the
  moment it is made (``assign`` is itself a merge, so the state only grows).
- **MV-Register** (multi-value; §3.2.2, Specification 10): the payload is a set of
  ``(value, version vector)`` pairs. ``assign(v)`` at replica ``i`` takes the least
  upper bound of every vector it holds, increments entry ``i``, and replaces the whole
  set by ``{(v, V)}``: it overwrites everything it has seen. The merge keeps the pairs
  whose vector no other pair's vector dominates, so concurrent assignments survive
  side by side: the query returns *all* of them, and the application reconciles
  (Dynamo's shopping cart; DeCandia et al. 2007, §4.4).

Taught in notebook 2.10 ("CRDTs"); the MV-Register's rule is the one Dynamo-style
stores apply to versions with siblings (notebook 2.9).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from functools import reduce
from typing import Any

from ..clocks import VectorClock
from .base import StateCRDT
from .sets import sorted_elements

__all__ = ["LWWRegister", "MVRegister"]


def _replica(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"replica must be a replica id (a non-empty str such as 'r1'), "
                        f"got {value!r}")
    return value


def _time(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"time must be a number (a clock reading or a logical time), "
                        f"got {type(value).__name__} {value!r}")
    return value


class LWWRegister(StateCRDT):
    """A last-writer-wins register (Shapiro et al. 2011b, Specification 8).

    >>> a = LWWRegister().assign("blue", time=10, replica="r1")
    >>> b = LWWRegister().assign("green", time=12, replica="r2")
    >>> a.merge(b).value()
    'green'
    """

    __slots__ = ("_value", "_stamp")

    def __init__(self, value: Any = None, stamp: tuple[Any, str] | None = None) -> None:
        if stamp is not None:
            try:
                t, r = stamp
            except (TypeError, ValueError):
                raise TypeError(f"stamp must be a (time, replica) pair, got {stamp!r}") from None
            stamp = (_time(t), _replica(r))
        elif value is not None:
            raise ValueError("a register with a value needs the stamp of the assignment "
                             "that wrote it")
        if not isinstance(value, Hashable):
            raise TypeError(f"value must be hashable, got {type(value).__name__} {value!r}")
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_stamp", stamp)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("an LWWRegister is immutable: assign() and merge() return new ones")

    def __reduce__(self) -> tuple:
        return (LWWRegister, (self._value, self._stamp))

    @property
    def stamp(self) -> tuple[Any, str] | None:
        """``(time, replica)`` of the assignment that wrote the value (``None``: never)."""
        return self._stamp

    def _key(self) -> tuple:
        # Unassigned is the bottom; equal stamps (never made by distinct assignments)
        # fall back to the value's repr so that merge stays commutative.
        return (0,) if self._stamp is None else (1, self._stamp, repr(self._value))

    def assign(self, value: Any, *, time: Any, replica: str) -> "LWWRegister":
        """Assign ``value`` stamped ``(time, replica)``: the merge of this state with the
        new one. If the stamp is not larger than the current one (a clock behind), the
        assignment is lost at once: the register keeps the value it had."""
        return self.merge(LWWRegister(value, (time, replica)))

    def value(self) -> Any:
        return self._value

    def merge(self, other: "LWWRegister") -> "LWWRegister":
        """Keep the state with the larger stamp."""
        self._same_type(other, "merge")
        return self if self._key() >= other._key() else other

    def leq(self, other: "LWWRegister") -> bool:
        self._same_type(other, "leq")
        return self._key() <= other._key()

    def size(self) -> int:
        """The value and its stamp's two parts (0 for the unassigned register)."""
        return 0 if self._stamp is None else 3

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._value == other._value and self._stamp == other._stamp

    def __hash__(self) -> int:
        return hash(("LWWRegister", self._value, self._stamp))

    def __repr__(self) -> str:
        if self._stamp is None:
            return "LWWRegister()"
        t, r = self._stamp
        return f"LWWRegister({self._value!r} @ {t:g}/{r})"


def _dominated(v: VectorClock, others: Iterable[VectorClock]) -> bool:
    return any(v < w for w in others)


class MVRegister(StateCRDT):
    """A multi-value register: concurrent assignments are all kept (Spec. 10).

    >>> base = MVRegister().assign("eggs", "r1")
    >>> a = base.assign("eggs, milk", "r1")       # r1 and r2 both saw "eggs" ...
    >>> b = base.assign("eggs, flour", "r2")      # ... and overwrote it concurrently
    >>> a.merge(b).value()
    ('eggs, flour', 'eggs, milk')
    >>> a.merge(b).assign("eggs, flour, milk", "r1").value()   # a reconciling write
    ('eggs, flour, milk',)
    """

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[Any, VectorClock]] = ()) -> None:
        if isinstance(pairs, (str, bytes)):
            raise TypeError("pairs must be a collection of (value, VectorClock) pairs")
        checked = set()
        for item in pairs:
            try:
                value, clock = item
            except (TypeError, ValueError):
                raise TypeError(f"pairs holds (value, VectorClock) pairs, got {item!r}") from None
            if not isinstance(clock, VectorClock):
                clock = VectorClock(clock)
            if not isinstance(value, Hashable):
                raise TypeError(f"values must be hashable, got {type(value).__name__} {value!r}")
            checked.add((value, clock))
        clocks = [c for _, c in checked]
        for value, clock in checked:
            if _dominated(clock, clocks):
                raise ValueError(f"the pair ({value!r}, {clock}) is dominated by another pair's "
                                 f"vector: a payload holds only concurrent versions")
        object.__setattr__(self, "_pairs", frozenset(checked))

    @classmethod
    def _trusted(cls, pairs: frozenset) -> "MVRegister":
        obj = object.__new__(cls)
        object.__setattr__(obj, "_pairs", pairs)
        return obj

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("an MVRegister is immutable: assign() and merge() return new ones")

    def __reduce__(self) -> tuple:
        return (type(self), (self.pairs,))

    @property
    def pairs(self) -> tuple[tuple[Any, VectorClock], ...]:
        """The ``(value, vector)`` pairs, sorted by vector then value."""
        return tuple(sorted(self._pairs, key=lambda p: (sorted(p[1].items()), repr(p[0]))))

    def clock(self) -> VectorClock:
        """The least upper bound of every vector held: the state's *context*."""
        return reduce(lambda a, b: a.merge(b), (c for _, c in self._pairs), VectorClock())

    def assign(self, value: Any, replica: str) -> "MVRegister":
        """``V = increment(lub of all vectors, replica)``; the payload becomes ``{(value, V)}``."""
        _replica(replica)
        if not isinstance(value, Hashable):
            raise TypeError(f"value must be hashable, got {type(value).__name__} {value!r}")
        return type(self)._trusted(frozenset({(value, self.clock().increment(replica))}))

    def value(self) -> tuple[Any, ...]:
        """Every concurrent value (the *siblings*), sorted; ``()`` if never assigned."""
        return sorted_elements({v for v, _ in self._pairs})

    def merge(self, other: "MVRegister") -> "MVRegister":
        """Keep the pairs of both whose vector is not dominated by another pair's."""
        self._same_type(other, "merge")
        union = self._pairs | other._pairs
        clocks = [c for _, c in union]
        kept = frozenset(p for p in union if not _dominated(p[1], clocks))
        return self if kept == self._pairs else type(self)._trusted(kept)

    def leq(self, other: "MVRegister") -> bool:
        """Every vector of ``self`` is ``<=`` some vector of ``other`` (and a pair with
        an equal vector is the very same pair)."""
        self._same_type(other, "leq")
        for value, clock in self._pairs:
            if (value, clock) in other._pairs:
                continue
            if not any(clock < c for _, c in other._pairs):
                return False
        return True

    def size(self) -> int:
        """Values plus vector entries."""
        return sum(1 + len(c) for _, c in self._pairs)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._pairs == other._pairs

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._pairs))

    def __repr__(self) -> str:
        return type(self).__name__ + "({" + ", ".join(f"{v!r}: {c}" for v, c in self.pairs) + "})"
