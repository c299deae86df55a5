"""Total order broadcast with a fixed sequencer.

*Total order*: if two correct nodes both deliver m1 and m2, they deliver them in the
same order (Défago, Schiper & Urbán 2004; Cachin, Guerraoui & Rodrigues 2011,
ch. 6). Causal order leaves concurrent messages unordered; total order orders them
all, which is what replicas of a state machine need (Schneider 1990).

The simplest algorithm is a *fixed sequencer* (Défago et al. 2004, the
"broadcast-broadcast" variant): a node reliably broadcasts m; one distinguished node,
the sequencer, on delivering m, reliably broadcasts ``Order(k, m)`` with the next
number k; every node delivers messages in the order of their numbers, holding back a
message until its number is known and every lower number has been delivered.

The sequencer is a single point of failure: while it is down, nothing new is
delivered anywhere (safety holds, liveness is lost). Replacing it safely requires the
nodes to agree on what the old sequencer had ordered, that is, consensus (Part 2 of
the book; Défago et al. 2004).

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from typing import Any

from ..sim import _check
from .messages import Message, MessageId, Order
from .reliable import ReliableBroadcast

__all__ = ["SequencerBroadcast", "sequence_release"]


def sequence_release(next_number: int, orders: dict[int, MessageId],
                     data: dict[MessageId, Message]) -> tuple[list[Message], int]:
    """Deliver in the sequencer's order: while the next number is known *and* its
    message has arrived, take it. Removes what it returns from ``orders`` and ``data``;
    returns the messages and the new ``next_number``."""
    out = []
    while next_number in orders and orders[next_number] in data:
        out.append(data.pop(orders.pop(next_number)))
        next_number += 1
    return out, next_number


class SequencerBroadcast(ReliableBroadcast):
    """Total order broadcast by a fixed sequencer (Défago et al. 2004).

    Parameters
    ----------
    sequencer
        The sequencer's node id (default: the first node of the simulation).
    """

    #: What this layer adds (drawn by ``distlab.viz.broadcast.layer_stack``).
    summary = "total order: a sequencer numbers every message"

    def __init__(self, *, sequencer: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if sequencer is not None:
            _check.node_id("sequencer", sequencer)
        self.sequencer = sequencer
        self.next_deliver, self.next_number = 1, 1
        self.orders: dict[int, MessageId] = {}
        self.data: dict[MessageId, Message] = {}

    def on_start(self) -> None:
        super().on_start()
        if self.sequencer is None:
            self.sequencer = self.nodes[0]
        elif self.sequencer not in self.nodes:
            raise ValueError(f"sequencer={self.sequencer!r} is not a node; nodes are "
                             f"{', '.join(self.nodes)}")
        self.next_deliver = self.storage.get("total_next", 1) if self.durable else 1
        self.orders, self.data, self.next_number = {}, {}, 1
        # After a restart: rebuild from the log what was received and not yet delivered.
        done: set[MessageId] = set()
        for m in self.recovered:
            if isinstance(m.payload, Order):
                k, mid = m.payload.number, m.payload.message
                if k < self.next_deliver:
                    done.add(mid)
                else:
                    self.orders.setdefault(k, mid)
                if m.origin == self.id:
                    self.next_number = max(self.next_number, k + 1)
            else:
                self.data[m.id] = m
        for mid in done:
            self.data.pop(mid, None)

    def rb_deliver(self, m: Message) -> None:
        if isinstance(m.payload, Order):
            if m.payload.number >= self.next_deliver:
                self.orders.setdefault(m.payload.number, m.payload.message)
        else:
            self.data[m.id] = m
            if self.id == self.sequencer:
                self.assign(m)
        ready, self.next_deliver = sequence_release(self.next_deliver, self.orders, self.data)
        if ready and self.durable:
            self.storage["total_next"] = self.next_deliver
        for r in ready:
            self.deliver(r)

    def assign(self, m: Message) -> None:
        """The sequencer's step: give ``m`` the next number, and tell everyone.

        (Durably, the ``Order`` lands in the log, from which a restarted sequencer
        learns the next number to give.)"""
        order = Order(self.next_number, m.id)
        self.next_number += 1
        self.rb_broadcast(self.new_message(order))   # delivered here at once, too

    def held_back(self) -> list[dict[str, Any]]:
        """Messages received but not delivered, and what each waits for."""
        numbered = {mid: k for k, mid in self.orders.items()}
        rows = []
        for mid, m in sorted(self.data.items()):
            k = numbered.get(mid)
            if k is None:
                why = f"its number from {self.sequencer}"
            else:
                why = f"numbers {self.next_deliver}..{k - 1} first"
            rows.append({"message": str(m), "payload": m.payload, "number": k,
                         "waits for": why})
        return rows

    def state(self) -> dict[str, Any]:
        held = [str(m) for _, m in sorted(self.data.items())]
        return {**super().state(), "next": self.next_deliver,
                "held back": ", ".join(held) or "-"}
