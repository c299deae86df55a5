"""FIFO broadcast: per-sender sequence numbers and a hold-back queue.

Reliable broadcast delivers in whatever order messages arrive. FIFO broadcast adds
*FIFO delivery*: if a node broadcasts m1 before m2, no node delivers m2 unless it has
already delivered m1 (Cachin, Guerraoui & Rodrigues 2011, Alg. 3.12, "broadcast
with sequence number"; Hadzilacos & Toueg 1994). Each message carries
its sender's sequence number (``Message.seq``); a receiver holds back a message that
arrives early until every earlier one from the same sender has been delivered.

Messages from *different* senders are not ordered at all: a reply may still be
delivered before the question it answers (notebook 1.6 shows it).

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from typing import Any

from .messages import Message
from .reliable import ReliableBroadcast

__all__ = ["FifoBroadcast", "fifo_release"]


def fifo_release(next_seq: int, held: dict[int, Any]) -> tuple[list[Any], int]:
    """The FIFO hold-back rule for one sender.

    ``next_seq`` is the sequence number expected next from that sender; ``held`` maps
    the sequence numbers that have arrived (and are not yet delivered) to their
    messages. Returns the messages that can now be delivered, in order, and the new
    ``next_seq``; they are removed from ``held``.
    """
    out = []
    while next_seq in held:
        out.append(held.pop(next_seq))
        next_seq += 1
    return out, next_seq


class FifoBroadcast(ReliableBroadcast):
    """Reliable broadcast with FIFO delivery (Cachin et al. 2011, Alg. 3.12)."""

    #: What this layer adds (drawn by ``distlab.viz.broadcast.layer_stack``).
    summary = "FIFO order: per-sender sequence numbers, hold-back queue"
    #: The hold-back rule, ``fifo_release`` by default (the notebook's exercise swaps it).
    release = staticmethod(fifo_release)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.next: dict[str, int] = {}
        self.pending: dict[str, dict[int, Message]] = {}

    def on_start(self) -> None:
        super().on_start()
        self.next = self.storage.get("fifo_next", {}) if self.durable else {}
        self.pending = {}
        for m in self.recovered:       # after a restart: the log, minus what was delivered
            if m.seq >= self.next.get(m.origin, 1):
                self.pending.setdefault(m.origin, {})[m.seq] = m

    def rb_deliver(self, m: Message) -> None:
        self.pending.setdefault(m.origin, {})[m.seq] = m
        ready, self.next[m.origin] = self.release(self.next.get(m.origin, 1),
                                                  self.pending[m.origin])
        if ready and self.durable:
            self.storage["fifo_next"] = self.next
        for r in ready:
            self.deliver(r)

    def held_back(self) -> list[dict[str, Any]]:
        """What the hold-back queue holds, and what each message waits for."""
        rows = []
        for origin in sorted(self.pending):
            for seq, m in sorted(self.pending[origin].items()):
                first = self.next.get(origin, 1)
                rows.append({"message": str(m), "payload": m.payload,
                             "waits for": ", ".join(f"{origin}#{k}" for k in range(first, seq))})
        return rows

    def state(self) -> dict[str, Any]:
        held = [str(m) for o in sorted(self.pending) for _, m in sorted(self.pending[o].items())]
        return {**super().state(), "held back": ", ".join(held) or "-"}
