"""Chain replication (van Renesse & Schneider 2004).

The servers form a chain. Updates enter at the **head**, which orders them and passes
each down the chain; the **tail** applies it last and answers the client. Queries go
to the **tail**, which knows only updates every server already holds, so reads and
writes are linearizable ("strong consistency", §2) with no voting at all: each update
costs one message per link, and reads touch one server.

A **master** (assumed never to fail: the paper replicates it with Paxos) pings the
servers, removes one that stops answering (servers are fail-stop, §3), and sends the new
chain to the others:

- the head fails: its successor becomes the head; updates only the old head had are
  lost, but no client was told they were done;
- the tail fails: its predecessor becomes the tail; everything it holds is now on every
  remaining server, so it is committed (this module's new tail also answers the clients
  of those updates; in the paper they re-ask);
- a **middle** server ``S`` fails: its predecessor ``S-`` must pass to its new successor
  ``S+`` the updates ``S`` may not have forwarded. ``S-`` keeps them: its *Sent* list,
  the updates it forwarded that the tail has not acknowledged (§3, "Update Propagation
  Invariant"). Here ``S-`` re-sends every entry above the tail's acknowledged index
  (``committed``); ``S+`` skips what it already has.

Acknowledgements flow back up the chain (``Ack``), carrying how far each server's log
goes (``have``: what to re-send after a loss) and how far the tail has applied
(``committed``: what can leave the Sent list). Links may lose and reorder messages
(the paper assumes reliable FIFO channels), so each server re-sends to its successor
on a timer and applies entries strictly in order.

What the paper's model rules out shows up under partitions: a server the master has
removed but that has not heard so (cut off from the master, reachable by a client)
still believes it is the tail and answers reads from a history that no longer grows.
``reads="any"`` lets every server answer reads from its own history, which is fast and
not linearizable (the paper's §5 discusses it; CRAQ makes it safe with versions).

Taught in notebook 2.9. (Adding a server at the tail, §3 "Extending a chain", is left
out: a crashed server stays out of the chain.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim import _check
from .clients import Append, AppendOk, Read, ReadOk, Redirect

__all__ = ["READS", "Update", "Forward", "Ack", "Ping", "Pong", "ChainServer", "ChainMaster"]

READS = ("tail", "any")


@dataclass(frozen=True, slots=True)
class Update:
    """One update in a server's history: a value and the request it came from."""

    value: Any
    client: str
    req: int

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class Forward:
    """Server -> successor: updates at indices ``start, start + 1, ...`` (1-based)."""

    start: int
    updates: tuple[Update, ...]

    def __repr__(self) -> str:
        return f"Forward({self.start}: {list(self.updates)})"


@dataclass(frozen=True, slots=True)
class Ack:
    """Server -> predecessor: I hold ``have`` updates; the tail has applied ``committed``."""

    have: int
    committed: int


@dataclass(frozen=True, slots=True)
class Ping:
    """Master -> server: the current chain (configuration ``version``); answer with Pong."""

    version: int
    chain: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pong:
    version: int


class ChainServer(Node):
    """One server of a chain; the chain's initial order is ``chain``.

    Parameters
    ----------
    chain
        The servers, head first.
    reads
        ``"tail"`` (the paper) or ``"any"`` (every server answers from its own history).
    resend
        Period at which unacknowledged updates are sent again to the successor.
    batch
        At most this many updates per ``Forward``.
    """

    def __init__(self, chain: Sequence[str], *, reads: str = "tail", resend: float = 15.0,
                 batch: int = 32) -> None:
        if isinstance(chain, str):
            raise TypeError("chain must be a list of node ids, not a string")
        self.initial = tuple(_check.node_id("chain", s) for s in chain)
        if not self.initial:
            raise ValueError("chain must name at least one server")
        self.reads = _check.one_of("reads", reads, READS)
        self.resend = _check.number("resend", resend, minimum=0.0, strict_min=True)
        self.batch = _check.integer("batch", batch, minimum=1)
        self.hist: list[Update] = []
        self.chain: tuple[str, ...] = self.initial
        self.version = 0
        self.committed = 0
        self.succ_have = 0

    # --- position in the chain -----------------------------------------------------------
    @property
    def member(self) -> bool:
        return self.id in self.chain

    @property
    def head(self) -> str:
        return self.chain[0]

    @property
    def tail(self) -> str:
        return self.chain[-1]

    @property
    def predecessor(self) -> str | None:
        i = self.chain.index(self.id)
        return self.chain[i - 1] if i > 0 else None

    @property
    def successor(self) -> str | None:
        i = self.chain.index(self.id)
        return self.chain[i + 1] if i + 1 < len(self.chain) else None

    # --- the runtime's handlers --------------------------------------------------------------
    def on_start(self) -> None:
        self.hist = list(self.storage.get("hist", ()))
        self.version, self.chain = self.storage.get("config", (0, self.initial))
        self.committed = min(self.storage.get("committed", 0), len(self.hist))
        self.succ_have = self.committed
        self.set_timer(self.resend, "resend")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "resend":
            if self.member and self.successor is not None and self.succ_have < len(self.hist):
                self._forward()
            self.set_timer(self.resend, "resend")

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Ping):
            self.send(src, Pong(msg.version))
            if msg.version > self.version:
                self.reconfigure(msg.version, msg.chain)
        elif isinstance(msg, Forward):
            if self.member and src == self.predecessor:
                self.on_forward(src, msg)
        elif isinstance(msg, Ack):
            if self.member and src == self.successor:
                self.on_ack(msg)
        elif isinstance(msg, Append):
            self.on_append(src, msg)
        elif isinstance(msg, Read):
            if self.member and (self.reads == "any" or self.id == self.tail):
                self.send(src, ReadOk(msg.req, tuple(u.value for u in self.hist)))
            else:
                self.send(src, Redirect(msg.req, self.tail))

    # --- configuration changes (from the master) ---------------------------------------------
    def reconfigure(self, version: int, chain: tuple[str, ...]) -> None:
        """Adopt the master's chain; re-send the Sent list to a new successor (§3)."""
        old_succ = self.successor if self.member else None
        was_tail = self.member and self.id == self.tail
        self.version, self.chain = version, tuple(chain)
        self.storage["config"] = (version, self.chain)
        if not self.member:
            self.annotate("removed from the chain")
            return
        succ = self.successor
        if succ is not None and succ != old_succ:
            self.succ_have = self.committed   # S+ holds at least what the tail applied
            self._forward()
        if succ is None and not was_tail:
            self.annotate("now the tail")
            self._commit(len(self.hist))
            if self.predecessor is not None:
                self.send(self.predecessor, Ack(len(self.hist), self.committed))

    # --- updates ----------------------------------------------------------------------------
    def on_append(self, src: str, msg: Append) -> None:
        if not self.member or self.id != self.head:
            self.send(src, Redirect(msg.req, self.head))
            return
        index = next((i + 1 for i, u in enumerate(self.hist)
                      if u.client == src and u.req == msg.req), None)
        if index is not None:           # a duplicate request
            if index <= self.committed:
                self.send(src, AppendOk(msg.req))
            return
        self._append(Update(msg.value, src, msg.req))
        if self.successor is None:
            self._commit(len(self.hist))
        else:
            self._forward()

    def _append(self, update: Update) -> None:
        self.hist.append(update)
        self.storage.append("hist", update)

    def _forward(self) -> None:
        start = self.succ_have + 1
        updates = tuple(self.hist[start - 1:start - 1 + self.batch])
        if updates:
            self.send(self.successor, Forward(start, updates))  # type: ignore[arg-type]

    def on_forward(self, src: str, msg: Forward) -> None:
        before = len(self.hist)
        for offset, update in enumerate(msg.updates):
            index = msg.start + offset
            if index == len(self.hist) + 1:
                self._append(update)
            elif index > len(self.hist) + 1:
                break                      # a gap: our Ack below asks for the rest
        if self.successor is None:         # the tail: applying is committing
            self._commit(len(self.hist))
        elif len(self.hist) > before:
            self._forward()
        self.send(src, Ack(len(self.hist), self.committed))

    def _commit(self, upto: int) -> None:
        """The tail applied updates up to ``upto``: answer their clients."""
        if upto <= self.committed:
            return
        for index in range(self.committed + 1, upto + 1):
            u = self.hist[index - 1]
            self.output("commit", (index, u.value))
            self.send(u.client, AppendOk(u.req))
        self.committed = upto
        self.storage["committed"] = upto

    def on_ack(self, msg: Ack) -> None:
        self.succ_have = max(self.succ_have, min(msg.have, len(self.hist)))
        committed = min(msg.committed, len(self.hist))
        if committed > self.committed:
            self.committed = committed      # these leave the Sent list
            self.storage["committed"] = committed
        if self.succ_have < len(self.hist):
            self._forward()
        if self.predecessor is not None:
            self.send(self.predecessor, Ack(len(self.hist), self.committed))

    def state(self) -> dict[str, Any]:
        if not self.member:
            role = "removed"
        else:
            role = ("head+tail" if len(self.chain) == 1 else "head" if self.id == self.head
                    else "tail" if self.id == self.tail else "middle")
        return {"role": role, "hist": [u.value for u in self.hist], "committed": self.committed,
                "sent": [u.value for u in self.hist[self.committed:]]}


class ChainMaster(Node):
    """The configuration service: pings the servers, removes silent ones (never the
    last), and tells every server the new chain (van Renesse & Schneider 2004, §3).

    The paper's servers are fail-stop, so a silent server is a crashed one. Here a
    server may only be slow or cut off: the master keeps pinging removed servers, and
    one that hears it has been removed stops serving.
    """

    def __init__(self, chain: Sequence[str], *, ping_every: float = 10.0,
                 timeout: float = 80.0) -> None:
        if isinstance(chain, str):
            raise TypeError("chain must be a list of node ids, not a string")
        self.chain = tuple(_check.node_id("chain", s) for s in chain)
        if not self.chain:
            raise ValueError("chain must name at least one server")
        self.ping_every = _check.number("ping_every", ping_every, minimum=0.0, strict_min=True)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        self.servers = self.chain
        self.version = 0
        self.heard: dict[str, float] = {}

    def on_start(self) -> None:
        self.version, self.chain = self.storage.get("config", (0, self.chain))
        self.heard = {s: self.now for s in self.chain}
        self._ping()

    def _ping(self) -> None:
        # Removed servers are told too: one that was only slow must stop serving.
        for s in self.servers:
            self.send(s, Ping(self.version, self.chain))
        self.set_timer(self.ping_every, "ping")

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "ping":
            return
        silent = [s for s in self.chain if self.now - self.heard.get(s, self.now) > self.timeout]
        if silent and len(silent) < len(self.chain):
            self.version += 1
            self.chain = tuple(s for s in self.chain if s not in silent)
            self.storage["config"] = (self.version, self.chain)
            self.output("reconfigure", (self.version, self.chain))
            self.annotate(f"removes {','.join(silent)}")
        self._ping()

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Pong):
            self.heard[src] = self.now

    def state(self) -> dict[str, Any]:
        return {"version": self.version, "chain": list(self.chain)}
