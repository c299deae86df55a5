"""Best-effort and (eager) reliable broadcast.

*Best-effort broadcast* (Cachin, Guerraoui & Rodrigues 2011, Alg. 3.1, "basic
broadcast") sends the message to every node over point-to-point links, and every
node delivers what it receives. If the sender crashes half-way through its sends, some
nodes deliver the message and others never will.

*Reliable broadcast* (Hadzilacos & Toueg 1994; Cachin et al. 2011, Alg. 3.3,
"eager reliable broadcast") adds **agreement**: if one correct node delivers m, every
correct node does. The eager algorithm gets it by relaying: the first time a node
receives m, it sends m to every other node, then delivers it. Whoever delivers m has
passed it on, so the sender's crash no longer matters. It costs (n - 1)² messages per
broadcast on n nodes, instead of n - 1.

Properties (Cachin et al. 2011, ch. 3): *validity* (a correct node delivers what
it broadcasts), *no duplication*, *no creation* (only broadcast messages are
delivered), *agreement*. ``distlab.broadcast.checks.check_reliable`` judges them on a
trace.

In the crash-recovery model a node that restarts forgets its memory. With
``durable=True`` the layers keep what they need in ``self.storage`` (written in the
same handler as the sends, so before them): the node's own sequence number (or it
would reuse message ids) and the log of messages delivered by reliable broadcast (or
it would deliver them again). The layers above keep only a few counters and rebuild
their hold-back queues from that log (``self.recovered``). On recovery the node sends
its log again, because the retransmission buffers of its links were volatile (Cachin
et al. 2011, Algs. 3.7 and 3.23, "logged" broadcast).

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from typing import Any

from .links import PerfectLinks
from .messages import Message, MessageId

__all__ = ["BestEffortBroadcast", "ReliableBroadcast"]


class BestEffortBroadcast(PerfectLinks):
    """Best-effort broadcast; also the application interface every broadcast shares.

    The application calls ``bcast(payload)``; the layer reports each delivery with
    ``self.output("deliver", message)`` (what checkers read) and calls the
    application's ``on_deliver(message)``. A subclass changes how a message is spread
    (``disseminate``) and when it is delivered (``beb_deliver``, ``rb_deliver``, ...).

    Parameters
    ----------
    retransmit
        Retransmission period of the links (``None``: no retransmission); see
        ``PerfectLinks``.
    durable
        Keep the protocol's state in durable storage, for the crash-recovery model.
    """

    #: What this layer adds (drawn by ``distlab.viz.broadcast.layer_stack``).
    summary = "send to every node; deliver whatever arrives"

    def __init__(self, *, retransmit: float | None = None, durable: bool = False) -> None:
        super().__init__(retransmit=retransmit)
        if not isinstance(durable, bool):
            raise TypeError(f"durable must be True or False, got {durable!r}")
        self.durable = durable
        self.seq = 0

    def on_start(self) -> None:
        super().on_start()
        self.seq = self.storage.get("seq", 0) if self.durable else 0

    # --- the application's interface ---------------------------------------------------
    def bcast(self, payload: Any) -> Message:
        """Broadcast ``payload`` to every node, this one included; returns the message.

        Reported in the trace as ``output("broadcast", message)``.
        """
        m = self.new_message(payload)
        self.output("broadcast", m)
        self.disseminate(m)
        return m

    def new_message(self, payload: Any) -> Message:
        """The next message id of this node: ``(self.id, seq)`` with seq = 1, 2, ..."""
        self.seq += 1
        if self.durable:
            self.storage["seq"] = self.seq
        return Message(self.id, self.seq, payload)

    def deliver(self, m: Message) -> None:
        """Hand ``m`` to the application: the trace's ``deliver`` output, then
        ``on_deliver``."""
        self.output("deliver", m)
        self.on_deliver(m)

    def on_deliver(self, m: Message) -> None:
        """The application's hook: ``m`` was delivered. Override (e.g. the chat)."""

    # --- the protocol --------------------------------------------------------------------
    def disseminate(self, m: Message) -> None:
        """How this layer spreads an application message (overridden above)."""
        self.beb_broadcast(m)

    def beb_broadcast(self, m: Message) -> None:
        """Send ``m`` to every other node, and deliver it here."""
        for q in self.peers:
            self.pl_send(q, m)
        self.beb_deliver(self.id, m)

    def pl_deliver(self, src: str, payload: Any) -> None:
        if isinstance(payload, Message):
            self.beb_deliver(src, payload)

    def beb_deliver(self, src: str, m: Message) -> None:
        """Best-effort delivery: everything that arrives (copies included)."""
        self.deliver(m)

    def state(self) -> dict[str, Any]:
        return {"seq": self.seq, **super().state()}


class ReliableBroadcast(BestEffortBroadcast):
    """Eager reliable broadcast: relay on first receipt, then deliver.

    Hadzilacos & Toueg 1994 (reliable broadcast by message diffusion); Cachin et
    al. 2011, Alg. 3.3. A node does not relay ``m`` to its origin, which has it already:
    (n - 1) + (n - 1)(n - 2) = (n - 1)² messages per broadcast on n nodes.
    """

    #: What this layer adds (drawn by ``distlab.viz.broadcast.layer_stack``).
    summary = "agreement: relay on first receipt, drop copies"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delivered: set[MessageId] = set()
        self.recovered: list[Message] = []

    def on_start(self) -> None:
        super().on_start()
        # The durable log: every message delivered here, in order. It is also where the
        # layers above rebuild their hold-back queues from after a restart.
        self.recovered = self.storage.get("log", []) if self.durable else []
        self.delivered = {m.id for m in self.recovered}
        if self.recovered and self.incarnation > 0:
            # Recovery: the links forgot what they had not yet got through; send the
            # log again (receivers drop the copies they have).
            for m in self.recovered:
                for q in self.peers:
                    if q != m.origin:
                        self.pl_send(q, m)

    def disseminate(self, m: Message) -> None:
        self.rb_broadcast(m)

    def rb_broadcast(self, m: Message) -> None:
        """Reliably broadcast ``m`` (any message, including a protocol's own)."""
        self.beb_broadcast(m)

    def beb_deliver(self, src: str, m: Message) -> None:
        if m.id in self.delivered:       # a copy (relayed, retransmitted, duplicated)
            return
        self.delivered.add(m.id)
        if self.durable:
            self.storage.append("log", m)
        if m.origin != self.id:          # relay first: whoever delivers m has passed it on
            for q in self.peers:
                if q != m.origin:
                    self.pl_send(q, m)
        self.rb_deliver(m)

    def rb_deliver(self, m: Message) -> None:
        """Reliable delivery of ``m``; the layers above decide when to ``deliver`` it."""
        self.deliver(m)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "delivered": len(self.delivered)}
