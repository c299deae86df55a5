"""State-based CRDTs: the protocol every replicated data type in ``distlab.crdt`` follows.

A *state-based* conflict-free replicated data type (a CvRDT; Shapiro, Preguiça,
Baquero and Zawirski 2011, §2.2) is a value that each replica updates locally and
ships whole to the others; a replica that receives a state *merges* it into its own.
Its states form a join-semilattice:

- ``leq(other)`` is the partial order (Shapiro's *compare*): ``a.leq(b)`` means that
  ``b`` already reflects every update ``a`` reflects;
- ``merge(other)`` is the *join*: the least state that is ``>=`` both;
- every update is an *inflation*: ``s.leq(s.update(...))``.

Because it is a join, ``merge`` obeys three laws, for all states ``a``, ``b``, ``c``:

- commutative: ``a.merge(b) == b.merge(a)``: the order of delivery does not matter;
- associative: ``a.merge(b).merge(c) == a.merge(b.merge(c))``: the gossip path does not;
- idempotent: ``a.merge(a) == a``: duplicates do not matter;

so two replicas that have received the same updates, in any order, any number of times
and along any path, hold equal states: *strong eventual consistency* (Shapiro et al.
2011, §2.2: a monotonic semilattice object is SEC given eventual delivery).
``law_violations`` checks the laws (and the upper-bound property) on given states;
``tests/test_crdt.py`` property-tests them with hypothesis for every type here.

Values are immutable: ``update`` and ``merge`` return new states, so a state can be put
in a message or in durable storage without copying. A new type is added beside the
others by subclassing ``StateCRDT`` and implementing ``value``, ``merge``, ``leq`` and
``size``.

Taught in notebook 1.5 ("Project: a distributed counter").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from functools import reduce
from typing import Any, TypeVar

__all__ = ["StateCRDT", "LAWS", "law_violations", "merge_all"]

S = TypeVar("S", bound="StateCRDT")

#: The three merge laws of a state-based CRDT, in the order ``law_violations`` checks them.
LAWS = ("commutative", "associative", "idempotent")


class StateCRDT(ABC):
    """A state-based CRDT value (Shapiro et al. 2011, §2.2, "state-based objects").

    Subclasses are immutable values with ``==`` and ``hash``; they implement

    - ``value()``: the query (a counter's number, a set's elements, ...);
    - ``merge(other)``: the join of two states of the same type, a new state;
    - ``leq(other)``: the semilattice order (Shapiro's *compare*);
    - ``size()``: how many atoms the payload holds (what the book compares as cost).

    and offer their own update methods (``increment``, ``add``, ...), each returning a
    new, larger state.
    """

    __slots__ = ()

    @abstractmethod
    def value(self) -> Any:
        """The query: what the replicated object currently holds."""

    @abstractmethod
    def merge(self: S, other: S) -> S:
        """The join (least upper bound) of ``self`` and ``other``: a new state."""

    @abstractmethod
    def leq(self: S, other: S) -> bool:
        """``self <= other`` in the semilattice: ``other`` has seen all ``self`` has."""

    @abstractmethod
    def size(self) -> int:
        """How many atoms (integers, elements, tags) the payload holds: its cost."""

    def __le__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.leq(other)  # type: ignore[arg-type]

    def _same_type(self, other: object, operation: str) -> None:
        """Raise ``TypeError`` unless ``other`` is a state of this very type."""
        if type(other) is not type(self):
            raise TypeError(f"{type(self).__name__}.{operation} needs another "
                            f"{type(self).__name__}, got {type(other).__name__} {other!r}")

    # Immutable values need no copies (durable storage deep-copies what it stores).
    def __copy__(self: S) -> S:
        return self

    def __deepcopy__(self: S, memo: dict) -> S:
        return self


def merge_all(states: Iterable[S]) -> S:
    """The join of one or more states of the same type (``merge`` folded left)."""
    states = list(states)
    if not states:
        raise ValueError("merge_all needs at least one state (a CRDT has no default "
                         "type to return for an empty list)")
    for s in states:
        if not isinstance(s, StateCRDT):
            raise TypeError(f"merge_all merges StateCRDT values, got {type(s).__name__} {s!r}")
    return reduce(lambda a, b: a.merge(b), states)


def law_violations(a: S, b: S, c: S) -> list[str]:
    """Which merge laws fail on the states ``a``, ``b``, ``c`` (empty list: none).

    Checks, in order, ``commutative``, ``associative``, ``idempotent`` (``LAWS``) and
    ``upper bound`` (``a.leq(a.merge(b))`` and ``b.leq(a.merge(b))``).
    """
    for name, s in (("a", a), ("b", b), ("c", c)):
        if not isinstance(s, StateCRDT):
            raise TypeError(f"{name} must be a StateCRDT, got {type(s).__name__} {s!r}")
    if not (type(a) is type(b) is type(c)):
        raise TypeError(f"a, b and c must be states of one type, got {type(a).__name__}, "
                        f"{type(b).__name__} and {type(c).__name__}")
    bad = []
    if a.merge(b) != b.merge(a):
        bad.append("commutative")
    if a.merge(b).merge(c) != a.merge(b.merge(c)):
        bad.append("associative")
    if a.merge(a) != a:
        bad.append("idempotent")
    ab = a.merge(b)
    if not (a.leq(ab) and b.leq(ab)):
        bad.append("upper bound")
    return bad
