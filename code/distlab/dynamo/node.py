"""A Dynamo storage node: replica and request coordinator (DeCandia et al. 2007, §§4.1–4.9).

Every node stores the keys whose preference list it is on, and coordinates the
requests clients send it (any node can coordinate, as in Cassandra; Dynamo usually
forwards to the key's first replica):

- **put / delete** (§4.5): stamp a new version (a tombstone for a delete) from the
  client's context, send it to the ``N`` targets, answer ``PutOk`` once ``W`` of them
  (this node included, if it is one) have stored it durably;
- **get**: ask the ``N`` targets, and once ``R`` answered merge their versions
  (syntactic reconciliation, §4.4) and answer ``GetOk`` with the siblings. **Read
  repair** then writes the merge back to the replicas that answered with less:
  ``"async"`` after answering (Dynamo, Riak), ``"blocking"`` before answering, until
  ``W`` targets hold the merge (Cassandra's blocking read repair; ABD's write-back,
  Attiya et al. 1995), or ``"off"``.

The targets are the key's ``N`` owners (``quorum="strict"``) or the first ``N`` nodes
not suspected of being down (``"sloppy"``, with hints and handoff: ``handoff.py``).
A sloppy write keeps going after answering the client: targets still silent after
``fallback_after`` are replaced by fallbacks with hints until ``N`` nodes hold the
version (§4.6). An empty answer from a fallback does not count towards ``R``: a node
that only stands in for a replica and holds nothing for the key knows nothing about it
(Riak's ``notfound_ok = false``).

A node suspects a peer that left a request unanswered for ``fallback_after`` time
units, and stops suspecting it as soon as any message from it arrives, or after
``recheck_after`` time units, when it tries the peer again (the local failure
detection of §4.8.3). With ``fail_fast``, a strict coordinator that already suspects
too many owners answers ``Unavailable`` at once, writing nothing; a coordinator that
waits ``request_timeout`` in vain answers ``Timeout`` (the write may have reached some
replicas).

Durable state (``self.storage``): the versions of each key (``kv/<key>``), hints
(``hint/<owner>/<key>``), the membership view (``members``), and the last request
number coordinated for each client (``req/<client>``: a duplicated request is
coordinated once). Outputs in the trace, for
the checkers: ``store`` (key, fingerprint of its versions) whenever a key's versions
change, ``hints`` (how many are held) and ``ring`` (the members) whenever they change.
Taught in notebooks 2.12 and 2.13.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..sim import Node
from .handoff import HintedHandoff, fallback_for, sloppy_targets, strict_targets
from .membership import GossipMembership, members_of
from .merkle import AntiEntropy
from .messages import (Delete, Get, GetOk, Gossip, Handoff, HandoffOk, Join, Leave,
                       MerkleLevel, MerkleRoots, Put, PutOk, ReplicaRead, ReplicaReadOk,
                       ReplicaWrite, ReplicaWriteOk, SyncLeaves, Timeout, Transfer,
                       TransferOk, Unavailable)
from .ring import Ring
from .versions import ACTORS, POLICIES, Version, fingerprint, policy

__all__ = ["Config", "DynamoNode", "QUORUMS", "READ_REPAIRS"]

QUORUMS = ("strict", "sloppy")
READ_REPAIRS = ("blocking", "async", "off")


def _positive(name: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        allowed = "a positive number or None" if optional else "a positive number"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


@dataclass(frozen=True)
class Config:
    """How a Dynamo cluster is configured (the same for every node).

    ``n``, ``r``, ``w``: replicas per key and the read and write quorums (§4.5);
    ``quorum``: ``"strict"`` or ``"sloppy"``; ``read_repair``: ``"blocking"``,
    ``"async"`` or ``"off"``; ``versions``: ``"vector-clocks"`` or ``"lww"``, and for
    vector clocks, ``actor``: ``"client"`` or ``"coordinator"`` (``versions.py``);
    ``vnodes``: tokens per node. Periods of the background tasks (``None``: off):
    ``gossip_every``, ``anti_entropy_every``, ``handoff_every`` (hinted handoff and key
    transfer). ``merkle_depth``: levels below the root of each range's Merkle tree.
    """

    n: int = 3
    r: int = 2
    w: int = 2
    quorum: str = "strict"
    read_repair: str = "blocking"
    versions: str = "vector-clocks"
    actor: str = "client"
    vnodes: int = 8
    request_timeout: float = 30.0
    fallback_after: float = 8.0
    recheck_after: float = 30.0
    fail_fast: bool = True
    gossip_every: float | None = 10.0
    anti_entropy_every: float | None = 20.0
    handoff_every: float | None = 10.0
    merkle_depth: int = 3

    def __post_init__(self) -> None:
        for name in ("n", "r", "w", "vnodes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        if self.r > self.n or self.w > self.n:
            raise ValueError(f"r and w must be at most n={self.n}, got r={self.r}, w={self.w}")
        if self.quorum not in QUORUMS:
            raise ValueError(f"quorum must be one of {QUORUMS}, got {self.quorum!r}")
        if self.read_repair not in READ_REPAIRS:
            raise ValueError(f"read_repair must be one of {READ_REPAIRS}, "
                             f"got {self.read_repair!r}")
        if self.versions not in POLICIES:
            raise ValueError(f"versions must be one of {POLICIES}, got {self.versions!r}")
        if self.actor not in ACTORS:
            raise ValueError(f"actor must be one of {ACTORS}, got {self.actor!r}")
        _positive("request_timeout", self.request_timeout)
        _positive("fallback_after", self.fallback_after)
        _positive("recheck_after", self.recheck_after)
        for name in ("gossip_every", "anti_entropy_every", "handoff_every"):
            _positive(name, getattr(self, name), optional=True)
        if isinstance(self.merkle_depth, bool) or not isinstance(self.merkle_depth, int) \
                or not 0 <= self.merkle_depth <= 16:
            raise ValueError(f"merkle_depth must be an int between 0 and 16, "
                             f"got {self.merkle_depth!r}")

    @property
    def strict_overlap(self) -> bool:
        """Do every read quorum and every write quorum share a node (R + W > N)?"""
        return self.r + self.w > self.n

    def describe(self) -> str:
        return (f"N={self.n} R={self.r} W={self.w}, {self.quorum} quorum, "
                f"{self.read_repair} read repair, {self.versions}")


@dataclass
class _Op:
    """A request this node coordinates."""

    kind: str                     # "get" or "put"
    client: str
    req: int
    key: str
    walk: tuple[str, ...]
    hints: dict[str, str | None]  # target -> the owner it stands in for (None: an owner)
    version: Version | None = None
    stage: str = "collect"        # collect -> (repair) -> done
    replies: dict[str, tuple[Version, ...]] = field(default_factory=dict)
    acks: set[str] = field(default_factory=set)
    merged: tuple[Version, ...] = ()
    holders: set[str] = field(default_factory=set)
    timers: list[int] = field(default_factory=list)

    def answered(self) -> set[str]:
        if self.kind == "put":
            return self.acks
        return self.holders if self.stage == "repair" else set(self.replies)


class DynamoNode(GossipMembership, HintedHandoff, AntiEntropy, Node):
    """A storage node of a Dynamo-style key-value store.

    ``members``: the initial ring (every initial node gets the same list); a node
    created with ``member=False`` waits, outside the ring, for an operator's ``Join``.
    """

    def __init__(self, members: Sequence[str] = (), config: Config | None = None,
                 member: bool = True) -> None:
        if isinstance(members, str):
            raise TypeError("members must be a list of node ids, not a string")
        self.config = config or Config()
        if not isinstance(self.config, Config):
            raise TypeError(f"config must be a distlab.dynamo.Config, got {config!r}")
        self.initial_members = tuple(members)
        self.member = member
        self.policy = policy(self.config.versions, self.config.actor)
        self.store: dict[str, tuple[Version, ...]] = {}
        self.hints: dict[str, dict[str, tuple[Version, ...]]] = {}
        self.view: dict[str, tuple[str, int]] = {}
        self._view_tuple: tuple | None = None
        self.ring = Ring((), self.config.vnodes)
        self.seeds: tuple[str, ...] = ()
        self._suspected: dict[str, float] = {}   # peer -> suspected until
        self._ops: dict[int, _Op] = {}
        self._next_op = 0
        self._trees: dict[tuple[int, int], Any] = {}
        self._transferred: dict[str, dict[str, str]] = {}
        self._ae_turn = 0
        self._handoff_armed = False

    # --- start and recovery ------------------------------------------------------------------
    def on_start(self) -> None:
        for skey in self.storage.keys():
            if skey.startswith("kv/"):
                self.store[skey[3:]] = self.storage[skey]
            elif skey.startswith("hint/"):
                _, owner, key = skey.split("/", 2)
                self.hints.setdefault(key, {})[owner] = self.storage[skey]
        self.seeds = tuple(self.storage.get("seeds", self.initial_members))
        saved = self.storage.get("members")
        if saved is not None:
            view = {n: (s, v) for n, s, v in saved}
        elif self.member:
            view = {n: ("up", 1) for n in self.initial_members}
        else:
            view = {}
        self.view = view
        self.ring = Ring(members_of(view), self.config.vnodes)
        if self.incarnation == 0:
            self.output("ring", self.ring.members)
        cfg = self.config
        for name, every in (("gossip", cfg.gossip_every), ("anti-entropy", cfg.anti_entropy_every)):
            if every is not None:
                self.set_timer(self.rng.uniform(0, every), name)
        self.arm_handoff()

    def state(self) -> dict[str, Any]:
        """What the explorer's table shows: keys and their versions, hints, suspicions."""
        shown = {k: "; ".join(map(repr, v)) for k, v in sorted(self.store.items())}
        return {"store": shown or "-",
                "hints": {f"{k}→{o}": len(v) for k, per in sorted(self.hints.items())
                          for o, v in sorted(per.items())} or "-",
                "suspects": sorted(self.suspects) or "-"}

    def arm_handoff(self) -> None:
        """Make sure the handoff timer runs while there are hints to hand off or keys to
        transfer (and only then: an idle node sets no timer)."""
        every = self.config.handoff_every
        if every is None or self._handoff_armed:
            return
        if self.hints or any(not self.owns(k) for k in self.store):
            self._handoff_armed = True
            self.set_timer(every, "handoff")

    # --- local failure detection ------------------------------------------------------------
    @property
    def suspects(self) -> set[str]:
        """The peers this node currently believes are down."""
        now = self.now
        return {n for n, until in self._suspected.items() if until > now}

    def suspect(self, node: str) -> None:
        """``node`` left a request unanswered: avoid it for ``recheck_after``."""
        self._suspected[node] = self.now + self.config.recheck_after

    # --- durable store -----------------------------------------------------------------------
    def merge_into_store(self, key: str, versions: Sequence[Version]) -> bool:
        """Merge ``versions`` into this node's copy of ``key`` (durably); True if it changed."""
        old = self.store.get(key, ())
        new = self.policy.merge(old, versions)
        if new == old:
            return False
        self.store[key] = new
        self.storage[f"kv/{key}"] = new
        self._trees.clear()
        self.output("store", (key, fingerprint(new)))
        if not self._handoff_armed and not self.owns(key):
            self.arm_handoff()
        return True

    def drop_from_store(self, key: str) -> None:
        """Forget ``key`` (after handing it over to its replicas)."""
        del self.store[key]
        del self.storage[f"kv/{key}"]
        self._trees.clear()
        self.output("store", (key, ()))

    def local_versions(self, key: str) -> tuple[Version, ...]:
        """What this node can tell a reader: its own versions and any hinted ones."""
        held = self.hints.get(key)
        if not held:
            return self.store.get(key, ())
        return self.policy.merge(self.store.get(key, ()), *held.values())

    def apply_write(self, key: str, versions: Sequence[Version], hint: str | None) -> None:
        """Store a replica write: as a hint if it stands in for another node."""
        if hint is not None and hint != self.id:
            self.store_hint(hint, key, tuple(versions))
        else:
            self.merge_into_store(key, versions)

    # --- the router ------------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        if src in self._suspected:       # any message shows the sender is alive
            del self._suspected[src]
        handler = _HANDLERS.get(type(msg))
        if handler is not None:
            handler(self, src, msg)

    def on_timer(self, name: str, payload: Any) -> None:
        cfg = self.config
        if name == "gossip":
            self.gossip_round()
            self.set_timer(cfg.gossip_every, "gossip")
        elif name == "anti-entropy":
            self.anti_entropy_round()
            self.set_timer(cfg.anti_entropy_every, "anti-entropy")
        elif name == "handoff":
            self._handoff_armed = False
            self.hand_off()
            self.rebalance()
            self.arm_handoff()
        elif name == "fallback":
            self._fallback(payload)
        elif name == "deadline":
            self._deadline(payload)

    # --- coordinating ---------------------------------------------------------------------------
    def targets(self, key: str) -> dict[str, str | None]:
        """The nodes a request for ``key`` goes to, each with its hint."""
        walk = self.ring.walk(key)
        if self.config.quorum == "strict":
            return strict_targets(walk, self.config.n)
        return sloppy_targets(walk, self.config.n, self.suspects)

    def _begin(self, kind: str, client: str, req: int, key: str,
               value: Any = None, context: Any = None, deleted: bool = False) -> None:
        cfg = self.config
        hints = self.targets(key)
        need = cfg.w if kind == "put" else cfg.r
        suspects = self.suspects
        if not hints or (cfg.quorum == "strict" and cfg.fail_fast
                         and sum(t not in suspects for t in hints) < need):
            down = sorted(t for t in hints if t in suspects)
            self.send(client, Unavailable(req, key, f"replicas suspected down: {down}"))
            return
        self._next_op += 1
        op_id = self.incarnation * 1_000_000 + self._next_op
        op = _Op(kind, client, req, key, self.ring.walk(key), hints)
        if kind == "put":
            op.version = self.policy.stamp(value, context=context, client=client,
                                           coordinator=self.id,
                                           local=self.local_versions(key),
                                           now=self.clock(), deleted=deleted)
        self._ops[op_id] = op
        local = False
        for target in list(hints):
            if target == self.id:
                local = True
            else:
                self._contact(op_id, op, target)
        if cfg.quorum == "sloppy":
            op.timers.append(self.set_timer(cfg.fallback_after, "fallback", op_id))
        op.timers.append(self.set_timer(cfg.request_timeout, "deadline", op_id))
        if local:  # this node is a target too: act on its own copy last
            self._contact(op_id, op, self.id)

    def _contact(self, op_id: int, op: _Op, target: str) -> None:
        """Send ``target`` what the operation needs from it now (locally if it is me)."""
        hint = op.hints.get(target)
        if op.kind == "get" and op.stage == "collect":
            if target == self.id:
                self._read_reply(op_id, self.id, self.local_versions(op.key))
            else:
                self.send(target, ReplicaRead(op_id, op.key))
            return
        versions = (op.version,) if op.kind == "put" else op.merged
        if target == self.id:
            self.apply_write(op.key, versions, hint)
            self._write_ack(op_id, self.id)
        else:
            self.send(target, ReplicaWrite(op_id, op.key, versions, hint))

    def _first_time(self, client: str, req: int) -> bool:
        """Has this request not been seen before? A duplicated request must not be
        coordinated twice: the second copy could be refused after the first was
        written, and the client would record a failure for a write that happened.
        Clients number their requests, one at a time, so the last number per client is
        enough; it is durable, so a restart does not forget it."""
        key = f"req/{client}"
        if self.storage.get(key, 0) >= req:
            return False
        self.storage[key] = req
        return True

    def on_get(self, src: str, msg: Get) -> None:
        if self._first_time(src, msg.req):
            self._begin("get", src, msg.req, msg.key)

    def on_put(self, src: str, msg: Put) -> None:
        if self._first_time(src, msg.req):
            self._begin("put", src, msg.req, msg.key, msg.value, msg.context)

    def on_delete(self, src: str, msg: Delete) -> None:
        if self._first_time(src, msg.req):
            self._begin("put", src, msg.req, msg.key, msg.tag, msg.context, deleted=True)

    def _read_reply(self, op_id: int, node: str, versions: tuple[Version, ...]) -> None:
        op = self._ops.get(op_id)
        if op is None or op.kind != "get":
            return
        if op.stage == "collect":
            op.replies[node] = versions
            # A fallback that holds nothing for the key knows nothing about it: its
            # empty answer does not count towards R (Riak's notfound_ok = false).
            counted = sum(1 for n, v in op.replies.items() if v or op.hints.get(n) is None)
            if counted >= self.config.r:
                self._quorum_read(op_id, op)
        elif op.stage == "repair":
            if fingerprint(versions) == fingerprint(op.merged):
                self._write_ack(op_id, node)
        elif op.stage == "done":          # async read repair: keep listening
            op.replies[node] = versions
            if set(op.replies) >= set(op.hints):
                self._repair(op_id, op)

    def _quorum_read(self, op_id: int, op: _Op) -> None:
        """R replicas answered: merge, then repair and answer as configured."""
        op.merged = self.policy.merge(*op.replies.values())
        fresh = {n for n, v in op.replies.items() if fingerprint(v) == fingerprint(op.merged)}
        mode = self.config.read_repair
        if mode == "blocking" and len(fresh) < self.config.w:
            op.stage, op.holders = "repair", fresh
            for target in list(op.hints):
                if target not in fresh:
                    self._contact(op_id, op, target)
            return
        self.send(op.client, GetOk(op.req, op.key, op.merged))
        op.stage = "done"
        if mode == "off":
            self._finish(op_id)
        elif mode == "blocking" or set(op.replies) >= set(op.hints):
            self._repair(op_id, op)

    def _repair(self, op_id: int, op: _Op) -> None:
        """Read repair: send the merge of every answer to the replicas that answered
        with less (a fallback is not a replica: it only hands off what it holds)."""
        op.merged = self.policy.merge(op.merged, *op.replies.values())
        for node, versions in sorted(op.replies.items()):
            if op.hints.get(node) is None and fingerprint(versions) != fingerprint(op.merged):
                if node == self.id:
                    self.apply_write(op.key, op.merged, None)
                else:
                    self.send(node, ReplicaWrite(0, op.key, op.merged))
        self._finish(op_id)

    def _write_ack(self, op_id: int, node: str) -> None:
        op = self._ops.get(op_id)
        if op is None:
            return
        if op.kind == "put":
            op.acks.add(node)
            if op.stage != "done" and len(op.acks) >= self.config.w:
                self.send(op.client, PutOk(op.req, op.key, op.version.clock))
                op.stage = "done"
            if len(op.acks) >= self.config.n:   # N copies: nothing left to do
                self._finish(op_id)
        elif op.stage == "repair":
            op.holders.add(node)
            if len(op.holders) >= self.config.w:
                self.send(op.client, GetOk(op.req, op.key, op.merged))
                op.stage = "done"
                self._repair(op_id, op)

    def _finish(self, op_id: int) -> None:
        op = self._ops.pop(op_id, None)
        if op is not None:
            for timer in op.timers:
                self.cancel_timer(timer)

    def _fallback(self, op_id: int) -> None:
        """Sloppy quorum: targets silent for ``fallback_after`` are suspected and
        replaced by the next healthy nodes of the walk (with their hints). A write goes
        on after answering the client, until ``N`` nodes hold it."""
        op = self._ops.get(op_id)
        if op is None or (op.stage == "done" and op.kind == "get"):
            return
        answered = op.answered()
        for target in [t for t in op.hints if t not in answered and t != self.id]:
            self.suspect(target)
            spare = fallback_for(op.walk, op.hints, self.suspects)
            if spare is None:
                continue
            owner = spare in op.walk[:self.config.n]
            op.hints[spare] = None if owner else (op.hints[target] or target)
            self._contact(op_id, op, spare)
        op.timers.append(self.set_timer(self.config.fallback_after, "fallback", op_id))

    def _deadline(self, op_id: int) -> None:
        op = self._ops.get(op_id)
        if op is None:
            return
        for target in op.hints:
            if target not in op.answered() and target != self.id:
                self.suspect(target)
        if op.stage == "done":
            if op.kind == "get":     # async read repair: repair whoever answered
                self._repair(op_id, op)
            self._finish(op_id)
            return
        self.send(op.client, Timeout(op.req, op.key))
        self._finish(op_id)

    # --- replica side --------------------------------------------------------------------------
    def on_replica_read(self, src: str, msg: ReplicaRead) -> None:
        self.send(src, ReplicaReadOk(msg.op, msg.key, self.local_versions(msg.key)))

    def on_replica_read_ok(self, src: str, msg: ReplicaReadOk) -> None:
        self._read_reply(msg.op, src, msg.versions)

    def on_replica_write(self, src: str, msg: ReplicaWrite) -> None:
        self.apply_write(msg.key, msg.versions, msg.hint)
        if msg.op:
            self.send(src, ReplicaWriteOk(msg.op, msg.key))

    def on_replica_write_ok(self, src: str, msg: ReplicaWriteOk) -> None:
        self._write_ack(msg.op, src)


_HANDLERS = {
    Get: DynamoNode.on_get, Put: DynamoNode.on_put, Delete: DynamoNode.on_delete,
    ReplicaRead: DynamoNode.on_replica_read, ReplicaReadOk: DynamoNode.on_replica_read_ok,
    ReplicaWrite: DynamoNode.on_replica_write, ReplicaWriteOk: DynamoNode.on_replica_write_ok,
    Handoff: DynamoNode.on_handoff, HandoffOk: DynamoNode.on_handoff_ok,
    Transfer: DynamoNode.on_transfer, TransferOk: DynamoNode.on_transfer_ok,
    MerkleRoots: DynamoNode.on_merkle_roots, MerkleLevel: DynamoNode.on_merkle_level,
    SyncLeaves: DynamoNode.on_sync_leaves, Gossip: DynamoNode.on_gossip,
    Join: DynamoNode.on_join, Leave: DynamoNode.on_leave,
}
