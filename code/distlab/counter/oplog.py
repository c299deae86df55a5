"""An operation log ordered by Lamport timestamps, replicated to every replica.

Each replica stamps its clients' operations with a Lamport timestamp
``(time, replica)`` (Lamport 1978, IR1/IR2; the replica id breaks ties, so stamps are
unique and totally ordered), appends them to its durable log, and sends each one to
every other replica (``Update``). A replica that receives an operation advances its
clock past the stamp and inserts the operation into its log *in timestamp order*; its
value is the log replayed in that order. Replicas that hold the same operations hold the
same log, entry for entry, whatever the order in which the operations arrived: this is
Lamport's recipe for replicating a state machine (Lamport 1978, §"mutual exclusion";
Schneider 1990). A counter's operations happen to commute, so for the *value* the order
does not matter; for operations that do not commute (a "reset to zero", say) it does.

The price: the log grows with every operation, forever, and the design is only correct
if **every operation reaches every replica**. Sent once over a lossy network
(``retransmit=False``) some operations never arrive and replicas disagree for good.
With ``retransmit=True`` the origin keeps each operation it has not seen acknowledged
(``UpdateAck``) by a peer and sends it again every ``retransmit_every`` time units;
receivers acknowledge every copy and ignore duplicates (a stamp already in the log).
After a restart the origin cannot know which acks it had received (they were volatile),
so it sends all its own operations again: safe, since duplicates are ignored.

The Lamport clock is restored from the durable log on restart: a replica whose clock
went back to zero would stamp a new operation ``(1, r1)`` again, a receiver would take
it for a duplicate of the old ``(1, r1)``, and the increment would be lost.

Taught in notebook 1.5 ("Project: a distributed counter").
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from ..clocks import LamportClock, LamportTimestamp
from ..sim import _check
from .replica import CounterReplica

__all__ = ["LogEntry", "Update", "UpdateAck", "OpLogReplica"]


@dataclass(frozen=True, slots=True, order=True)
class LogEntry:
    """One operation: ``delta`` (+1 or -1), stamped ``ts``; entries sort by stamp."""

    ts: LamportTimestamp
    delta: int

    def __str__(self) -> str:
        return f"{self.delta:+d}@{self.ts}"


@dataclass(frozen=True, slots=True)
class Update:
    """An operation, sent by its origin replica to another replica."""

    entry: LogEntry


@dataclass(frozen=True, slots=True)
class UpdateAck:
    """The operation stamped ``ts`` is in the receiver's durable log."""

    ts: LamportTimestamp


class OpLogReplica(CounterReplica):
    """A replica keeping the log of every operation, in Lamport-timestamp order.

    Parameters
    ----------
    replicas
        Every replica's id (this one included).
    retransmit
        Resend unacknowledged operations (reliable delivery over a lossy network).
    retransmit_every
        Time between two retransmission rounds.
    durable
        Keep the log and the client sessions in durable storage.
    """

    def __init__(self, replicas: tuple[str, ...] | list[str], *, retransmit: bool = True,
                 retransmit_every: float = 20.0, durable: bool = True) -> None:
        super().__init__(replicas, durable=durable)
        if not isinstance(retransmit, bool):
            raise TypeError(f"retransmit must be True or False, got {retransmit!r}")
        self.retransmit = retransmit
        self.retransmit_every = _check.number("retransmit_every", retransmit_every,
                                              minimum=0.0, strict_min=True)
        self.log: list[LogEntry] = []
        self._index: dict[LamportTimestamp, LogEntry] = {}
        self.lamport = LamportClock()
        self.unacked: dict[str, set[LamportTimestamp]] = {}

    def on_start(self) -> None:
        super().on_start()
        stored = self.recover("log", [])
        self.log = sorted(LogEntry(LamportTimestamp(t, node), d) for t, node, d in stored)
        self._index = {e.ts: e for e in self.log}
        # Never reuse a stamp: resume the clock after the latest one in the log.
        self.lamport = LamportClock(max((e.ts.time for e in self.log), default=0))
        mine = {e.ts for e in self.log if e.ts.node == self.id}
        self.unacked = {p: set(mine) for p in self.replica_peers} if self.retransmit else {}
        self.report(force=True)
        if self.retransmit:
            self.set_timer(self.retransmit_every, "retransmit")

    # --- the log ---------------------------------------------------------------------
    def _insert(self, entry: LogEntry) -> None:
        bisect.insort(self.log, entry)
        self._index[entry.ts] = entry
        self.persist_append("log", (entry.ts.time, entry.ts.node, entry.delta))

    def value(self) -> int:
        """Replay the log in timestamp order (for a counter: the sum of the deltas)."""
        total = 0
        for entry in self.log:
            total += entry.delta
        return total

    def state_size(self) -> int:
        return len(self.log)

    # --- operations: local, then everywhere ------------------------------------------
    def apply_local(self, delta: int) -> None:
        entry = LogEntry(LamportTimestamp(self.lamport.tick(), self.id), delta)
        self._insert(entry)
        for peer in self.replica_peers:
            self.send(peer, Update(entry))
            if self.retransmit:
                self.unacked[peer].add(entry.ts)

    def on_peer(self, src: str, msg: Any) -> None:
        if isinstance(msg, Update):
            entry = msg.entry
            self.lamport.receive(entry.ts.time)
            if entry.ts not in self._index:
                self._insert(entry)
                self.report()
            if self.retransmit:
                self.send(src, UpdateAck(entry.ts))
        elif isinstance(msg, UpdateAck) and src in self.unacked:
            self.unacked[src].discard(msg.ts)

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "retransmit":
            return
        for peer in self.replica_peers:
            for ts in sorted(self.unacked.get(peer, ())):
                self.send(peer, Update(self._index[ts]))
        self.set_timer(self.retransmit_every, "retransmit")

    def state(self) -> dict[str, Any]:
        return {"value": self.value(), "log": " ".join(str(e) for e in self.log[-4:]),
                "entries": len(self.log)}
