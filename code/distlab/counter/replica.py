"""What every replicated counter in this package shares: serving the clients.

A ``CounterReplica`` accepts ``Increment``/``Decrement`` requests from clients, applies
each operation once (a retry of an applied operation, recognised by the client's
``seq``, is acknowledged again and not applied again), makes it durable, acknowledges
it, and reports its value in the trace with ``self.output("value", v)`` whenever the
value changes and whenever it (re)starts. Checkers read those outputs, never a
replica's memory.

How a replica shares its operations with the others, and how it resolves conflicts,
is what the subclasses differ in: an operation log (``oplog``), whole states merged as
a CRDT (``gossip``) or a last-writer-wins value (``lww``).

``durable=False`` keeps everything in memory, so a crash forgets the state *and* the
table of applied ``seq`` numbers: notebook 1.5 shows what that costs.
"""

from __future__ import annotations

from typing import Any

from ..sim import Node
from ..sim import _check
from .client import Ack, Decrement, Increment, Refused

__all__ = ["CounterReplica"]


class CounterReplica(Node):
    """Base class: client requests, deduplication, durability switch, value outputs.

    Subclasses implement ``value()``, ``apply_local(delta)`` (apply a client's
    operation, ``+amount`` or ``-amount``, and persist it with ``self.persist``) and
    ``on_peer(src, msg)`` (messages from other replicas), and call
    ``super().on_start()`` first in their own ``on_start``.
    """

    #: Can this design count down? (A G-Counter cannot.)
    supports_decrement = True

    def __init__(self, replicas: tuple[str, ...] | list[str], *, durable: bool = True) -> None:
        if isinstance(replicas, str):
            raise TypeError("replicas must be a list of replica ids, not a string")
        self.replicas = tuple(_check.node_id("replicas", r) for r in replicas)
        if not self.replicas:
            raise ValueError("replicas must name at least one replica")
        if not isinstance(durable, bool):
            raise TypeError(f"durable must be True or False, got {durable!r}")
        self.durable = durable
        self.sessions: dict[str, int] = {}   # client -> last seq applied
        self._reported: int | None = None
        self._peers: tuple[str, ...] | None = None

    # --- durable state, when asked for ------------------------------------------------
    def persist(self, key: str, value: Any) -> None:
        """Write ``value`` durably (a no-op for a replica with ``durable=False``)."""
        if self.durable:
            self.storage[key] = value

    def persist_append(self, key: str, item: Any) -> None:
        """Append ``item`` to a durable list (a no-op when not durable)."""
        if self.durable:
            self.storage.append(key, item)

    def recover(self, key: str, default: Any) -> Any:
        """What was persisted under ``key`` (``default`` when not durable or absent)."""
        return self.storage.get(key, default) if self.durable else default

    # --- the runtime's handlers -----------------------------------------------------
    def on_start(self) -> None:
        if self.id not in self.replicas:
            raise ValueError(f"replica {self.id!r} is not in its own replicas list "
                             f"{list(self.replicas)}")
        self.sessions = self.recover("sessions", {})

    @property
    def replica_peers(self) -> tuple[str, ...]:
        """The other replicas (clients are nodes too, but not peers)."""
        if self._peers is None:
            self._peers = tuple(r for r in self.replicas if r != self.id)
        return self._peers

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, (Increment, Decrement)):
            self.on_client(src, msg)
        else:
            self.on_peer(src, msg)

    def on_client(self, src: str, msg: Increment | Decrement) -> None:
        """Apply a client's operation once, durably, then acknowledge it."""
        if msg.seq <= self.sessions.get(src, 0):
            self.send(src, Ack(msg.seq))  # a retry: applied already, ack again
            return
        if isinstance(msg, Decrement) and not self.supports_decrement:
            self.send(src, Refused(msg.seq, f"{type(self).__name__} cannot decrement"))
            return
        self.sessions[src] = msg.seq
        self.apply_local(msg.amount if isinstance(msg, Increment) else -msg.amount)
        self.persist("sessions", dict(self.sessions))
        self.report()
        self.send(src, Ack(msg.seq))

    def report(self, force: bool = False) -> None:
        """Output the value in the trace if it changed since the last report."""
        v = self.value()
        if force or v != self._reported:
            self._reported = v
            self.output("value", v)

    # --- for subclasses -------------------------------------------------------------
    def value(self) -> int:
        """The counter's value at this replica."""
        raise NotImplementedError

    def apply_local(self, delta: int) -> None:
        """Apply a client's operation (``delta`` = +amount or -amount) and persist it."""
        raise NotImplementedError

    def on_peer(self, src: str, msg: Any) -> None:
        """Handle a message from another replica."""

    def state_size(self) -> int:
        """How many integers this replica's state holds (a cost in the comparison)."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        return {"value": self.value()}
