"""Nodes for Maelstrom's workloads, written as ordinary ``distlab`` nodes.

Every class here is a ``distlab.sim.Node``: it acts only through ``send``,
``set_timer``, ``storage``, ``rng`` and ``output``, so it runs unchanged in the
simulator (with the book's fault plans and checkers) and as a real process under
Maelstrom (``python -m distlab.maelstrom broadcast``; see ``runtime``).

``MaelstromNode`` adds what every Maelstrom server needs: dispatch on the body type
(``handle_<type>(src, msg)``), ``reply`` (fills ``in_reply_to`` and a fresh ``msg_id``),
``rpc`` (a request with a fresh ``msg_id``), and refusals: a handler raises
``RPCError(code, text)`` and the client gets an error body; a type with no handler is
refused with code 10 (not supported).

- ``EchoNode``: *echo*.
- ``UniqueIdsNode``: *unique-ids*: ``node-incarnation-counter``, no coordination, so
  it stays available under any partition.
- ``BroadcastNode``: *broadcast*: every node keeps the messages it has seen and, on a
  timer, sends each neighbour those it has not acknowledged (anti-entropy with
  acknowledgements; eager push on arrival), so losses are retried and partitions heal.
- ``GCounterNode`` / ``PNCounterNode``: *g-counter* / *pn-counter*: a ``distlab.crdt``
  G-Counter (PN-Counter) per node, whole state gossiped and merged (Shapiro et al.
  2011, state-based CRDTs).
- ``LinKVNode``: *lin-kv*: one leader (the first node of ``node_ids``) holds the
  whole map; the others forward to it and relay its answers. One copy, one order:
  linearizable, and no more available than that leader.

Taught in notebook 2.14 ("Running your node outside the book").
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from ..sim import Node, _check
from .messages import (Add, AddOk, Broadcast, BroadcastOk, Cas, CasOk, CounterRead,
                       CounterReadOk, Echo, EchoOk, Forward, Generate, GenerateOk, Gossip,
                       GossipOk, KVRead, KVReadOk, Merge, Read, ReadOk, Topology, TopologyOk,
                       Write, WriteOk)
from .protocol import Codec, Error, ErrorCode, ProtocolError, RPCError, body_type

if TYPE_CHECKING:  # pragma: no cover
    from ..crdt import GCounter, PNCounter

__all__ = ["MaelstromNode", "EchoNode", "UniqueIdsNode", "BroadcastNode", "GCounterNode",
           "PNCounterNode", "LinKVNode", "WORKLOADS", "is_client", "MSG_ID_STRIDE"]

#: Maelstrom's clients are ``c1``, ``c2``, ...; servers ``n1``, ``n2``, ... (protocol.md).
_CLIENT = re.compile(r"c\d+")

#: Message ids of incarnation k start at k * MSG_ID_STRIDE: a restarted node never
#: reuses an id, so a late reply to its previous life cannot match a new request.
MSG_ID_STRIDE = 1_000_000_000


def is_client(node_id: str) -> bool:
    """Is ``node_id`` one of Maelstrom's clients (``c1``, ``c2``, ...)?"""
    return bool(_CLIENT.fullmatch(node_id))


class MaelstromNode(Node):
    """Base class of a Maelstrom server: type dispatch, replies, errors, message ids.

    Subclasses list their message classes in ``messages`` (the class's ``codec`` is
    built from it) and write ``handle_<type>(src, msg)`` methods.
    """

    messages: ClassVar[tuple[type, ...]] = ()
    codec: ClassVar[Codec] = Codec()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.codec = Codec(*cls.messages)

    def __init__(self) -> None:
        self._msg_ids: int | None = None
        self._requests: set[tuple[str, int]] | None = None

    # --- who is who ----------------------------------------------------------------------
    @property
    def servers(self) -> tuple[str, ...]:
        """The servers (every node but Maelstrom's clients ``c1``, ``c2``, ...)."""
        return tuple(n for n in self.nodes if not is_client(n))

    @property
    def server_peers(self) -> tuple[str, ...]:
        return tuple(n for n in self.servers if n != self.id)

    # --- sending ---------------------------------------------------------------------------
    def next_msg_id(self) -> int:
        """A ``msg_id`` this node has never used, in this life or an earlier one."""
        if getattr(self, "_msg_ids", None) is None:
            self._msg_ids = self.incarnation * MSG_ID_STRIDE
        self._msg_ids += 1
        return self._msg_ids

    def reply(self, dst: str, request: Any, response: Any) -> None:
        """Send ``response`` to ``dst`` as the answer to ``request`` (sets ``in_reply_to``)."""
        self.send(dst, replace(response, in_reply_to=getattr(request, "msg_id", None),
                               msg_id=self.next_msg_id()))

    def rpc(self, dst: str, request: Any) -> int:
        """Send ``request`` with a fresh ``msg_id``; returns the id (replies carry it)."""
        mid = self.next_msg_id()
        self.send(dst, replace(request, msg_id=mid))
        return mid

    def refuse(self, dst: str, request: Any, code: int, text: str) -> None:
        """Answer ``request`` with an error body (only requests that have a ``msg_id``)."""
        if getattr(request, "msg_id", None) is None:
            self.annotate(f"refused {type(request).__name__}: {text}")
            return
        self.reply(dst, request, Error(int(code), text))

    def first_time(self, src: str, request: Any) -> bool:
        """Is this the first delivery of ``request`` from ``src``? Remembers ``(src,
        msg_id)`` durably, so a duplicated or retransmitted request is recognised even
        after a restart: at-most-once execution (notebook 1.1). Requests without a
        ``msg_id`` cannot be told apart and always count as new."""
        mid = getattr(request, "msg_id", None)
        if mid is None:
            return True
        if getattr(self, "_requests", None) is None:
            self._requests = {tuple(r) for r in self.storage.get("requests", [])}
        if (src, mid) in self._requests:
            return False
        self._requests.add((src, mid))
        self.storage.append("requests", (src, mid))
        return True

    # --- receiving -------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        kind = body_type(type(msg))
        handler = getattr(self, f"handle_{kind}", None)
        if handler is None:
            if getattr(msg, "in_reply_to", None) is None:  # never answer a reply
                self.refuse(src, msg, ErrorCode.NOT_SUPPORTED,
                            f"{self.id} does not support {kind!r} messages")
            return
        try:
            handler(src, msg)
        except RPCError as err:
            self.refuse(src, msg, err.code, err.text)


def _require_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RPCError(ErrorCode.MALFORMED_REQUEST, f"{name} must be an integer, got {value!r}")
    return value


def _require_hashable(name: str, value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise RPCError(ErrorCode.MALFORMED_REQUEST,
                       f"{name} must be a number, a string or an array of them, "
                       f"got {value!r}") from None
    return value


# --- echo ----------------------------------------------------------------------------------------
class EchoNode(MaelstromNode):
    """Maelstrom's *echo* workload: answer ``echo`` with ``echo_ok`` and the same payload."""

    messages = (Echo, EchoOk)

    def handle_echo(self, src: str, msg: Echo) -> None:
        self.reply(src, msg, EchoOk(msg.echo))


# --- unique-ids ------------------------------------------------------------------------------------
class UniqueIdsNode(MaelstromNode):
    """Maelstrom's *unique-ids*: ids ``"<node>-<incarnation>-<k>"``, with no messages.

    Unique because node ids are unique, an incarnation is never repeated, and ``k``
    grows within one. Needing nobody else, the node answers through any partition
    (``--availability total``). The runtime counts incarnations only with a
    ``--state-dir``; without one, a restarted process would start again at k = 1.
    """

    messages = (Generate, GenerateOk)

    def __init__(self) -> None:
        super().__init__()
        self.generated = 0

    def handle_generate(self, src: str, msg: Generate) -> None:
        self.generated += 1
        self.reply(src, msg, GenerateOk(f"{self.id}-{self.incarnation}-{self.generated}"))


# --- broadcast -------------------------------------------------------------------------------------
class BroadcastNode(MaelstromNode):
    """Maelstrom's *broadcast*: every node ends up with every message, despite losses
    and partitions.

    A new message is stored (durably) and pushed at once to the neighbours; every
    ``gossip_every`` time units each node sends each neighbour, in one ``Gossip``, the
    messages that neighbour has not acknowledged (``GossipOk``) or shown it holds. A
    lost push or acknowledgement is therefore retried until it gets through, and a
    partition only delays delivery. Neighbours are those of Maelstrom's ``topology``
    message (with ``use_topology``), every other server until it arrives.
    """

    messages = (Broadcast, BroadcastOk, Read, ReadOk, Topology, TopologyOk, Gossip, GossipOk)

    def __init__(self, gossip_every: float = 50.0, use_topology: bool = True) -> None:
        super().__init__()
        self.gossip_every = _check.number("gossip_every", gossip_every, minimum=0.0,
                                          strict_min=True)
        if not isinstance(use_topology, bool):
            raise TypeError(f"use_topology must be True or False, got {use_topology!r}")
        self.use_topology = use_topology
        self.seen: dict[Any, None] = {}            # an ordered set: arrival order
        self.neighbours: tuple[str, ...] = ()
        self.known: dict[str, set] = {}            # neighbour -> messages it surely has

    def on_start(self) -> None:
        for m in self.storage.get("messages", []):
            self.seen[m] = None
        stored = self.storage.get("neighbours")
        self.neighbours = tuple(stored) if stored is not None else self.server_peers
        self.known = {n: set() for n in self.neighbours}
        self.set_timer(self.rng.uniform(0.0, self.gossip_every), "gossip")

    def _learn(self, messages: tuple, src: str | None) -> list:
        new = [m for m in messages if m not in self.seen]
        for m in new:
            self.seen[m] = None
            self.storage.append("messages", m)      # durable before anyone hears of it
            self.output("deliver", m)
        if src is not None:
            self.known.setdefault(src, set()).update(messages)
        return new

    def _push(self, messages: list, but: str | None = None) -> None:
        if messages:
            for n in self.neighbours:
                if n != but:
                    self.rpc(n, Gossip(tuple(messages)))

    def handle_broadcast(self, src: str, msg: Broadcast) -> None:
        value = _require_hashable("message", msg.message)
        self._push(self._learn((value,), None))
        self.reply(src, msg, BroadcastOk())

    def handle_read(self, src: str, msg: Read) -> None:
        self.reply(src, msg, ReadOk(tuple(self.seen)))

    def handle_topology(self, src: str, msg: Topology) -> None:
        if self.use_topology:
            mine = msg.topology.get(self.id, ()) if isinstance(msg.topology, dict) else None
            if not isinstance(mine, (tuple, list)) or not all(isinstance(n, str) for n in mine):
                raise RPCError(ErrorCode.MALFORMED_REQUEST,
                               f"topology must map node ids to lists of node ids, "
                               f"got {msg.topology!r}")
            # a node the topology leaves alone keeps talking to everyone: otherwise its
            # clients' messages could never leave it
            self.neighbours = tuple(n for n in mine if n != self.id) or self.server_peers
            self.storage["neighbours"] = list(self.neighbours)
            for n in self.neighbours:
                self.known.setdefault(n, set())
        self.reply(src, msg, TopologyOk())

    def handle_gossip(self, src: str, msg: Gossip) -> None:
        for m in msg.messages:
            _require_hashable("message", m)
        self._push(self._learn(msg.messages, src), but=src)
        self.reply(src, msg, GossipOk(msg.messages))

    def handle_gossip_ok(self, src: str, msg: GossipOk) -> None:
        self.known.setdefault(src, set()).update(msg.messages)

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "gossip":
            return
        for n in self.neighbours:
            have = self.known.get(n, set())
            missing = tuple(m for m in self.seen if m not in have)
            if missing:
                self.rpc(n, Gossip(missing))
        self.set_timer(self.gossip_every, "gossip")

    def state(self) -> dict[str, Any]:
        return {"seen": list(self.seen), "neighbours": list(self.neighbours)}


# --- g-counter and pn-counter ------------------------------------------------------------------
class GCounterNode(MaelstromNode):
    """Maelstrom's *g-counter*: a ``distlab.crdt.GCounter`` per node, gossiped whole.

    ``add`` increments this node's own entry (stored durably before the
    acknowledgement; a duplicated request is recognised by ``first_time`` and counted
    once); every ``gossip_every`` the node sends its whole state to every
    other server in a ``Merge``, and merges what it receives (entry-wise maximum).
    Lost, duplicated or reordered ``Merge`` messages do no harm: the merge is
    commutative, associative and idempotent (Shapiro et al. 2011, §2.2), and the next
    round repeats everything. ``read`` answers from the local state: eventually
    consistent, as the workload asks.
    """

    messages = (Add, AddOk, CounterRead, CounterReadOk, Merge)
    allows_negative: ClassVar[bool] = False

    def __init__(self, gossip_every: float = 50.0) -> None:
        super().__init__()
        self.gossip_every = _check.number("gossip_every", gossip_every, minimum=0.0,
                                          strict_min=True)
        # distlab.crdt is imported here, not at the top: a node process of another
        # workload then starts without it.
        from ..crdt import GCounter
        self.counter: GCounter | PNCounter = GCounter()

    def on_start(self) -> None:
        self.counter = self._recover()
        self.set_timer(self.rng.uniform(0.0, self.gossip_every), "gossip")

    def _recover(self) -> GCounter | PNCounter:
        return type(self.counter)(self.storage.get("p", {}))

    def _persist(self) -> None:
        self.storage["p"] = self.counter.entries()

    def _from_merge(self, msg: Merge) -> GCounter | PNCounter:
        return type(self.counter)(msg.p)

    def _merge_message(self) -> Merge:
        return Merge(self.counter.entries())

    def handle_add(self, src: str, msg: Add) -> None:
        delta = _require_int("delta", msg.delta)
        if delta < 0 and not self.allows_negative:
            raise RPCError(ErrorCode.MALFORMED_REQUEST,
                           f"a g-counter only grows: delta must be >= 0, got {delta} "
                           f"(the pn-counter workload allows negative deltas)")
        if not self.first_time(src, msg):
            delta = 0                                # a duplicate: acknowledge, add nothing
        if delta > 0:
            self.counter = self.counter.increment(self.id, delta)
        elif delta < 0:
            self.counter = self.counter.decrement(self.id, -delta)  # type: ignore[union-attr]
        if delta:
            self._persist()                          # durable before the acknowledgement
            self.output("value", self.counter.value())
        self.reply(src, msg, AddOk())

    def handle_read(self, src: str, msg: CounterRead) -> None:
        self.reply(src, msg, CounterReadOk(self.counter.value()))

    def handle_merge(self, src: str, msg: Merge) -> None:
        try:
            other = self._from_merge(msg)
        except (TypeError, ValueError) as exc:
            raise RPCError(ErrorCode.MALFORMED_REQUEST, f"bad counter state: {exc}") from None
        merged = self.counter.merge(other)
        if merged != self.counter:
            self.counter = merged
            self._persist()
            self.output("value", merged.value())

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "gossip":
            return
        state = self._merge_message()
        for peer in self.server_peers:
            self.send(peer, state)
        self.set_timer(self.gossip_every, "gossip")

    def state(self) -> dict[str, Any]:
        return {"value": self.counter.value(), "state": str(self.counter)}


class PNCounterNode(GCounterNode):
    """Maelstrom's *pn-counter*: the same, with a ``distlab.crdt.PNCounter`` (deltas may
    be negative: a decrement counts up the ``N`` half; Shapiro et al. 2011b, §3.1.3)."""

    allows_negative = True

    def __init__(self, gossip_every: float = 50.0) -> None:
        super().__init__(gossip_every)
        from ..crdt import PNCounter
        self.counter = PNCounter()

    def _recover(self) -> PNCounter:
        return type(self.counter)(self.storage.get("p", {}), self.storage.get("n", {}))

    def _persist(self) -> None:
        self.storage["p"] = self.counter.P.entries()      # type: ignore[union-attr]
        self.storage["n"] = self.counter.N.entries()      # type: ignore[union-attr]

    def _from_merge(self, msg: Merge) -> PNCounter:
        return type(self.counter)(msg.p, msg.n or {})

    def _merge_message(self) -> Merge:
        return Merge(self.counter.P.entries(), self.counter.N.entries())  # type: ignore


# --- lin-kv ----------------------------------------------------------------------------------------
def _key_name(key: Any) -> str:
    """The storage key of a map key (JSON text, so any JSON key has exactly one)."""
    return "kv:" + json.dumps(key, sort_keys=True)


class LinKVNode(MaelstromNode):
    """Maelstrom's *lin-kv* with a single leader: linearizable, not fault-tolerant.

    The leader, the first node of ``node_ids``, holds the whole map and applies
    ``read``, ``write`` and ``cas`` one at a time, in the order they reach it; each
    write is stored durably before it is acknowledged. There is one copy and one order,
    so every operation takes effect at one instant between its request and its reply:
    linearizable (Herlihy & Wing 1990).

    Any other node forwards a client's request to the leader (``Forward``, retried
    every ``retry_every``) and relays the answer. The leader remembers the answer of
    each write and cas by ``(client, client msg_id)`` (durably), so a retried or
    duplicated ``Forward`` is answered again, never applied twice: at-most-once
    execution under retries. If no answer comes within ``forward_timeout``, the
    follower answers with error 0 (*timeout*): indefinite, because the leader may have
    applied the operation. Availability is the leader's: while it is down or cut off,
    its followers' clients time out. Tolerating that is Raft's job (a later chapter).
    """

    messages = (KVRead, KVReadOk, Write, WriteOk, Cas, CasOk, Forward)

    def __init__(self, forward_timeout: float = 800.0, retry_every: float = 100.0) -> None:
        super().__init__()
        self.forward_timeout = _check.number("forward_timeout", forward_timeout, minimum=0.0,
                                             strict_min=True)
        self.retry_every = _check.number("retry_every", retry_every, minimum=0.0,
                                         strict_min=True)
        self.kv: dict[Any, Any] = {}
        self.applied: dict[tuple[str, int], Any] = {}
        self.pending: dict[tuple[str, int | None], dict] = {}   # follower: client request
        self.forwarded: dict[int, tuple[str, int | None]] = {}  # forward msg_id -> request

    @property
    def leader(self) -> str:
        return self.servers[0]

    def on_start(self) -> None:
        if self.id != self.leader:
            return
        for name in self.storage.keys():
            if name.startswith("kv:"):
                key = json.loads(name[3:])
                self.kv[tuple(key) if isinstance(key, list) else key] = self.storage[name]
        for client, client_msg_id, body in self.storage.get("applied", []):
            self.applied[(client, client_msg_id)] = self.codec.decode(dict(body))

    # --- the leader: one copy, one order ---------------------------------------------------
    def execute(self, client: str, client_msg_id: int | None, request: Any) -> Any:
        """Apply one request to the map; returns the answer (an ``…Ok`` or an ``Error``)."""
        key = getattr(request, "key", None)
        try:
            _require_hashable("key", key)
        except RPCError as err:
            return Error(err.code, err.text)
        ident = (client, client_msg_id)
        if isinstance(request, KVRead):
            if key not in self.kv:
                return Error(ErrorCode.KEY_DOES_NOT_EXIST, f"key {key!r} does not exist")
            return KVReadOk(self.kv[key])
        if not isinstance(request, (Write, Cas)):
            return Error(ErrorCode.NOT_SUPPORTED,
                         f"lin-kv does not support {body_type(type(request))!r}")
        if client_msg_id is not None and ident in self.applied:
            return self.applied[ident]                       # a retry: answer, do not redo
        if isinstance(request, Write):
            answer: Any = WriteOk()
            self._store(key, request.value)
        elif key not in self.kv:
            answer = Error(ErrorCode.KEY_DOES_NOT_EXIST, f"key {key!r} does not exist")
        elif self.kv[key] != request.from_:
            answer = Error(ErrorCode.PRECONDITION_FAILED,
                           f"expected {request.from_!r}, but key {key!r} holds "
                           f"{self.kv[key]!r}")
        else:
            answer = CasOk()
            self._store(key, request.to)
        if client_msg_id is not None:
            self.applied[ident] = answer
            self.storage.append("applied", (client, client_msg_id, self.codec.encode(answer)))
        return answer

    def _store(self, key: Any, value: Any) -> None:
        self.kv[key] = value
        self.storage[_key_name(key)] = value                 # durable before the answer
        self.output("apply", (key, value))

    def _client_request(self, src: str, msg: Any) -> None:
        if self.id == self.leader:
            self.reply(src, msg, self.execute(src, msg.msg_id, msg))
        else:
            self._forward(src, msg)

    handle_read = _client_request
    handle_write = _client_request
    handle_cas = _client_request

    def handle_forward(self, src: str, msg: Forward) -> None:
        if self.id != self.leader:
            raise RPCError(ErrorCode.TEMPORARILY_UNAVAILABLE, f"{self.id} is not the leader")
        try:
            request = self.codec.decode(dict(msg.request))
        except ProtocolError as err:
            raise RPCError(err.code, err.reason) from None
        self.reply(src, msg, self.execute(msg.client, msg.client_msg_id, request))

    # --- a follower: forward, retry, relay -----------------------------------------------------
    def _forward(self, src: str, msg: Any) -> None:
        ident = (src, msg.msg_id)
        if ident in self.pending and msg.msg_id is not None:
            return                                           # already on its way
        self.pending[ident] = self.codec.encode(replace(msg, msg_id=None))
        self._send_forward(ident)
        self.set_timer(self.forward_timeout, "give-up", ident)

    def _send_forward(self, ident: tuple[str, int | None]) -> None:
        client, client_msg_id = ident
        fid = self.rpc(self.leader, Forward(client, client_msg_id, self.pending[ident]))
        self.forwarded[fid] = ident
        self.set_timer(self.retry_every, "retry", ident)

    def on_timer(self, name: str, payload: Any) -> None:
        if payload not in self.pending:
            return                                           # answered meanwhile
        if name == "retry":
            self._send_forward(payload)
        elif name == "give-up":
            self._finish(payload)
            client, client_msg_id = payload
            if client_msg_id is not None:
                self.send(client, Error(ErrorCode.TIMEOUT,
                                        f"no answer from the leader {self.leader} within "
                                        f"{self.forward_timeout:g}; the operation may or may "
                                        f"not have happened", in_reply_to=client_msg_id,
                                        msg_id=self.next_msg_id()))

    def _finish(self, ident: tuple[str, int | None]) -> None:
        self.pending.pop(ident, None)
        for fid in [f for f, i in self.forwarded.items() if i == ident]:
            del self.forwarded[fid]

    def _relay(self, src: str, msg: Any) -> None:
        ident = self.forwarded.get(msg.in_reply_to)
        if ident is None or ident not in self.pending:
            return                                           # late: already answered
        self._finish(ident)
        client, client_msg_id = ident
        if client_msg_id is not None:
            self.send(client, replace(msg, in_reply_to=client_msg_id,
                                      msg_id=self.next_msg_id()))

    handle_read_ok = _relay
    handle_write_ok = _relay
    handle_cas_ok = _relay

    def handle_error(self, src: str, msg: Error) -> None:
        if msg.in_reply_to is not None:
            self._relay(src, msg)

    def state(self) -> dict[str, Any]:
        if self.id == self.leader:
            return {"role": "leader", "kv": dict(self.kv)}
        return {"role": "follower", "pending": len(self.pending)}


#: Maelstrom workload name -> node class (``python -m distlab.maelstrom <workload>``).
WORKLOADS: dict[str, type[MaelstromNode]] = {
    "echo": EchoNode,
    "unique-ids": UniqueIdsNode,
    "broadcast": BroadcastNode,
    "g-counter": GCounterNode,
    "pn-counter": PNCounterNode,
    "lin-kv": LinKVNode,
}
