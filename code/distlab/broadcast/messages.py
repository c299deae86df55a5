"""The messages of the broadcast protocols, as frozen, slotted dataclasses.

Names follow the literature: ``Message`` is Cachin, Guerraoui & Rodrigues's
``[DATA, s, m]`` (a payload with its origin and the origin's sequence number, which
together identify it); ``Packet`` and ``Ack`` are the frames of a perfect link built on
a lossy one (Cachin et al. 2011, Algs. 2.1-2.2); ``Stamped`` is causal broadcast's
``[DATA, W, m]`` carrying a vector timestamp (Birman, Schiper & Stephenson 1991;
Cachin et al. 2011, Alg. 3.15); ``Order`` is a fixed sequencer's assignment of a
global sequence number (Défago, Schiper & Urbán 2004).

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..clocks import VectorClock

__all__ = ["MessageId", "Message", "Packet", "Ack", "Stamped", "Order"]

MessageId = tuple[str, int]
"""``(origin, seq)``: a broadcast message's identity."""


@dataclass(frozen=True, slots=True)
class Message:
    """A broadcast message: the ``seq``-th broadcast of node ``origin``, carrying ``payload``.

    ``(origin, seq)`` identifies it, so receivers can drop copies they already have.
    Delivered to the application and reported in the trace as ``output("deliver", m)``.
    """

    origin: str
    seq: int
    payload: Any

    @property
    def id(self) -> MessageId:
        """``(origin, seq)``."""
        return (self.origin, self.seq)

    def __repr__(self) -> str:
        return f"Message({self.origin}#{self.seq}, {self.payload!r})"

    def __str__(self) -> str:
        return f"{self.origin}#{self.seq}"


@dataclass(frozen=True, slots=True)
class Packet:
    """A frame on a retransmitting link: the ``number``-th packet its sender sent to
    this destination in its current ``incarnation`` (so a restarted sender's fresh
    numbering is never mistaken for old duplicates)."""

    incarnation: int
    number: int
    payload: Any

    def __repr__(self) -> str:
        return f"Packet({self.incarnation}.{self.number}, {self.payload!r})"


@dataclass(frozen=True, slots=True)
class Ack:
    """The receiver has the packet ``number`` of the sender's ``incarnation``."""

    incarnation: int
    number: int

    def __repr__(self) -> str:
        return f"Ack({self.incarnation}.{self.number})"


@dataclass(frozen=True, slots=True)
class Stamped:
    """Causal broadcast's ``[DATA, W, m]``: a payload and its vector timestamp ``W``.

    ``W[origin]`` counts the origin's broadcasts including this one; ``W[k]`` for any
    other ``k`` counts the messages from ``k`` the origin had delivered when it broadcast.
    """

    W: VectorClock
    payload: Any

    def __repr__(self) -> str:
        return f"Stamped({self.W}, {self.payload!r})"


@dataclass(frozen=True, slots=True)
class Order:
    """The sequencer's decision: message ``message`` is the ``number``-th to deliver."""

    number: int
    message: MessageId

    def __repr__(self) -> str:
        return f"Order({self.number}: {self.message[0]}#{self.message[1]})"
