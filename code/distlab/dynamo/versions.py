"""Versions of a value and how replicas reconcile them: vector clocks with siblings, or
last-writer-wins.

Dynamo (DeCandia et al. 2007, §4.4) keeps every version of a key that no other version
supersedes. Each version carries a vector clock; version ``a`` is *obsolete* when
another version ``b`` descends from it (``a.clock <= b.clock``, and they differ).
Versions whose clocks are concurrent are kept side by side as **siblings**; a read
returns all of them with their merged clock as the *context*, and the client, which
knows what the value means, reconciles them (a shopping cart takes the union) and
writes the result back with that context, which supersedes them all. Merging replica
states is *syntactic reconciliation*: keep the versions no other version supersedes.

Who increments the clock (``actor``):

- ``"client"`` (the default; Riak before version 1.0 did this): the writing client's
  entry.
  A client issues one operation at a time, so its events are totally ordered and a
  clock is exactly the write's causal past (Fidge 1988; Mattern 1989): two writes are
  siblings if and only if neither writer had seen the other.
- ``"coordinator"`` (the paper's description): the coordinating server's entry, one
  higher than any it has issued for the key. Two clients that write concurrently
  through the same coordinator then get clocks ``{A: 1}`` and ``{A: 2}``: the second
  *looks* newer and silently replaces the first. With plain per-server entries a
  store must either lose such writes or keep false siblings; dotted version vectors
  (Preguiça et al. 2010) remove the dilemma. Notebook 2.13 shows the loss with the
  checker.

``LastWriterWins`` (Cassandra; Lakshman & Malik 2010) keeps one version per key, the
one with the highest timestamp (ties broken by writer id): no siblings, and a
concurrent (or clock-skewed) write is lost without a trace.

A deletion is a version too, a **tombstone** (``deleted=True``), so that it can
supersede older versions on replicas that missed it; its ``value`` is the client's tag
for the deletion (for checkers and pictures; reads never return it as data). Versions
are immutable; every function returns new tuples, sorted so that runs are
reproducible. Taught in notebook 2.13.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..clocks import VectorClock

__all__ = ["Version", "VectorClockVersions", "LastWriterWins", "POLICIES", "policy",
           "reconcile", "descends", "context_of", "visible", "fingerprint", "digest",
           "ACTORS"]

ACTORS = ("client", "coordinator")


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a key's value.

    ``clock`` orders versions under vector clocks; ``timestamp`` and ``writer`` under
    last-writer-wins. A tombstone has ``deleted=True`` and holds its tag in ``value``.
    """

    value: Any
    clock: VectorClock = VectorClock()
    timestamp: float = 0.0
    writer: str = ""
    deleted: bool = False

    def __repr__(self) -> str:
        shown = ("" if str(self.value).startswith("✝") else "✝") + str(self.value) \
            if self.deleted else repr(self.value)
        if len(self.clock):
            return f"Version({shown} {self.clock})"
        return f"Version({shown} @{self.timestamp:g} {self.writer})"

    def key(self) -> tuple:
        """A total order used only to list siblings reproducibly."""
        return (tuple(self.clock.items()), self.timestamp, self.writer, self.deleted,
                repr(self.value))


def descends(a: Version, b: Version) -> bool:
    """Does ``a`` descend from (supersede or equal) ``b``? ``b.clock <= a.clock``."""
    return b.clock <= a.clock


def reconcile(versions: Iterable[Version]) -> tuple[Version, ...]:
    """Syntactic reconciliation (Dynamo §4.4): keep the versions no other supersedes.

    Identical versions collapse to one; the result is sorted reproducibly.
    """
    unique = sorted(set(versions), key=Version.key)
    keep = [v for v in unique
            if not any(v.clock < w.clock for w in unique)]
    return tuple(keep)


def context_of(versions: Iterable[Version]) -> VectorClock:
    """The context a read hands the client: the merge of its versions' clocks."""
    ctx = VectorClock()
    for v in versions:
        ctx = ctx.merge(v.clock)
    return ctx


def visible(versions: Iterable[Version]) -> tuple[Any, ...]:
    """The values a read shows the application: the siblings that are not tombstones."""
    return tuple(v.value for v in versions if not v.deleted)


def fingerprint(versions: Iterable[Version]) -> tuple:
    """A canonical, hashable description of a set of versions (what replicas compare)."""
    return tuple(sorted((repr(v.value), v.deleted, str(v.clock), v.timestamp, v.writer)
                        for v in versions))


def digest(versions: Iterable[Version]) -> str:
    """A short hash of a set of versions (Merkle leaves, acknowledgements)."""
    return _digest(tuple(versions))


@lru_cache(maxsize=8192)
def _digest(versions: tuple[Version, ...]) -> str:
    return hashlib.sha1(repr(fingerprint(versions)).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class VectorClockVersions:
    """Vector clocks with siblings (Dynamo §4.4). ``actor``: who increments the clock."""

    actor: str = "client"
    name: str = "vector clocks"

    def __post_init__(self) -> None:
        if self.actor not in ACTORS:
            raise ValueError(f"actor must be one of {ACTORS}, got {self.actor!r}")

    def stamp(self, value: Any, *, context: VectorClock, client: str, coordinator: str,
              local: Sequence[Version] = (), now: float = 0.0,
              deleted: bool = False) -> Version:
        """The new version a put (or a delete) creates."""
        if not isinstance(context, VectorClock):
            raise TypeError(f"context must be a VectorClock, got {context!r}")
        if self.actor == "client":
            clock = context.increment(client)
        else:
            # The paper's coordinator entry: one higher than any the coordinator has
            # issued for this key that it can see (the context or its local versions).
            top = max([context[coordinator]] + [v.clock[coordinator] for v in local])
            clock = VectorClock({**context.as_dict(), coordinator: top + 1})
        # No timestamp: under vector clocks two copies of one request are one version.
        return Version(value, clock, 0.0, client, deleted)

    def merge(self, *sets: Iterable[Version]) -> tuple[Version, ...]:
        """Merge replicas' versions of a key: syntactic reconciliation."""
        return reconcile([v for versions in sets for v in versions])


@dataclass(frozen=True)
class LastWriterWins:
    """Last-writer-wins (Cassandra): keep the version with the highest timestamp.

    The coordinator stamps a put with its own physical clock (``now``); ties are broken
    by the writer's id, then by the value, so that every replica picks the same winner.
    """

    name: str = "last writer wins"

    def stamp(self, value: Any, *, context: VectorClock, client: str, coordinator: str,
              local: Sequence[Version] = (), now: float = 0.0,
              deleted: bool = False) -> Version:
        return Version(value, VectorClock(), float(now), client, deleted)

    def merge(self, *sets: Iterable[Version]) -> tuple[Version, ...]:
        """Merge replicas' versions of a key: the one with the highest timestamp."""
        every = [v for versions in sets for v in versions]
        if not every:
            return ()
        return (max(every, key=lambda v: (v.timestamp, v.writer, repr(v.value), v.deleted)),)


POLICIES = ("vector-clocks", "lww")


def policy(name: str, actor: str = "client") -> VectorClockVersions | LastWriterWins:
    """The version policy called ``name``: ``"vector-clocks"`` or ``"lww"``."""
    if name == "vector-clocks":
        return VectorClockVersions(actor)
    if name == "lww":
        return LastWriterWins()
    raise ValueError(f"versions must be one of {POLICIES}, got {name!r}")
