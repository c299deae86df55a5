"""Conflict resolution for replicas that accept writes independently.

When two replicas accept writes to the same key without coordinating (multi-leader and
leaderless replication), the writes *conflict*, and every replica must end up choosing
the same outcome. Two classic answers:

- **Last writer wins** (``Stamped``, ``lww``): each write carries a timestamp
  ``(clock reading, node id)`` and the largest wins everywhere; the others are
  silently discarded (Cassandra's rule; Lakshman & Malik 2010). It converges, but
  "largest timestamp" is "last" only if clocks agree: a write stamped by a clock that
  is behind loses to an earlier write, even one it causally follows (Kleppmann 2017,
  ch. 5 and 8; notebook 1.4 showed the skew).
- **Versions with siblings** (``Siblings``): each write carries a *version vector*;
  a write that has seen another (its vector dominates) replaces it, and writes that
  are concurrent are all kept as *siblings* and returned to the client, which
  reconciles them and writes the result back with the *context* it read (Dynamo,
  DeCandia et al. 2007, §4.4; Riak). Nothing is lost silently; the application must
  merge. The rule is the MV-Register's (``distlab.crdt.MVRegister``), with the
  vector's entry for the *writer* (here the client: Riak's "actor") advanced on each
  write.

Taught in notebook 2.9 ("Replication strategies and conflict resolution").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..clocks import VectorClock
from ..crdt import MVRegister

__all__ = ["Stamp", "Stamped", "lww", "lww_all", "Siblings", "new_clock"]

Stamp = tuple[float, str]  #: (clock reading, node id): ties between nodes break by id


@dataclass(frozen=True, slots=True)
class Stamped:
    """A value written at ``stamp = (clock reading, node)``."""

    value: Any
    stamp: Stamp

    def __repr__(self) -> str:
        t, node = self.stamp
        return f"{self.value!r}@{t:g}/{node}"


def _stamp_key(v: Stamped) -> tuple:
    return (v.stamp, repr(v.value))


def lww(a: Stamped | None, b: Stamped | None) -> Stamped | None:
    """The version with the larger stamp (``None`` stands for "nothing written")."""
    if a is None:
        return b
    if b is None:
        return a
    for x in (a, b):
        if not isinstance(x, Stamped):
            raise TypeError(f"lww compares Stamped versions, got {type(x).__name__} {x!r}")
    return a if _stamp_key(a) >= _stamp_key(b) else b


def lww_all(versions: Iterable[Stamped | None]) -> Stamped | None:
    """The winner among many versions."""
    out: Stamped | None = None
    for v in versions:
        out = lww(out, v)
    return out


def new_clock(context: VectorClock, actor: str, counter: int | None = None) -> VectorClock:
    """The vector of a write made by ``actor`` after reading ``context``: the context
    with ``actor``'s entry advanced (to ``counter`` if given, else by one)."""
    if not isinstance(context, VectorClock):
        raise TypeError(f"context must be a VectorClock, got {type(context).__name__} {context!r}")
    if counter is None:
        return context.increment(actor)
    if isinstance(counter, bool) or not isinstance(counter, int) or counter <= context[actor]:
        raise ValueError(f"counter must be an int larger than the context's entry for "
                         f"{actor!r} ({context[actor]}), got {counter!r}")
    return context.merge(VectorClock({actor: counter}))


class Siblings(MVRegister):
    """The versions of one key: concurrent ``(value, vector)`` pairs, none dominated.

    >>> v = Siblings().put("milk", VectorClock(), "alice")
    >>> ctx = v.context
    >>> a = v.put("milk, eggs", ctx, "alice")       # both read {milk} ...
    >>> b = v.put("milk, flour", ctx, "bob")         # ... and wrote concurrently
    >>> a.merge(b).values
    ('milk, eggs', 'milk, flour')
    >>> a.merge(b).put("milk, eggs, flour", a.merge(b).context, "alice").values
    ('milk, eggs, flour',)
    """

    __slots__ = ()

    @property
    def values(self) -> tuple[Any, ...]:
        """The siblings' values, sorted."""
        return self.value()

    @property
    def context(self) -> VectorClock:
        """The least upper bound of the siblings' vectors: what a reader has seen."""
        return self.clock()

    def put(self, value: Any, context: VectorClock, actor: str,
            counter: int | None = None) -> "Siblings":
        """Store a write made with ``context``: it replaces every sibling the context
        covers and stands beside the others."""
        written = Siblings._trusted(frozenset({(value, new_clock(context, actor, counter))}))
        return self.merge(written)

    def reconcile(self, merge: Callable[[tuple[Any, ...]], Any]) -> Any:
        """The application's merge of the siblings' values (e.g. the union of carts)."""
        return merge(self.values)
