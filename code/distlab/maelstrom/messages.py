"""The messages of Maelstrom's workloads, as the book's frozen dataclasses.

Each class is one body ``type`` of Maelstrom's workload documentation
(``doc/workloads.md``; Kingsbury 2022); its fields are the body's keys (see
``distlab.maelstrom.protocol`` for the mapping). Requests carry ``msg_id``; replies carry
``in_reply_to`` (and their own ``msg_id``). Several workloads reuse a type name with
other fields (``read`` has no key in *broadcast* and a ``key`` in *lin-kv*), so each
workload has its own codec (``ECHO``, ``UNIQUE_IDS``, ``BROADCAST``, ``COUNTER``,
``LIN_KV``), and classes whose Python name would clash set ``TYPE``.

Messages between our own servers (``Gossip``, ``Merge``, ``Forward``) follow the same
rules: Maelstrom lets servers exchange any bodies, and these ones it can still draw.
Taught in notebook 2.14.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .protocol import Codec

__all__ = ["Echo", "EchoOk", "Generate", "GenerateOk",
           "Broadcast", "BroadcastOk", "Read", "ReadOk", "Topology", "TopologyOk",
           "Gossip", "GossipOk",
           "Add", "AddOk", "CounterRead", "CounterReadOk", "Merge",
           "KVRead", "KVReadOk", "Write", "WriteOk", "Cas", "CasOk", "Forward",
           "ECHO", "UNIQUE_IDS", "BROADCAST", "COUNTER", "LIN_KV"]


# --- echo -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Echo:
    """Client -> node: send ``echo`` back."""

    echo: Any
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class EchoOk:
    echo: Any
    in_reply_to: int | None = None
    msg_id: int | None = None


# --- unique-ids -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Generate:
    """Client -> node: a globally unique id, please."""

    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class GenerateOk:
    id: Any
    in_reply_to: int | None = None
    msg_id: int | None = None


# --- broadcast --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Broadcast:
    """Client -> node: spread ``message`` to every node."""

    message: Any
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class BroadcastOk:
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Read:
    """Client -> node: every message you hold (broadcast's ``read``)."""

    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class ReadOk:
    messages: tuple
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Topology:
    """Client -> node, once at the start: each node's neighbours (a suggestion)."""

    topology: dict
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class TopologyOk:
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Gossip:
    """Server -> neighbour: messages it may lack (acknowledged by ``GossipOk``)."""

    messages: tuple
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class GossipOk:
    """Neighbour -> server: these messages are safely here."""

    messages: tuple
    in_reply_to: int | None = None
    msg_id: int | None = None


# --- g-counter and pn-counter -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Add:
    """Client -> node: add ``delta`` (>= 0 for a g-counter; any int for a pn-counter)."""

    delta: int
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class AddOk:
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class CounterRead:
    """Client -> node: the counter's value (the counters' ``read``)."""

    TYPE: ClassVar[str] = "read"
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class CounterReadOk:
    TYPE: ClassVar[str] = "read_ok"
    value: int
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Merge:
    """Server -> server: my whole CRDT state, to be merged (``P`` and, for a
    PN-Counter, ``N``: replica id -> count). Gossiped again and again, never acknowledged."""

    p: dict
    n: dict | None = None


# --- lin-kv -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class KVRead:
    """Client -> node: the value of ``key`` (lin-kv's ``read``)."""

    TYPE: ClassVar[str] = "read"
    key: Any
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class KVReadOk:
    TYPE: ClassVar[str] = "read_ok"
    value: Any
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Write:
    """Client -> node: set ``key`` to ``value`` (creating it)."""

    key: Any
    value: Any
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class WriteOk:
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Cas:
    """Client -> node: if ``key`` holds ``from``, set it to ``to`` (error 20 if the key
    does not exist, 22 if it holds something else). ``from_`` is the body key ``from``."""

    key: Any
    from_: Any
    to: Any
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class CasOk:
    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Forward:
    """Follower -> leader: run ``request`` (a client's body) for ``client``; the reply
    comes back to the follower, which relays it. ``(client, client_msg_id)`` names the
    request uniquely, so the leader can answer a retransmission without re-running it."""

    client: str
    client_msg_id: int | None
    request: dict
    msg_id: int | None = None


# --- one codec per workload ---------------------------------------------------------------------
ECHO = Codec(Echo, EchoOk)
UNIQUE_IDS = Codec(Generate, GenerateOk)
BROADCAST = Codec(Broadcast, BroadcastOk, Read, ReadOk, Topology, TopologyOk, Gossip, GossipOk)
COUNTER = Codec(Add, AddOk, CounterRead, CounterReadOk, Merge)
LIN_KV = Codec(KVRead, KVReadOk, Write, WriteOk, Cas, CasOk, Forward)
