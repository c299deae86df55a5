"""Clients of the replicated systems, and their messages.

``LogClient`` drives the replicated log of the primary-backup and chain experiments;
``KVClient`` the key-value stores with conflicts (leaderless quorums, multi-leader).

The replicated object in notebook 2.9's primary-backup and chain experiments is an
**append-only log**: ``append(v)`` adds ``v`` at the end; ``read()`` returns every value
in order. It is the simplest object on which a *lost* write can be seen: Jepsen's set
and list-append tests find lost acknowledged writes the same way (Kingsbury 2013):
a final read that lacks a value whose append was acknowledged.

A ``LogClient`` runs one operation at a time (Jepsen's rule) and records
``invoke``/``ok``/``info`` in the history. It sends appends to the node it believes
accepts them (the primary, or a chain's head) and reads to the node it believes serves
them (the primary, or the tail). A server that is not the right one answers
``Redirect(req, to)`` and the client resends the same request there (at most
``max_redirects`` times). A request unanswered after ``timeout`` is recorded as
``info`` (outcome unknown) and abandoned, and the client tries the next server next
time. ``final_read_at`` adds one last read, retried until it succeeds: the read that
decides which acknowledged appends survived.

Taught in notebook 2.9.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..clocks import VectorClock
from ..sim import Node
from ..sim import _check

__all__ = ["Append", "Read", "AppendOk", "ReadOk", "Redirect", "LogClient",
           "Get", "Put", "GetOk", "PutOk", "Unavailable", "KVClient"]


@dataclass(frozen=True, slots=True)
class Append:
    """Client -> server: append ``value`` to the log (request ``req`` of this client)."""

    req: int
    value: Any


@dataclass(frozen=True, slots=True)
class Read:
    """Client -> server: read the whole log."""

    req: int


@dataclass(frozen=True, slots=True)
class AppendOk:
    req: int


@dataclass(frozen=True, slots=True)
class ReadOk:
    req: int
    values: tuple


@dataclass(frozen=True, slots=True)
class Redirect:
    """Server -> client: "not me; try ``to``" (``None``: I do not know who)."""

    req: int
    to: str | None


class LogClient(Node):
    """Appends unique values and reads the log, one operation at a time.

    Parameters
    ----------
    servers
        The replicas, in the order the client tries them when it knows nothing better.
    ops
        How many operations (``0``: only the final read, if any).
    write_ratio
        Probability that an operation is an append.
    think, timeout
        Mean pause between operations; how long to wait for an answer.
    first_value
        Values appended are ``first_value, first_value + 1, ...`` (unique across clients
        when each client gets its own range).
    final_read_at
        Time of a last read, retried (without counting against ``ops``) until it
        succeeds; ``None``: no final read.
    read_any
        Send each read to a server chosen at random instead of the one believed to
        serve reads (for systems where any replica answers reads).
    writer, reader
        The server to send appends and reads to first (default: the first and the last
        of ``servers``: a chain's head and tail).
    script
        ``[(time, "append", value) | (time, "read", None), ...]``: run exactly these
        operations, each at its time or when the previous one ends (for stories);
        replaces ``ops``.
    """

    def __init__(self, servers: Sequence[str], *, ops: int = 10, write_ratio: float = 0.6,
                 think: float = 10.0, timeout: float = 60.0, first_value: int = 1,
                 final_read_at: float | None = None, max_redirects: int = 3,
                 start_after: float = 0.0, read_any: bool = False,
                 script: Sequence[tuple[float, str, Any]] = (), writer: str | None = None,
                 reader: str | None = None) -> None:
        if isinstance(servers, str):
            raise TypeError("servers must be a list of node ids, not a string")
        self.servers = tuple(_check.node_id("servers", s) for s in servers)
        if not self.servers:
            raise ValueError("servers must name at least one server")
        self.ops = _check.integer("ops", ops, minimum=0)
        self.write_ratio = _check.probability("write_ratio", write_ratio)
        self.think = _check.number("think", think, minimum=0.0)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        self.next_value = _check.integer("first_value", first_value)
        self.final_read_at = (None if final_read_at is None
                              else _check.number("final_read_at", final_read_at, minimum=0.0))
        self.max_redirects = _check.integer("max_redirects", max_redirects, minimum=0)
        self.start_after = _check.number("start_after", start_after, minimum=0.0)
        if not isinstance(read_any, bool):
            raise TypeError(f"read_any must be True or False, got {read_any!r}")
        self.read_any = read_any
        for step in script:
            if len(step) != 3 or step[1] not in ("append", "read"):
                raise ValueError(f"each script step is (time, 'append'|'read', value), "
                                 f"got {step!r}")
        self.script = tuple(script)
        if self.script:
            self.ops = len(self.script)
        for name, v in (("writer", writer), ("reader", reader)):
            if v is not None and v not in self.servers:
                raise ValueError(f"{name}={v!r} is not one of servers {list(self.servers)}")
        self.writer = writer or self.servers[0]      # where appends go (primary / head)
        self.reader = reader or self.servers[-1]     # where reads go (primary / tail)
        self.done = 0
        self.final: tuple | None = None
        self._req = 0
        self._open: tuple[int, str, Any, int] | None = None   # req, f, value, redirects
        self._final_phase = False

    def on_start(self) -> None:
        if self.incarnation > 0:
            return  # a restarted client does not resume (its history ended at the crash)
        if self.script:
            self.set_timer(max(0.0, self.script[0][0] - self.now), "next")
        elif self.ops:
            self.set_timer(self.start_after + self.rng.uniform(0, self.think), "next")
        if self.final_read_at is not None:
            self.set_timer(max(0.0, self.final_read_at - self.now), "final")

    # --- issuing operations ----------------------------------------------------------------
    def _send(self, dst: str) -> None:
        req, f, value, _ = self._open  # type: ignore[misc]
        self.send(dst, Append(req, value) if f == "append" else Read(req))

    def _issue(self, f: str, value: Any = None) -> None:
        self._req += 1
        if f == "append":
            if value is None:
                value = self.next_value
                self.next_value += 1
            self.record("invoke", "append", value)
            self._open = (self._req, "append", value, 0)
            self._send(self.writer)
        else:
            self.record("invoke", "read", None)
            self._open = (self._req, "read", None, 0)
            if self.read_any and not self._final_phase:
                self.reader = self.rng.choice(self.servers)
            self._send(self.reader)
        self.set_timer(self.timeout, "timeout", self._req)

    def _next_server(self, current: str) -> str:
        i = self.servers.index(current) if current in self.servers else -1
        return self.servers[(i + 1) % len(self.servers)]

    def _complete(self) -> None:
        self._open = None
        self.cancel_timer("timeout")
        if self._final_phase:
            return
        self.done += 1
        self._after_op()

    def _after_op(self) -> None:
        """Schedule the next operation, or the final read once its time has come."""
        if self.final_read_at is not None and self.now >= self.final_read_at:
            self._start_final()
        elif self.done < self.ops:
            if self.script:
                self.set_timer(max(0.0, self.script[self.done][0] - self.now), "next")
            else:
                self.set_timer(self.rng.uniform(0.5, 1.5) * self.think, "next")

    def _start_final(self) -> None:
        if self.final is None and self._open is None:
            self._final_phase = True
            self._issue("read")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next" and not self._final_phase and self._open is None:
            if self.script:
                _, f, value = self.script[self.done]
                self._issue(f, value)
            else:
                self._issue("append" if self.rng.random() < self.write_ratio else "read")
        elif name == "final":
            self._start_final()
        elif name == "timeout" and self._open is not None and self._open[0] == payload:
            _, f, value, _ = self._open
            self.record("info", f, value)
            if f == "append":
                self.writer = self._next_server(self.writer)
            else:
                self.reader = self._next_server(self.reader)
            self._open = None
            if self._final_phase:
                self._issue("read")           # the final read is retried until it succeeds
                return
            self.done += 1
            self._after_op()

    # --- answers ------------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        if self._open is None or getattr(msg, "req", None) != self._open[0]:
            return  # late, duplicated, or for an abandoned request
        req, f, value, redirects = self._open
        if isinstance(msg, Redirect):
            if redirects >= self.max_redirects or msg.to is None or msg.to == src:
                return  # wait for the timeout
            if f == "append":
                self.writer = msg.to
            else:
                self.reader = msg.to
            self._open = (req, f, value, redirects + 1)
            self._send(msg.to)
        elif isinstance(msg, AppendOk) and f == "append":
            self.record("ok", "append", value)
            self._complete()
        elif isinstance(msg, ReadOk) and f == "read":
            self.record("ok", "read", tuple(msg.values))
            if self._final_phase:
                self.final = tuple(msg.values)
                self.output("final read", self.final)
            self._complete()

    def state(self) -> dict[str, Any]:
        return {"done": self.done, "writer": self.writer, "reader": self.reader}


# --- a key-value client with contexts (leaderless and multi-leader stores) ----------------------

@dataclass(frozen=True, slots=True)
class Get:
    """Client -> store: read ``key``."""

    req: int
    key: str


@dataclass(frozen=True, slots=True)
class Put:
    """Client -> store: write ``value`` to ``key``, having seen ``context`` (a
    ``VectorClock``, or ``None`` for last-writer-wins stores); ``dot`` is this client's
    own write counter (its entry in the new version vector)."""

    req: int
    key: str
    value: Any
    context: Any = None
    dot: int = 0


@dataclass(frozen=True, slots=True)
class GetOk:
    """Store -> client: the values (several: concurrent *siblings*) and their context."""

    req: int
    values: tuple
    context: Any = None


@dataclass(frozen=True, slots=True)
class PutOk:
    """Store -> client: written; ``version`` is the new version's clock or stamp."""

    req: int
    version: Any = None


@dataclass(frozen=True, slots=True)
class Unavailable:
    """Store -> client: could not reach enough replicas in time."""

    req: int
    why: str = ""


class KVClient(Node):
    """Reads and writes a few keys through any store node, one operation at a time.

    Writes carry the context of the client's last read of the key (merged with the
    versions of its own writes), so a write *supersedes* what the client has seen and
    stands beside what it has not (DeCandia et al. 2007, §4.4). History: ``write``
    with input ``(key, value)``; ``read`` with input ``key`` and output the tuple of
    values returned. A write the store could not confirm is ``info`` (it may have
    reached some replicas); a read it could not serve is ``fail``.

    ``server``: always use this node (a multi-leader client's local leader); otherwise
    each operation goes to a node chosen at random from ``servers``.
    """

    def __init__(self, servers: Sequence[str], keys: Sequence[str] = ("x",), *, ops: int = 10,
                 write_ratio: float = 0.5, think: float = 10.0, timeout: float = 60.0,
                 first_value: int = 1, final_read_at: float | None = None,
                 server: str | None = None) -> None:
        if isinstance(servers, str) or isinstance(keys, str):
            raise TypeError("servers and keys must be lists, not strings")
        self.servers = tuple(_check.node_id("servers", s) for s in servers)
        self.keys = tuple(keys)
        if not self.servers or not self.keys:
            raise ValueError("servers and keys must each name at least one")
        self.ops = _check.integer("ops", ops, minimum=0)
        self.write_ratio = _check.probability("write_ratio", write_ratio)
        self.think = _check.number("think", think, minimum=0.0)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        self.next_value = _check.integer("first_value", first_value)
        self.final_read_at = (None if final_read_at is None
                              else _check.number("final_read_at", final_read_at, minimum=0.0))
        if server is not None and server not in self.servers:
            raise ValueError(f"server {server!r} is not one of servers {list(self.servers)}")
        self.server = server
        self.context: dict[str, Any] = {}
        self.dot = 0
        self.done = 0
        self.final: dict[str, tuple] = {}
        self._req = 0
        self._open: tuple[int, str, Any] | None = None
        self._final_keys: list[str] = []

    def on_start(self) -> None:
        if self.incarnation > 0:
            return
        if self.ops:
            self.set_timer(self.rng.uniform(0, self.think), "next")
        if self.final_read_at is not None:
            self.set_timer(max(0.0, self.final_read_at - self.now), "final")

    def _target(self) -> str:
        return self.server if self.server is not None else self.rng.choice(self.servers)

    def _merge_context(self, key: str, clock: Any) -> None:
        if isinstance(clock, VectorClock):
            self.context[key] = self.context.get(key, VectorClock()).merge(clock)

    def _issue(self, f: str, key: str) -> None:
        self._req += 1
        if f == "write":
            value = self.next_value
            self.next_value += 1
            self.dot += 1
            self._open = (self._req, "write", (key, value))
            self.record("invoke", "write", (key, value))
            self.send(self._target(), Put(self._req, key, value, self.context.get(key),
                                          self.dot))
        else:
            self._open = (self._req, "read", key)
            self.record("invoke", "read", key)
            self.send(self._target(), Get(self._req, key))
        self.set_timer(self.timeout, "timeout", self._req)

    def _after(self) -> None:
        self._open = None
        self.cancel_timer("timeout")
        if self._final_keys:
            self._issue("read", self._final_keys[0])
        elif self.final_read_at is not None and self.now >= self.final_read_at \
                and len(self.final) < len(self.keys):
            self._start_final()
        elif self.done < self.ops and len(self.final) < len(self.keys):
            self.set_timer(self.rng.uniform(0.5, 1.5) * self.think, "next")

    def _start_final(self) -> None:
        if self._open is None and not self._final_keys and not self.final:
            self._final_keys = list(self.keys)
            self._issue("read", self._final_keys[0])

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next" and self._open is None and not self._final_keys:
            if self.final_read_at is not None and self.now >= self.final_read_at:
                self._start_final()
                return
            self.done += 1
            key = self.rng.choice(self.keys)
            self._issue("write" if self.rng.random() < self.write_ratio else "read", key)
        elif name == "final":
            self._start_final()
        elif name == "timeout" and self._open is not None and self._open[0] == payload:
            self.record("info", self._open[1], self._open[2])
            self._after()

    def on_message(self, src: str, msg: Any) -> None:
        if self._open is None or getattr(msg, "req", None) != self._open[0]:
            return
        _, f, arg = self._open
        if isinstance(msg, Unavailable):
            self.record("info" if f == "write" else "fail", f, arg)
        elif isinstance(msg, PutOk) and f == "write":
            self.record("ok", "write", arg)
            self._merge_context(arg[0], msg.version)
        elif isinstance(msg, GetOk) and f == "read":
            self.record("ok", "read", tuple(msg.values))
            self._merge_context(arg, msg.context)
            if self._final_keys and self._final_keys[0] == arg:
                self.final[arg] = tuple(msg.values)
                self.output("final read", (arg, tuple(msg.values)))
                self._final_keys.pop(0)
        else:
            return
        self._after()

    def state(self) -> dict[str, Any]:
        return {"done": self.done,
                "context": {k: str(v) for k, v in sorted(self.context.items())}}
