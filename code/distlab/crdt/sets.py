"""Sets as state-based CRDTs: the G-Set, the 2P-Set and the OR-Set.

All three are specified in Shapiro, Preguiça, Baquero and Zawirski's comprehensive
study (INRIA RR-7506, 2011, §3.3), "2011b" below:

- **G-Set** (grow-only set; §3.3.1, Specification 11): ``add`` only; the merge is the
  union, the order is set inclusion. Elements can never be removed.
- **2P-Set** (two-phase set; §3.3.2, Specification 12): a G-Set ``A`` of added
  elements and a G-Set ``R`` of removed ones (*tombstones*); ``e`` is in the set if
  ``e ∈ A`` and ``e ∉ R``. ``remove(e)`` requires ``e`` to be in the set (its source
  precondition). Remove wins, for good: once removed, an element can never come back,
  because ``R`` only grows.
- **OR-Set** (observed-remove set; §3.3.5, given there as Specification 15 in its
  operation-based form). Each ``add(e)`` creates a pair ``(e, tag)`` with a tag never
  used before; ``remove(e)`` removes the pairs of ``e`` *that this replica has
  observed*, and keeps them as tombstones ``T``. A concurrent ``add(e)`` elsewhere
  makes a pair the remove never saw, so it survives the merge: **add wins**, and an
  element can be added again after a remove. The state-based form used here keeps
  ``E`` (live pairs) and ``T`` (tombstones) and merges ``E = (E ∪ E') \\ (T ∪ T')``,
  ``T = T ∪ T'``. Tags are ``(replica, n)`` with ``n`` one more than the largest
  ``n`` this replica's state holds, so they are unique and deterministic.

The tombstones make both 2P-Set and OR-Set grow with every remove (``size`` counts
them): the metadata cost of removal without coordination. Elements must be hashable;
``value()`` returns them as a sorted tuple so that printing a set is deterministic.

Taught in notebook 2.10 ("CRDTs").
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from .base import StateCRDT

__all__ = ["GSet", "TwoPSet", "ORSet", "Tag", "sorted_elements"]

Tag = tuple[str, int]  #: an OR-Set tag: (replica id, sequence number at that replica)


def sorted_elements(items: Iterable[Any]) -> tuple[Any, ...]:
    """``items`` in a deterministic order: by type name, then value (or repr if the
    values of one type cannot be compared)."""
    items = list(items)
    try:
        return tuple(sorted(items, key=lambda e: (type(e).__name__, e)))
    except TypeError:
        return tuple(sorted(items, key=lambda e: (type(e).__name__, repr(e))))


def _element(e: Any) -> Any:
    if not isinstance(e, Hashable):
        raise TypeError(f"set elements must be hashable (str, int, tuple, ...), "
                        f"got {type(e).__name__} {e!r}")
    return e


def _replica(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"replica must be a replica id (a non-empty str such as 'r1'), "
                        f"got {value!r}")
    return value


def _frozen(name: str, items: Any) -> frozenset:
    if isinstance(items, (str, bytes)):
        raise TypeError(f"{name} must be a collection of elements, not a single string "
                        f"(write [{items!r}])")
    return frozenset(_element(e) for e in items)


class _Immutable(StateCRDT):
    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a {type(self).__name__} is immutable: its update methods and "
                             f"merge() return new states")

    def _set(self, **fields: Any) -> None:
        for k, v in fields.items():
            object.__setattr__(self, k, v)


def _show(items: Iterable[Any]) -> str:
    return "{" + ", ".join(repr(e) for e in sorted_elements(items)) + "}"


class GSet(_Immutable):
    """A grow-only set (Shapiro et al. 2011b, Specification 11).

    >>> a = GSet().add("milk")
    >>> b = GSet().add("eggs")
    >>> a.merge(b).value()
    ('eggs', 'milk')
    """

    __slots__ = ("_a",)

    def __init__(self, elements: Iterable[Any] = ()) -> None:
        self._set(_a=_frozen("elements", elements))

    def __reduce__(self) -> tuple:
        return (type(self), (tuple(sorted_elements(self._a)),))

    def add(self, e: Any) -> "GSet":
        """``A := A ∪ {e}`` (a new state)."""
        return type(self)(self._a | {_element(e)})

    def lookup(self, e: Any) -> bool:
        """``e ∈ A``."""
        return e in self._a

    __contains__ = lookup

    def value(self) -> tuple[Any, ...]:
        """The elements, sorted."""
        return sorted_elements(self._a)

    def merge(self, other: "GSet") -> "GSet":
        """The union of the two sets."""
        self._same_type(other, "merge")
        return self if other._a <= self._a else type(self)(self._a | other._a)

    def leq(self, other: "GSet") -> bool:
        """``A ⊆ A'``."""
        self._same_type(other, "leq")
        return self._a <= other._a

    def size(self) -> int:
        return len(self._a)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._a == other._a

    def __hash__(self) -> int:
        return hash(("GSet", self._a))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_show(self._a)})"


class TwoPSet(_Immutable):
    """A two-phase set: added ``A`` and removed ``R`` (Shapiro et al. 2011b, Spec. 12).

    >>> s = TwoPSet().add("milk").add("eggs").remove("milk")
    >>> s.value()
    ('eggs',)
    >>> s.add("milk").value()          # removed once, removed for ever
    ('eggs',)
    """

    __slots__ = ("_a", "_r")

    def __init__(self, added: Iterable[Any] = (), removed: Iterable[Any] = ()) -> None:
        a, r = _frozen("added", added), _frozen("removed", removed)
        if not r <= a:
            raise ValueError(f"removed elements must have been added first: "
                             f"{_show(r - a)} are in removed but not in added")
        self._set(_a=a, _r=r)

    def __reduce__(self) -> tuple:
        return (type(self), (sorted_elements(self._a), sorted_elements(self._r)))

    @property
    def added(self) -> tuple[Any, ...]:
        return sorted_elements(self._a)

    @property
    def removed(self) -> tuple[Any, ...]:
        """The tombstones."""
        return sorted_elements(self._r)

    def lookup(self, e: Any) -> bool:
        """``e ∈ A ∧ e ∉ R``."""
        return e in self._a and e not in self._r

    __contains__ = lookup

    def add(self, e: Any) -> "TwoPSet":
        """``A := A ∪ {e}`` (no effect on the value if ``e`` was removed before)."""
        return type(self)(self._a | {_element(e)}, self._r)

    def remove(self, e: Any) -> "TwoPSet":
        """``R := R ∪ {e}``; precondition: ``lookup(e)`` (raises ``ValueError``)."""
        if not self.lookup(e):
            raise ValueError(f"remove({e!r}): precondition lookup(e) fails: {e!r} is not in "
                             f"the set {_show(self._a - self._r)}")
        return type(self)(self._a, self._r | {e})

    def value(self) -> tuple[Any, ...]:
        """``A \\ R``, sorted."""
        return sorted_elements(self._a - self._r)

    def merge(self, other: "TwoPSet") -> "TwoPSet":
        """``(A ∪ A', R ∪ R')``."""
        self._same_type(other, "merge")
        if other._a <= self._a and other._r <= self._r:
            return self
        return type(self)(self._a | other._a, self._r | other._r)

    def leq(self, other: "TwoPSet") -> bool:
        """``A ⊆ A' ∧ R ⊆ R'``."""
        self._same_type(other, "leq")
        return self._a <= other._a and self._r <= other._r

    def size(self) -> int:
        """Elements plus tombstones."""
        return len(self._a) + len(self._r)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._a == other._a and self._r == other._r

    def __hash__(self) -> int:
        return hash(("TwoPSet", self._a, self._r))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(A={_show(self._a)}, R={_show(self._r)})"


def _pairs(name: str, items: Any) -> frozenset:
    if isinstance(items, (str, bytes)):
        raise TypeError(f"{name} must be a collection of (element, (replica, n)) pairs")
    out = set()
    for item in items:
        try:
            e, (r, n) = item
        except (TypeError, ValueError):
            raise TypeError(f"{name} holds (element, (replica, n)) pairs; got {item!r}") from None
        _element(e)
        _replica(r)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"a tag's sequence number must be an int >= 1, got {item!r}")
        out.add((e, (r, n)))
    return frozenset(out)


def _sorted_pairs(pairs: Iterable[tuple[Any, Tag]]) -> tuple[tuple[Any, Tag], ...]:
    pairs = list(pairs)
    try:
        return tuple(sorted(pairs, key=lambda p: (type(p[0]).__name__, p[0], p[1])))
    except TypeError:
        return tuple(sorted(pairs, key=lambda p: (type(p[0]).__name__, repr(p[0]), p[1])))


class ORSet(_Immutable):
    """An observed-remove (add-wins) set: live pairs ``E`` and tombstones ``T``.

    >>> alice = ORSet().add("milk", "alice")
    >>> bob = alice                                   # Bob has seen Alice's milk ...
    >>> bob = bob.remove("milk")                      # ... and removes it,
    >>> alice = alice.add("milk", "alice")            # while Alice adds milk again
    >>> alice.merge(bob).value()                      # her new add was not observed
    ('milk',)

    Shapiro et al. 2011b, §3.3.5 (Specification 15 gives the op-based form).
    """

    __slots__ = ("_e", "_t")

    def __init__(self, entries: Iterable[tuple[Any, Tag]] = (),
                 tombstones: Iterable[tuple[Any, Tag]] = ()) -> None:
        e, t = _pairs("entries", entries), _pairs("tombstones", tombstones)
        if e & t:
            raise ValueError(f"a pair cannot be both live and a tombstone: "
                             f"{sorted(e & t, key=repr)[:3]}")
        self._set(_e=e, _t=t)

    @classmethod
    def _trusted(cls, e: frozenset, t: frozenset) -> "ORSet":
        obj = object.__new__(cls)
        object.__setattr__(obj, "_e", e)
        object.__setattr__(obj, "_t", t)
        return obj

    def __reduce__(self) -> tuple:
        return (type(self), (self.entries, self.tombstones))

    @property
    def entries(self) -> tuple[tuple[Any, Tag], ...]:
        """The live ``(element, tag)`` pairs, sorted."""
        return _sorted_pairs(self._e)

    @property
    def tombstones(self) -> tuple[tuple[Any, Tag], ...]:
        """The removed ``(element, tag)`` pairs, sorted."""
        return _sorted_pairs(self._t)

    def lookup(self, e: Any) -> bool:
        """``∃ tag: (e, tag) ∈ E``."""
        return any(x == e for x, _ in self._e)

    __contains__ = lookup

    def next_tag(self, replica: str) -> Tag:
        """A tag ``replica`` has never used: one past the largest it has in ``E ∪ T``."""
        _replica(replica)
        n = max((t[1] for _, t in self._e | self._t if t[0] == replica), default=0)
        return (replica, n + 1)

    def add(self, e: Any, replica: str) -> "ORSet":
        """Add ``e`` at ``replica`` with a fresh tag: ``E := E ∪ {(e, tag)}``."""
        return type(self)._trusted(self._e | {(_element(e), self.next_tag(replica))}, self._t)

    def remove(self, e: Any) -> "ORSet":
        """Remove the *observed* pairs of ``e``: ``R = {(e, t) ∈ E}``, ``E := E \\ R``,
        ``T := T ∪ R``. Precondition: ``lookup(e)`` (raises ``ValueError``)."""
        observed = frozenset(p for p in self._e if p[0] == e)
        if not observed:
            raise ValueError(f"remove({e!r}): precondition lookup(e) fails: {e!r} is not in "
                             f"the set {_show(x for x, _ in self._e)}")
        return type(self)._trusted(self._e - observed, self._t | observed)

    def value(self) -> tuple[Any, ...]:
        """The elements with at least one live pair, sorted."""
        return sorted_elements({x for x, _ in self._e})

    def merge(self, other: "ORSet") -> "ORSet":
        """``E := (E ∪ E') \\ (T ∪ T')``, ``T := T ∪ T'``."""
        self._same_type(other, "merge")
        if other._e <= self._e and other._t <= self._t:
            return self
        t = self._t | other._t
        return type(self)._trusted((self._e | other._e) - t, t)

    def leq(self, other: "ORSet") -> bool:
        """``(E ∪ T) ⊆ (E' ∪ T') ∧ T ⊆ T'``."""
        self._same_type(other, "leq")
        return (self._e | self._t) <= (other._e | other._t) and self._t <= other._t

    def size(self) -> int:
        """Live pairs plus tombstones: the payload's atoms."""
        return len(self._e) + len(self._t)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._e == other._e and self._t == other._t

    def __hash__(self) -> int:
        return hash(("ORSet", self._e, self._t))

    def __repr__(self) -> str:
        def show(pairs: Iterable[tuple[Any, Tag]]) -> str:
            return "{" + ", ".join(f"{e!r}@{r}.{n}" for e, (r, n) in pairs) + "}"
        return f"{type(self).__name__}(E={show(self.entries)}, T={show(self.tombstones)})"
