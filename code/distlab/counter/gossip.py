"""Replicas that hold a state-based CRDT and gossip their whole state (anti-entropy).

Each replica applies its clients' operations to its own copy of the state and, every
``gossip_every`` time units, sends that whole state to its peers (``Gossip(state)``).
A replica that receives a state merges it into its own (Shapiro et al. 2011, §2.2).
Because the merge is commutative, associative and idempotent, nothing that the network
does to these messages matters in the end: a lost ``Gossip`` is repaired by the next
round, a duplicate or a stale one changes nothing, and the order of arrival is
irrelevant. Once the faults stop, one round in which every replica reaches every other
makes them all equal. Dynamo repairs its replicas with periodic anti-entropy too
(DeCandia et al. 2007, §4.7); Vogels (2009) calls the outcome eventual consistency.

``CRDTCounterReplica`` holds a G-Counter (increments only) or a PN-Counter.
``GossipReplica`` is the machinery, for any ``StateCRDT``: ``lww.LWWCounterReplica``
reuses it with a last-writer-wins value.

Durability matters: a replica that restarts with an empty state keeps its old entry
id, so its new increments hide under the larger entry its peers remember (lost
increments); with ``reincarnate=True`` it counts under a fresh entry instead, and then
a client's retry of an operation it had applied before the crash is counted twice.
Notebook 1.5 shows both.

Taught in notebook 1.5 ("Project: a distributed counter").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..crdt import GCounter, PNCounter, StateCRDT
from ..sim import _check
from .replica import CounterReplica

__all__ = ["Gossip", "GossipReplica", "CRDTCounterReplica"]


@dataclass(frozen=True, slots=True)
class Gossip:
    """A replica's whole state, sent to a peer to be merged."""

    state: StateCRDT


class GossipReplica(CounterReplica):
    """A replica that updates a state-based CRDT locally and gossips it to its peers.

    Parameters
    ----------
    replicas
        Every replica's id (this one included).
    gossip_every
        Time between two gossip rounds.
    fanout
        Peers sent to per round (``None``: every peer).
    durable
        Keep the state and the client sessions in durable storage.

    Subclasses implement ``initial_state()`` and ``updated(state, delta)``.
    """

    def __init__(self, replicas: tuple[str, ...] | list[str], *, gossip_every: float = 20.0,
                 fanout: int | None = None, durable: bool = True) -> None:
        super().__init__(replicas, durable=durable)
        self.gossip_every = _check.number("gossip_every", gossip_every, minimum=0.0,
                                          strict_min=True)
        if fanout is not None:
            _check.integer("fanout", fanout, minimum=1)
        self.fanout = fanout
        self.crdt: StateCRDT | None = None

    # --- for subclasses -------------------------------------------------------------
    def initial_state(self) -> StateCRDT:
        """The state of a replica that has seen no operation."""
        raise NotImplementedError

    def updated(self, state: StateCRDT, delta: int) -> StateCRDT:
        """The state after a local operation (``delta`` = +amount or -amount)."""
        raise NotImplementedError

    # --- the protocol -----------------------------------------------------------------
    def on_start(self) -> None:
        super().on_start()
        stored = self.recover("state", None)
        self.crdt = self.initial_state() if stored is None else stored
        self.report(force=True)
        # The first round at a random phase, so that replicas do not gossip in lockstep.
        self.set_timer(self.rng.uniform(0.0, self.gossip_every), "gossip")

    def apply_local(self, delta: int) -> None:
        self.crdt = self.updated(self.crdt, delta)
        self.persist("state", self.crdt)

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "gossip":
            return
        peers = self.replica_peers
        if self.fanout is not None and self.fanout < len(peers):
            peers = tuple(sorted(self.rng.sample(peers, self.fanout)))
        for peer in peers:
            self.send(peer, Gossip(self.crdt))
        self.set_timer(self.gossip_every, "gossip")

    def on_peer(self, src: str, msg: Any) -> None:
        if isinstance(msg, Gossip):
            self.receive_state(msg.state)

    def receive_state(self, state: StateCRDT) -> None:
        """Merge a peer's state into ours (persisting it only if it taught us something)."""
        merged = self.crdt.merge(state)
        if merged != self.crdt:
            self.crdt = merged
            self.persist("state", merged)
            self.report()

    def value(self) -> int:
        return self.crdt.value() if self.crdt is not None else 0

    def state_size(self) -> int:
        return self.crdt.size()  # type: ignore[union-attr]

    def state(self) -> dict[str, Any]:
        return {"value": self.value(), "state": str(self.crdt)}


class CRDTCounterReplica(GossipReplica):
    """A counter replica holding a G-Counter (``crdt="g"``) or a PN-Counter (``"pn"``).

    ``reincarnate=True`` makes a restarted replica count under a fresh entry
    (``"r1~1"`` after its first restart), as a replica that lost its state must if its
    new increments are not to hide under its old entry. With durable state
    (the default) it is never needed.
    """

    def __init__(self, replicas: tuple[str, ...] | list[str], *, crdt: str = "pn",
                 gossip_every: float = 20.0, fanout: int | None = None,
                 durable: bool = True, reincarnate: bool = False) -> None:
        super().__init__(replicas, gossip_every=gossip_every, fanout=fanout, durable=durable)
        self.kind = _check.one_of("crdt", crdt, ("g", "pn"))
        if not isinstance(reincarnate, bool):
            raise TypeError(f"reincarnate must be True or False, got {reincarnate!r}")
        self.reincarnate = reincarnate

    @property
    def supports_decrement(self) -> bool:  # type: ignore[override]
        return self.kind == "pn"

    @property
    def entry(self) -> str:
        """The payload entry this replica increments: its id (or id~incarnation)."""
        if self.reincarnate and self.incarnation > 0:
            return f"{self.id}~{self.incarnation}"
        return self.id

    def initial_state(self) -> StateCRDT:
        return GCounter() if self.kind == "g" else PNCounter()

    def updated(self, state: StateCRDT, delta: int) -> StateCRDT:
        if delta > 0:
            return state.increment(self.entry, delta)  # type: ignore[attr-defined]
        return state.decrement(self.entry, -delta)  # type: ignore[attr-defined]
