"""Point-to-point links for the broadcast stack: plain sends, or perfect links that
retransmit until acknowledged and drop duplicates.

A fair-loss link (the simulated network) may lose, duplicate and reorder messages.
Cachin, Guerraoui & Rodrigues (2011, Alg. 2.1) build *stubborn* links on it by sending
every message again and again, and *perfect* links on those by dropping duplicates
(Alg. 2.2).
``PerfectLinks`` does what real transports do instead of retransmitting forever: the
receiver acknowledges each ``Packet``, and the sender sends a packet again whenever it
has gone ``retransmit`` time units (on the sender's clock) without an acknowledgement.
The price is counted in the trace (extra ``Packet`` copies, and one ``Ack`` per packet
received).

Packets are numbered per destination and per *incarnation* of the sender, so a sender
that crashed and restarted (forgetting its numbering) is not mistaken for a stream of
duplicates. The retransmission buffer is volatile: a crash forgets what was not yet
acknowledged (the broadcast layers above make up for it, see ``ReliableBroadcast``).

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from typing import Any

from ..sim import Node
from ..sim import _check
from .messages import Ack, Packet

__all__ = ["PerfectLinks"]


class PerfectLinks(Node):
    """The bottom layer: ``pl_send(dst, payload)`` down, ``pl_deliver(src, payload)`` up.

    Parameters
    ----------
    retransmit
        ``None`` (default): send each payload once, as it is; the network may lose or
        duplicate it. A number: wrap payloads in ``Packet``\\ s, acknowledge them, send
        a packet again each time ``retransmit`` time units pass without its
        acknowledgement, and drop duplicates.
    """

    #: What this layer adds (drawn by ``distlab.viz.broadcast.layer_stack``).
    summary = "point-to-point sends; with retransmit=: acks, retransmission, no duplicates"

    def __init__(self, *, retransmit: float | None = None) -> None:
        if retransmit is not None:
            retransmit = _check.number("retransmit", retransmit, minimum=0.0, strict_min=True)
        self.retransmit = retransmit
        self._fresh_links()

    def on_start(self) -> None:
        self._fresh_links()

    def _fresh_links(self) -> None:
        # dst -> {number: (payload, when to send it again, on this node's clock)}
        self.unacked: dict[str, dict[int, tuple[Any, float]]] = {}
        self._numbers: dict[str, int] = {}                  # dst -> last number used
        # (src, incarnation) -> (every number <= first was received, the ones above it)
        self._received: dict[tuple[str, int], tuple[int, set[int]]] = {}
        self._armed = False                                 # is the retransmit timer set?

    # --- down ----------------------------------------------------------------------------
    def pl_send(self, dst: str, payload: Any) -> None:
        """Send ``payload`` to ``dst`` (retransmitted until acknowledged, if enabled)."""
        if self.retransmit is None:
            self.send(dst, payload)
            return
        number = self._numbers.get(dst, 0) + 1
        self._numbers[dst] = number
        self.unacked.setdefault(dst, {})[number] = (payload, self.clock() + self.retransmit)
        self.send(dst, Packet(self.incarnation, number, payload))
        if not self._armed:
            self._armed = True
            self.set_timer(self.retransmit, "retransmit")

    # --- up ------------------------------------------------------------------------------
    def pl_deliver(self, src: str, payload: Any) -> None:
        """A payload arrived from ``src`` (once, if retransmission is on). Override."""

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Packet):
            self.send(src, Ack(msg.incarnation, msg.number))
            if self._first_time(src, msg.incarnation, msg.number):
                self.pl_deliver(src, msg.payload)
        elif isinstance(msg, Ack):
            if msg.incarnation == self.incarnation:
                self.unacked.get(src, {}).pop(msg.number, None)
        else:
            self.pl_deliver(src, msg)

    def _first_time(self, src: str, incarnation: int, number: int) -> bool:
        """Record packet ``number`` from ``src``; False if it was received before."""
        upto, above = self._received.get((src, incarnation), (0, set()))
        if number <= upto or number in above:
            return False
        above.add(number)
        while upto + 1 in above:  # keep the set small: advance the contiguous prefix
            upto += 1
            above.discard(upto)
        self._received[(src, incarnation)] = (upto, above)
        return True

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "retransmit":
            super().on_timer(name, payload)
            return
        self._armed = False
        now = self.clock()
        for dst in sorted(self.unacked):
            for number, (item, due) in sorted(self.unacked[dst].items()):
                if due <= now + 1e-9:    # unacknowledged for `retransmit`: send it again
                    self.send(dst, Packet(self.incarnation, number, item))
                    self.unacked[dst][number] = (item, now + self.retransmit)
        dues = [due for pending in self.unacked.values() for _, due in pending.values()]
        if dues:
            self._armed = True
            self.set_timer(max(0.0, min(dues) - now), "retransmit")

    def state(self) -> dict[str, Any]:
        if self.retransmit is None:
            return {}
        return {"unacked": sum(len(v) for v in self.unacked.values())}
