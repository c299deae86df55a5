"""The messages of the Dynamo-style store (DeCandia et al. 2007), one frozen dataclass each.

Clients talk to any node, which coordinates the request (§4.5): ``Get``, ``Put`` and
``Delete`` go in; ``GetOk`` (the sibling versions, whose merged clock is the *context*
for the next write), ``PutOk``, ``Unavailable`` (refused before anything was written:
a definite failure) or ``Timeout`` (not enough replicas answered in time: the write
may or may not have happened) come out.

The coordinator talks to replicas with ``ReplicaRead``/``ReplicaWrite`` (a write to a
fallback node carries a ``hint``: the node it stands in for, §4.6). Hinted replicas go
home with ``Handoff``; keys change hands on joins and leaves with ``Transfer`` (§4.9);
replicas compare key ranges with Merkle trees (``MerkleRoots``, ``MerkleLevel``,
``SyncLeaves``, §4.7); membership spreads by ``Gossip`` (§4.8), and an operator asks a
node to ``Join`` or ``Leave``. Taught in notebook 2.13.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..clocks import VectorClock
from .versions import Version

__all__ = ["Get", "Put", "Delete", "GetOk", "PutOk", "Unavailable", "Timeout",
           "ReplicaRead", "ReplicaReadOk", "ReplicaWrite", "ReplicaWriteOk",
           "Handoff", "HandoffOk", "Transfer", "TransferOk",
           "MerkleRoots", "MerkleLevel", "SyncLeaves", "Gossip", "Join", "Leave",
           "OperatorOk", "CLIENT_REPLIES"]


def _vs(versions: tuple[Version, ...]) -> str:
    return "[" + ", ".join(map(repr, versions)) + "]"


# --- client <-> coordinator ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Get:
    """Read ``key``."""

    req: int
    key: str


@dataclass(frozen=True, slots=True)
class Put:
    """Write ``value`` to ``key``; ``context`` is the clock of what the client has seen."""

    req: int
    key: str
    value: Any
    context: VectorClock = VectorClock()

    def __repr__(self) -> str:
        return f"Put({self.req}, {self.key!r}, {self.value!r}, ctx={self.context})"


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete ``key``: write a tombstone named ``tag`` with ``context``."""

    req: int
    key: str
    tag: str
    context: VectorClock = VectorClock()

    def __repr__(self) -> str:
        return f"Delete({self.req}, {self.key!r}, ctx={self.context})"


@dataclass(frozen=True, slots=True)
class GetOk:
    """The versions a read found (siblings when there are several)."""

    req: int
    key: str
    versions: tuple[Version, ...]

    def __repr__(self) -> str:
        return f"GetOk({self.req}, {self.key!r}, {_vs(self.versions)})"


@dataclass(frozen=True, slots=True)
class PutOk:
    """The write (or delete) is stored on ``W`` nodes; ``clock`` is its version's clock."""

    req: int
    key: str
    clock: VectorClock = VectorClock()


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Refused: too few replicas are reachable; nothing was written."""

    req: int
    key: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Timeout:
    """Too few replicas answered in time; a write may or may not have taken effect."""

    req: int
    key: str


CLIENT_REPLIES = (GetOk, PutOk, Unavailable, Timeout)


# --- coordinator <-> replicas -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ReplicaRead:
    """Send me your versions of ``key`` (operation ``op`` of the coordinator)."""

    op: int
    key: str


@dataclass(frozen=True, slots=True)
class ReplicaReadOk:
    op: int
    key: str
    versions: tuple[Version, ...]

    def __repr__(self) -> str:
        return f"ReplicaReadOk({self.op}, {self.key!r}, {_vs(self.versions)})"


@dataclass(frozen=True, slots=True)
class ReplicaWrite:
    """Store these versions of ``key``; ``hint`` names the owner a fallback stands in for."""

    op: int
    key: str
    versions: tuple[Version, ...]
    hint: str | None = None

    def __repr__(self) -> str:
        hint = f", hint={self.hint!r}" if self.hint else ""
        return f"ReplicaWrite({self.op}, {self.key!r}, {_vs(self.versions)}{hint})"


@dataclass(frozen=True, slots=True)
class ReplicaWriteOk:
    op: int
    key: str


# --- hinted handoff and key transfer -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class Handoff:
    """A fallback node hands a hinted replica to the owner it was meant for."""

    key: str
    versions: tuple[Version, ...]

    def __repr__(self) -> str:
        return f"Handoff({self.key!r}, {_vs(self.versions)})"


@dataclass(frozen=True, slots=True)
class HandoffOk:
    """Stored; ``digest`` names what was received, so the hint can be dropped."""

    key: str
    digest: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """A node that no longer replicates ``key`` hands it to a node that now does."""

    key: str
    versions: tuple[Version, ...]

    def __repr__(self) -> str:
        return f"Transfer({self.key!r}, {_vs(self.versions)})"


@dataclass(frozen=True, slots=True)
class TransferOk:
    key: str
    digest: str


# --- anti-entropy ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MerkleRoots:
    """The root hash of my Merkle tree for each key range we both replicate."""

    roots: tuple[tuple[int, int, str], ...]

    def __repr__(self) -> str:
        return f"MerkleRoots({len(self.roots)} ranges)"


@dataclass(frozen=True, slots=True)
class MerkleLevel:
    """My hashes of these tree nodes (``(index, hash)``) at ``level`` of range (lo, hi]."""

    lo: int
    hi: int
    level: int
    hashes: tuple[tuple[int, str], ...]

    def __repr__(self) -> str:
        return f"MerkleLevel(level {self.level}, {len(self.hashes)} hashes)"


@dataclass(frozen=True, slots=True)
class SyncLeaves:
    """My keys in these leaves of range (lo, hi]; ``reply``: answer with yours."""

    lo: int
    hi: int
    leaves: tuple[int, ...]
    entries: tuple[tuple[str, tuple[Version, ...]], ...]
    reply: bool = True

    def __repr__(self) -> str:
        return f"SyncLeaves(leaves {list(self.leaves)}, {len(self.entries)} keys)"


# --- membership -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Gossip:
    """My view of the membership: ``(node, status, version)`` for each node I know."""

    view: tuple[tuple[str, str, int], ...]
    reply: bool = False

    def __repr__(self) -> str:
        up = [n for n, s, _ in self.view if s == "up"]
        return f"Gossip({','.join(up)})"


@dataclass(frozen=True, slots=True)
class Join:
    """Operator to a new node: join the ring, learning the members from ``seeds``."""

    seeds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Leave:
    """Operator to a member: leave the ring, handing your keys over first."""


@dataclass(frozen=True, slots=True)
class OperatorOk:
    """A node confirms an operator's command."""

    command: str
