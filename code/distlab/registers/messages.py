"""Messages of the replicated registers (ABD quorums and a primary with followers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Read", "Write", "ReadOk", "WriteOk", "Query", "QueryOk", "Store", "StoreOk",
           "Replicate", "Timestamp"]

# A version: (counter, writer id, request number), ordered lexicographically: ties
# between writers break by id (Attiya, Bar-Noy & Dolev 1995), and no two writes share
# a timestamp.
Timestamp = tuple[int, str, int]


@dataclass(frozen=True, slots=True)
class Read:
    """Client -> replica: read the register."""

    req: int


@dataclass(frozen=True, slots=True)
class Write:
    """Client -> replica: write ``value``."""

    req: int
    value: Any


@dataclass(frozen=True, slots=True)
class ReadOk:
    req: int
    value: Any


@dataclass(frozen=True, slots=True)
class WriteOk:
    req: int


@dataclass(frozen=True, slots=True)
class Query:
    """Coordinator -> replica: what is your (timestamp, value)?"""

    op: int


@dataclass(frozen=True, slots=True)
class QueryOk:
    op: int
    ts: Timestamp
    value: Any


@dataclass(frozen=True, slots=True)
class Store:
    """Coordinator -> replica: keep ``value`` if ``ts`` is newer than yours."""

    op: int
    ts: Timestamp
    value: Any


@dataclass(frozen=True, slots=True)
class StoreOk:
    op: int


@dataclass(frozen=True, slots=True)
class Replicate:
    """Primary -> follower: apply ``value`` as version ``ts`` (asynchronous)."""

    ts: Timestamp
    value: Any
