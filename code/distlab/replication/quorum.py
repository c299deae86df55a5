"""Leaderless replication with quorums: N, R, W; strict or sloppy; read repair; hinted
handoff (Dynamo: DeCandia et al. 2007, §4.5–4.6; Cassandra: Lakshman & Malik 2010).

Every key has ``n`` *home* replicas: the first ``n`` distinct nodes clockwise from the
key on a consistent-hashing ring (its **preference list**; notebook 2.11). Any node
can **coordinate** a client's request. A write is sent to the home replicas and
acknowledged to the client once ``w`` of them have stored it; a read asks the home
replicas and answers once ``r`` have replied, merging their versions. If
``r + w > n``, every read quorum overlaps every write quorum, so a read that starts
after a write was acknowledged meets at least one replica that has it.

Versions are either version vectors with **siblings** (``versions="vector"``: the read
returns every concurrent value and a context; Dynamo and Riak) or **last-writer-wins**
stamps from the coordinator's clock (``versions="lww"``: Cassandra).

- **Read repair** (``read_repair=True``): replicas that answered a read with an older
  version are sent the merged one.
- **Sloppy quorum** (``sloppy=True``): when home replicas do not answer within
  ``sloppy_after``, the coordinator goes further along the ring and counts the
  acknowledgements of *other* nodes, each holding the write with a **hint** naming
  the home replica it stands in for; it hands the write over (``Handoff``) when that
  replica is reachable again. Writes stay available during a partition, but the
  ``r + w > n`` overlap is gone: a read of the home replicas may miss a write that
  only substitutes hold. A **strict** quorum (``sloppy=False``) counts home replicas
  only, and reports ``Unavailable`` when it cannot reach enough of them.

Anti-entropy with Merkle trees (Dynamo §4.7) is left out: read repair and hinted
handoff are the repair paths here. Trace outputs: ``store`` (key, values) when a
replica's version of a key changes, ``hint`` / ``handoff`` for hinted writes,
``repair`` when a read repairs a replica. Taught in notebook 2.9.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..clocks import VectorClock
from ..partitioning import HashRing
from ..sim import Node
from ..sim import _check
from .clients import Get, GetOk, Put, PutOk, Unavailable
from .conflict import Siblings, Stamped, lww

__all__ = ["VERSIONS", "ReplicaRead", "ReplicaReadOk", "ReplicaWrite", "ReplicaWriteOk",
           "Handoff", "HandoffOk", "QuorumNode", "merge_versions", "version_values"]

VERSIONS = ("vector", "lww")


@dataclass(frozen=True, slots=True)
class ReplicaRead:
    """Coordinator -> replica: your version of ``key`` (for coordinator operation ``op``)."""

    op: int
    key: str


@dataclass(frozen=True, slots=True)
class ReplicaReadOk:
    op: int
    key: str
    version: Any


@dataclass(frozen=True, slots=True)
class ReplicaWrite:
    """Coordinator -> replica: merge ``version`` into your copy of ``key``; ``hint``: the
    home replica this node stands in for (sloppy quorum), else ``None``."""

    op: int
    key: str
    version: Any
    hint: str | None = None

    def __repr__(self) -> str:
        extra = f", for {self.hint}" if self.hint else ""
        return f"ReplicaWrite({self.key!r}, {_show(self.version)}{extra})"


@dataclass(frozen=True, slots=True)
class ReplicaWriteOk:
    op: int


@dataclass(frozen=True, slots=True)
class Handoff:
    """Substitute -> home replica: a write it held for you (hinted handoff)."""

    key: str
    version: Any


@dataclass(frozen=True, slots=True)
class HandoffOk:
    key: str
    version: Any


def merge_versions(a: Any, b: Any) -> Any:
    """Merge two versions of a key (``None``: nothing stored): siblings or LWW."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, Siblings):
        return a.merge(b)
    return lww(a, b)


def version_values(v: Any) -> tuple:
    """What a read returns for a version: the siblings' values, or the LWW value."""
    if v is None:
        return ()
    if isinstance(v, Siblings):
        return v.values
    return (v.value,)


def _show(v: Any) -> str:
    return "∅" if v is None else "/".join(repr(x) for x in version_values(v))


@dataclass
class _Op:
    """A request this node coordinates."""

    kind: str                      # "get" or "put"
    client: str
    req: int
    key: str
    home: list[str]
    needed: int
    version: Any = None            # put: the new version; get: the merge so far
    asked: dict[str, str | None] = field(default_factory=dict)   # node -> hint
    answered: dict[str, Any] = field(default_factory=dict)       # node -> version (get)
    done: bool = False


class QuorumNode(Node):
    """A node of a leaderless store: replica for some keys, coordinator for any.

    Parameters
    ----------
    nodes
        Every store node (the ring is built from them).
    n, r, w
        Replicas per key; replies a read waits for; acknowledgements a write waits for.
    sloppy
        Use a sloppy quorum with hinted handoff (else strict).
    read_repair
        Send the merged version to replicas that answered a read with an older one.
    versions
        ``"vector"`` (siblings) or ``"lww"`` (the coordinator's clock decides).
    vnodes
        Virtual nodes per node on the ring.
    timeout, sloppy_after, handoff_every
        When to give up on a request; when a sloppy coordinator goes beyond the home
        replicas; how often hinted writes are offered to their home replica.
    """

    def __init__(self, nodes: Sequence[str], *, n: int = 3, r: int = 2, w: int = 2,
                 sloppy: bool = False, read_repair: bool = True, versions: str = "vector",
                 vnodes: int = 8, timeout: float = 40.0, sloppy_after: float = 15.0,
                 handoff_every: float = 20.0) -> None:
        if isinstance(nodes, str):
            raise TypeError("nodes must be a list of node ids, not a string")
        self.store_nodes = tuple(_check.node_id("nodes", x) for x in nodes)
        self.n = _check.integer("n", n, minimum=1)
        if self.n > len(self.store_nodes):
            raise ValueError(f"n={n} replicas need at least {n} nodes, got "
                             f"{len(self.store_nodes)}")
        self.r = _check.integer("r", r, minimum=1)
        self.w = _check.integer("w", w, minimum=1)
        if self.r > self.n or self.w > self.n:
            raise ValueError(f"r and w must be at most n={n}, got r={r}, w={w}")
        for name, v in (("sloppy", sloppy), ("read_repair", read_repair)):
            if not isinstance(v, bool):
                raise TypeError(f"{name} must be True or False, got {v!r}")
        self.sloppy, self.read_repair = sloppy, read_repair
        self.versions = _check.one_of("versions", versions, VERSIONS)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        self.sloppy_after = _check.number("sloppy_after", sloppy_after, minimum=0.0,
                                          strict_min=True)
        self.handoff_every = _check.number("handoff_every", handoff_every, minimum=0.0,
                                           strict_min=True)
        self.ring = HashRing(self.store_nodes, vnodes=vnodes)
        self.data: dict[str, Any] = {}
        self.hints: dict[tuple[str, str], Any] = {}    # (key, home replica) -> version
        self.ops: dict[int, _Op] = {}
        self._op_ids = itertools.count(1)

    # --- durable state ----------------------------------------------------------------------
    def on_start(self) -> None:
        self.data = dict(self.storage.get("data", {}))
        self.hints = dict(self.storage.get("hints", {}))
        self.set_timer(self.handoff_every, "handoff")

    def home(self, key: str) -> list[str]:
        """The key's home replicas: the first ``n`` nodes of its preference list."""
        return self.ring.preference_list(key, self.n)

    def _store(self, key: str, version: Any) -> bool:
        merged = merge_versions(self.data.get(key), version)
        if merged == self.data.get(key):
            return False
        self.data[key] = merged
        self.storage["data"] = self.data
        self.output("store", (key, version_values(merged)))
        return True

    def _hold(self, key: str, home: str, version: Any) -> None:
        self.hints[(key, home)] = merge_versions(self.hints.get((key, home)), version)
        self.storage["hints"] = self.hints
        self.output("hint", (key, home, version_values(version)))

    def local(self, key: str) -> Any:
        """This node's version of ``key``, hinted copies included."""
        v = self.data.get(key)
        for (k, _), hv in sorted(self.hints.items()):
            if k == key:
                v = merge_versions(v, hv)
        return v

    # --- messages -------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Put):
            self.coordinate_put(src, msg)
        elif isinstance(msg, Get):
            self.coordinate_get(src, msg)
        elif isinstance(msg, ReplicaWrite):
            if msg.hint is None or msg.hint == self.id:
                self._store(msg.key, msg.version)
            else:
                self._hold(msg.key, msg.hint, msg.version)
            self.send(src, ReplicaWriteOk(msg.op))
        elif isinstance(msg, ReplicaRead):
            self.send(src, ReplicaReadOk(msg.op, msg.key, self.local(msg.key)))
        elif isinstance(msg, ReplicaWriteOk):
            self.on_write_ok(src, msg)
        elif isinstance(msg, ReplicaReadOk):
            self.on_read_ok(src, msg)
        elif isinstance(msg, Handoff):
            self._store(msg.key, msg.version)
            self.send(src, HandoffOk(msg.key, msg.version))
        elif isinstance(msg, HandoffOk):
            held = self.hints.get((msg.key, src))
            if held is not None and merge_versions(msg.version, held) == msg.version:
                del self.hints[(msg.key, src)]     # delivered (nothing newer came since)
                self.storage["hints"] = self.hints
                self.output("handoff", (msg.key, src, version_values(held)))

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "handoff":
            for (key, home), version in sorted(self.hints.items()):
                self.send(home, Handoff(key, version))
            self.set_timer(self.handoff_every, "handoff")
        elif name == "sloppy":
            self._widen(payload)
        elif name == "expire":
            self._expire(payload)

    # --- coordinating ------------------------------------------------------------------------
    def _start(self, kind: str, client: str, req: int, key: str, needed: int,
               version: Any = None) -> None:
        op_id = next(self._op_ids)
        op = _Op(kind, client, req, key, self.home(key), needed, version)
        self.ops[op_id] = op
        for replica in op.home:
            self._ask(op_id, op, replica, None)
        if self.sloppy:
            self.set_timer(self.sloppy_after, "sloppy", op_id)
        self.set_timer(self.timeout, "expire", op_id)

    def _ask(self, op_id: int, op: _Op, node: str, hint: str | None) -> None:
        op.asked[node] = hint
        if op.kind == "put":
            self.send(node, ReplicaWrite(op_id, op.key, op.version, hint))
        else:
            self.send(node, ReplicaRead(op_id, op.key))

    def coordinate_put(self, client: str, msg: Put) -> None:
        """Make the new version and send it to the key's replicas; answer after ``w``."""
        if self.versions == "vector":
            context = msg.context if msg.context is not None else VectorClock()
            version = Siblings().put(msg.value, context, client, msg.dot)
        else:
            version = Stamped(msg.value, (self.clock(), self.id))
        self._start("put", client, msg.req, msg.key, self.w, version)

    def coordinate_get(self, client: str, msg: Get) -> None:
        """Ask the key's replicas for their versions; answer after ``r``."""
        self._start("get", client, msg.req, msg.key, self.r)

    def _widen(self, op_id: int) -> None:
        """Sloppy quorum: stand-ins for the home replicas that have not answered."""
        op = self.ops.get(op_id)
        if op is None or op.done:
            return
        silent = [h for h in op.home if h not in op.answered]
        missing = op.needed - len(op.answered)
        if missing <= 0 or not silent:
            return
        beyond = [x for x in self.ring.preference_list(op.key, len(self.store_nodes))
                  if x not in op.asked]
        for stand_in, home in zip(beyond, silent):
            self._ask(op_id, op, stand_in, home)

    def on_write_ok(self, src: str, msg: ReplicaWriteOk) -> None:
        op = self.ops.get(msg.op)
        if op is None or src not in op.asked or src in op.answered:
            return
        op.answered[src] = None
        if not op.done and len(op.answered) >= op.needed:
            op.done = True
            clock = op.version.context if isinstance(op.version, Siblings) else op.version.stamp
            self.send(op.client, PutOk(op.req, clock))

    def on_read_ok(self, src: str, msg: ReplicaReadOk) -> None:
        op = self.ops.get(msg.op)
        if op is None or src not in op.asked or src in op.answered:
            return
        op.answered[src] = msg.version
        op.version = merge_versions(op.version, msg.version)
        if not op.done and len(op.answered) >= op.needed:
            op.done = True
            context = op.version.context if isinstance(op.version, Siblings) else None
            self.send(op.client, GetOk(op.req, version_values(op.version), context))
            if self.read_repair:
                for node, v in sorted(op.answered.items()):
                    self._repair(op, node, v)
        elif op.done and self.read_repair:       # a late reply: repair it too
            self._repair(op, src, msg.version)

    def _repair(self, op: _Op, node: str, seen: Any) -> None:
        if op.version is None or seen == op.version or op.asked.get(node) is not None:
            return
        if merge_versions(seen, op.version) == seen:
            return  # the replica is ahead of what the read returned
        self.output("repair", (op.key, node, version_values(op.version)))
        self.send(node, ReplicaWrite(0, op.key, op.version, None))

    def _expire(self, op_id: int) -> None:
        op = self.ops.pop(op_id, None)
        if op is not None and not op.done:
            self.send(op.client, Unavailable(
                op.req, f"{len(op.answered)} of {op.needed} replicas answered"))

    def state(self) -> dict[str, Any]:
        return {"data": {k: _show(v) for k, v in sorted(self.data.items())},
                "hints": len(self.hints)}
