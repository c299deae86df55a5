"""Causal broadcast with vector clocks (Birman, Schiper & Stephenson 1991).

*Causal order*: if the broadcast of m1 happened before the broadcast of m2 (the same
node broadcast m1 first, or m2's sender had delivered m1 when it broadcast m2, or a
chain of such steps), then no node delivers m2 unless it has already delivered m1
(Cachin, Guerraoui & Rodrigues 2011, ch. 3; Hadzilacos & Toueg 1994). In a
chat: nobody sees a reply before the message it answers.

The algorithm (Birman, Schiper & Stephenson 1991, "CBCAST"; Cachin et al. 2011,
Alg. 3.15, "waiting causal broadcast"): each node keeps a vector ``V`` where ``V[k]``
counts the messages from ``k`` it has delivered. To broadcast, it stamps the message
with ``W = V`` plus one in its own entry. A node delivers a message from ``j``
stamped ``W`` when

    W[j] == V[j] + 1      (it is the next message from j), and
    W[k] <= V[k]          for every other k (everything j had delivered, we have too),

and then adds one to ``V[j]``; otherwise the message waits in the hold-back queue.

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..clocks import VectorClock
from .messages import Message, Stamped
from .reliable import ReliableBroadcast

__all__ = ["CausalBroadcast", "can_deliver", "missing"]


def can_deliver(W: Mapping[str, int], V: Mapping[str, int], sender: str) -> bool:
    """The causal delivery condition of CBCAST (Birman, Schiper & Stephenson 1991).

    May a node whose delivered-vector is ``V`` deliver a message from ``sender``
    stamped ``W``? Missing entries count as 0.
    """
    if W.get(sender, 0) != V.get(sender, 0) + 1:
        return False
    return all(count <= V.get(k, 0) for k, count in W.items() if k != sender)


def missing(W: Mapping[str, int], V: Mapping[str, int], sender: str) -> dict[str, int]:
    """Why a message waits: how many more messages it needs from each node.

    ``{}`` when ``can_deliver(W, V, sender)``; a negative-free count otherwise (a
    message that is old, ``W[sender] <= V[sender]``, needs nothing and never waits).
    """
    need = {k: count - V.get(k, 0) for k, count in W.items()
            if k != sender and count > V.get(k, 0)}
    earlier = W.get(sender, 0) - 1 - V.get(sender, 0)
    if earlier > 0:
        need[sender] = earlier
    return dict(sorted(need.items()))


class CausalBroadcast(ReliableBroadcast):
    """Reliable broadcast with causal delivery, by vector timestamps (CBCAST)."""

    #: What this layer adds (drawn by ``distlab.viz.broadcast.layer_stack``).
    summary = "causal order: vector timestamps, hold-back queue"
    #: The delivery rule, ``can_deliver`` by default (the notebook's exercise swaps it).
    condition = staticmethod(can_deliver)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.V = VectorClock()
        self.pending: list[Message] = []   # the hold-back queue, in arrival order

    def on_start(self) -> None:
        super().on_start()
        self.V = self.storage.get("causal_V", VectorClock()) if self.durable else VectorClock()
        # After a restart: the log, minus what was delivered (W[origin] <= V[origin]).
        self.pending = [m for m in self.recovered if m.payload.W[m.origin] > self.V[m.origin]]

    def disseminate(self, m: Message) -> None:
        W = self.V.increment(self.id)    # my (V[me] + 1)-th message, after all of V
        self.rb_broadcast(Message(m.origin, m.seq, Stamped(W, m.payload)))

    def rb_deliver(self, m: Message) -> None:
        self.pending.append(m)
        delivered = self._deliver_pending()
        if delivered and self.durable:
            self.storage["causal_V"] = self.V
        for d in delivered:
            self.deliver(d)

    def _deliver_pending(self) -> list[Message]:
        """Take every message the condition allows out of the queue, in order."""
        out = []
        progress = True
        while progress:
            progress = False
            for m in self.pending:
                if self.condition(m.payload.W, self.V, m.origin):
                    self.pending.remove(m)
                    self.V = self.V.increment(m.origin)
                    out.append(Message(m.origin, m.seq, m.payload.payload))
                    progress = True
                    break
        return out

    def held_back(self) -> list[dict[str, Any]]:
        """The hold-back queue: each message, its stamp, and what it waits for."""
        rows = []
        for m in self.pending:
            need = missing(m.payload.W, self.V, m.origin)
            waits = ", ".join(
                f"{k}#{self.V[k] + 1}" if n == 1 else f"{k}#{self.V[k] + 1}..{self.V[k] + n}"
                for k, n in need.items())
            rows.append({"message": str(m), "payload": m.payload.payload,
                         "W": str(m.payload.W), "V": str(self.V), "waits for": waits})
        return rows

    def state(self) -> dict[str, Any]:
        held = []
        for m in self.pending:
            need = missing(m.payload.W, self.V, m.origin)
            held.append(f"{m} (needs {', '.join(f'{k}:{n}' for k, n in need.items())})")
        return {**super().state(), "V": str(self.V), "held back": "; ".join(held) or "-"}
