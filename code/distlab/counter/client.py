"""The counter's clients: users who click "like" (or "unlike"), one request at a time.

A ``CounterClient`` sends each operation to its *home* replica as ``Increment(seq)`` or
``Decrement(seq)`` and waits for ``Ack(seq)``; without an answer within ``timeout`` it
sends the same request again (same ``seq``), so a lost request or a lost ack costs a
retry, not an operation. Replicas deduplicate by ``(client, seq)``: a retry of an
operation already applied is acknowledged again, never applied twice (at-most-once
execution of at-least-once delivery; notebook 1.1 on RPC semantics).

Every operation is recorded in the simulation's history, in Jepsen's vocabulary:
``invoke`` when the client first sends it, ``ok`` when the ack arrives (``fail`` if the
replica refused it). The value of both events is the amount. The ``k``-th operation of
client ``c`` is named ``f"{c}.{k}"`` wherever the book needs a name for it.

The client keeps ``seq`` and its open operation in durable storage, so a client that
crashes and restarts carries on retrying the same operation instead of reusing a
sequence number (which the replica would take for a duplicate).

Taught in notebook 1.5 ("Project: a distributed counter").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import Node, Uniform
from ..sim import _check
from ..sim.latency import as_latency

__all__ = ["Increment", "Decrement", "Ack", "Refused", "CounterClient", "op_name"]


@dataclass(frozen=True, slots=True)
class Increment:
    """Add ``amount`` to the counter; ``seq`` numbers the client's operations."""

    seq: int
    amount: int = 1


@dataclass(frozen=True, slots=True)
class Decrement:
    """Subtract ``amount`` from the counter."""

    seq: int
    amount: int = 1


@dataclass(frozen=True, slots=True)
class Ack:
    """The operation ``seq`` is applied (and durable at the replica)."""

    seq: int


@dataclass(frozen=True, slots=True)
class Refused:
    """The replica will not apply operation ``seq`` (e.g. a G-Counter cannot decrement)."""

    seq: int
    reason: str


def op_name(client: str, k: int) -> str:
    """The book's name for the ``k``-th operation (1, 2, ...) of ``client``: ``"c1.3"``."""
    return f"{client}.{k}"


class CounterClient(Node):
    """Performs ``ops`` operations on the counter at its home ``replica``, one at a time.

    Parameters
    ----------
    replica
        The replica it sends its requests to.
    ops
        How many operations it performs in all.
    think
        The pause before each operation (a delay distribution, a number or a pair).
    decrement
        The probability that an operation is a decrement rather than an increment.
    timeout
        Resend an unanswered request after this long.
    """

    def __init__(self, replica: str, ops: int = 5, think: Any = Uniform(10.0, 40.0),
                 decrement: float = 0.0, timeout: float = 30.0) -> None:
        self.replica = _check.node_id("replica", replica)
        self.ops = _check.integer("ops", ops, minimum=0)
        self.think = as_latency("think", think)
        self.decrement = _check.probability("decrement", decrement)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        self.seq = 0
        self.done = 0
        self.current: tuple[str, int] | None = None  # (kind, amount) of the open operation

    def on_start(self) -> None:
        self.seq = self.storage.get("seq", 0)
        self.done = self.storage.get("done", 0)
        self.current = self.storage.get("current")
        if self.current is not None:
            self._send_current()
        else:
            self._schedule_next()

    def _schedule_next(self) -> None:
        if self.done < self.ops:
            self.set_timer(self.think.sample(self.rng), "next")

    def _send_current(self) -> None:
        kind, amount = self.current  # type: ignore[misc]
        msg = Increment(self.seq, amount) if kind == "increment" else Decrement(self.seq, amount)
        self.send(self.replica, msg)
        self.cancel_timer("retry")
        self.set_timer(self.timeout, "retry")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next" and self.current is None and self.done < self.ops:
            kind = "decrement" if self.decrement and self.rng.random() < self.decrement \
                else "increment"
            self.seq += 1
            self.current = (kind, 1)
            self.storage["seq"] = self.seq
            self.storage["current"] = self.current
            self.record("invoke", kind, 1)
            self._send_current()
        elif name == "retry" and self.current is not None:
            self._send_current()

    def on_message(self, src: str, msg: Any) -> None:
        if self.current is None or getattr(msg, "seq", None) != self.seq:
            return  # a late ack of an earlier operation, or a duplicate
        kind, amount = self.current
        if isinstance(msg, Ack):
            self.record("ok", kind, amount)
        elif isinstance(msg, Refused):
            self.record("fail", kind, amount)
        else:
            return
        self.current = None
        self.done += 1
        self.storage["current"] = None
        self.storage["done"] = self.done
        self.cancel_timer("retry")
        self._schedule_next()

    def state(self) -> dict[str, Any]:
        return {"home": self.replica, "done": f"{self.done}/{self.ops}",
                "waiting": None if self.current is None else f"{self.current[0]} #{self.seq}"}
