"""A key-value state machine on top of Raft, and the clients that use it.

``KVStateMachine`` maps keys to strings: ``get``, ``put`` and ``append`` (the
operations of Porcupine's and 6.5840's key-value model, ``distlab.consistency.models.kv``).
It applies each client command **at most once**: it remembers, per client, the last
sequence number applied and its response (a *session*, Ongaro's thesis §6.3), so a
command that reaches the log twice (the client retried after a timeout, or a
leader change) takes effect once, and the retry gets the first response. The table
is part of the state machine, so it is rebuilt by replaying the log and travels in
snapshots: it is as durable as the data.

``KVClient`` is a client in Jepsen's style: one operation at a time, each recorded
in the simulation's history as ``invoke`` then ``ok`` (the server answered) or
``info`` (no answer before ``op_timeout``: the outcome is unknown). Within an
operation it retries with the *same* sequence number: after ``retry_timeout`` to
the next server, at once to a ``leader_hint``. The history is what
``distlab.consistency.check_linearizable(history, models.kv())`` judges.

Taught in notebook 2.7.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from .messages import OK, ClientQuery, ClientReply, ClientRequest, Command

__all__ = ["KVStateMachine", "KVSnapshot", "KVClient", "OPS"]

OPS = ("get", "put", "append")


@dataclass(frozen=True, slots=True)
class KVSnapshot:
    """The whole state of a ``KVStateMachine``: data, sessions, and the count of
    non-key-value commands applied (the raw commands of the Raft-level tests)."""

    data: tuple[tuple[str, str], ...] = ()
    sessions: tuple[tuple[str, int, Any], ...] = ()     # (client_id, seq, response)
    other: int = 0

    def __repr__(self) -> str:
        return (f"KVSnapshot({dict(self.data)!r}, sessions={len(self.sessions)}, "
                f"other={self.other})")


class KVStateMachine:
    """Keys to strings, with at-most-once application of client commands (§6.3).

    ``apply(command) -> response``. Commands that are not ``Command`` (the integers of
    the Raft-level tests, say) are counted in ``other`` and answer ``None``.
    """

    __slots__ = ("data", "sessions", "other")

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.sessions: dict[str, tuple[int, Any]] = {}
        self.other = 0

    def __repr__(self) -> str:
        return f"KVStateMachine({self.data!r})"

    def apply(self, command: Any) -> Any:
        """Apply one committed command; returns its response."""
        if not isinstance(command, Command):
            self.other += 1
            return None
        last = self.sessions.get(command.client_id)
        if last is not None and command.seq <= last[0]:
            # A duplicate: do not execute it again. The same sequence number gets the
            # response it had; an older one belongs to an operation the client has
            # abandoned, whose answer nobody waits for.
            return last[1] if command.seq == last[0] else None
        response = self.execute(command)
        self.sessions[command.client_id] = (command.seq, response)
        return response

    def execute(self, command: Command) -> Any:
        """What one command does to the data (no duplicate detection here)."""
        op, key = command.op, command.key
        if op == "get":
            return self.data.get(key, "")
        if op == "put":
            self.data[key] = command.value
            return None
        if op == "append":
            self.data[key] = self.data.get(key, "") + command.value
            return None
        raise ValueError(f"unknown key-value operation {op!r}; operations are {OPS}")

    def query(self, key: str) -> str:
        """A read that changes nothing (served by read index, thesis §6.4)."""
        return self.data.get(key, "")

    def cached(self, client_id: str, seq: int) -> tuple[bool, Any]:
        """``(True, response)`` if this client's command ``seq`` was the last applied."""
        last = self.sessions.get(client_id)
        if last is not None and last[0] == seq:
            return True, last[1]
        return False, None

    def applied_seq(self, client_id: str) -> int:
        """The highest sequence number applied for ``client_id`` (0 if none)."""
        last = self.sessions.get(client_id)
        return 0 if last is None else last[0]

    def snapshot(self) -> KVSnapshot:
        """An immutable copy of the whole state (§7)."""
        # Flat tuples: immutable all the way down, so storage keeps them without copying.
        return KVSnapshot(tuple(sorted(self.data.items())),
                          tuple(sorted((c, seq, r) for c, (seq, r) in self.sessions.items())),
                          self.other)

    def restore(self, snapshot: KVSnapshot) -> None:
        """Replace the state with a snapshot's."""
        if not isinstance(snapshot, KVSnapshot):
            raise TypeError(f"restore needs a KVSnapshot, got {snapshot!r}")
        self.data = dict(snapshot.data)
        self.sessions = {c: (seq, r) for c, seq, r in snapshot.sessions}
        self.other = snapshot.other


def _history_value(op: tuple) -> tuple[str, Any]:
    """(f, value) for the history, in the kv model's conventions."""
    if op[0] == "get":
        return "get", op[1]
    return op[0], (op[1], op[2])


class KVClient(Node):
    """A key-value client: random operations, or the operations of ``script``.

    Parameters
    ----------
    servers
        The servers it may contact (it starts with a random one).
    ops
        How many random operations to run (ignored with ``script``).
    script
        A list of operations, run one after the other: ``("get", key)``,
        ``("put", key, value)``, ``("append", key, value)``.
    keys, read_ratio, append_ratio
        The random workload: a read with probability ``read_ratio``, else an append
        with probability ``append_ratio``, else a put. Values are unique
        (``"c1.3;"``), which makes the linearizability check sharp.
    think
        ``(low, high)``: pause between operations.
    start_at
        Time of the first operation.
    retry_timeout
        Re-send the request to the next server after this long without an answer.
    op_timeout
        Give up after this long: the operation is recorded as ``info`` (unknown).
    """

    def __init__(self, servers: Sequence[str], ops: int = 10, *,
                 script: Sequence[tuple] | None = None, keys: Sequence[str] = ("x", "y"),
                 read_ratio: float = 0.4, append_ratio: float = 0.7,
                 think: tuple[float, float] = (5.0, 30.0), start_at: float = 0.0,
                 retry_timeout: float = 100.0, op_timeout: float = 1000.0) -> None:
        if isinstance(servers, str) or not servers:
            raise ValueError("servers must be a non-empty list of server ids")
        if script is not None:
            for k, op in enumerate(script):
                if not isinstance(op, tuple) or not op or op[0] not in OPS or \
                        len(op) != (2 if op[0] == "get" else 3):
                    raise ValueError(f"script[{k}] must be ('get', key), ('put', key, value) "
                                     f"or ('append', key, value); got {op!r}")
        if isinstance(ops, bool) or not isinstance(ops, int) or ops < 0:
            raise ValueError(f"ops must be an int >= 0, got {ops!r}")
        self.servers = list(servers)
        self.script = list(script) if script is not None else None
        self.ops = len(self.script) if self.script is not None else ops
        self.keys = tuple(keys)
        self.read_ratio = read_ratio
        self.append_ratio = append_ratio
        self.think = think
        self.start_at = start_at
        self.retry_timeout = retry_timeout
        self.op_timeout = op_timeout
        self.done = 0
        self.seq = 0
        self.leader_guess: str | None = None
        self.current: tuple | None = None
        self._attempt = 0

    def on_start(self) -> None:
        if self.incarnation > 0:
            return  # a client that crashed does not come back (Jepsen: a new process would)
        self.leader_guess = self.rng.choice(self.servers)
        if self.ops:
            self.set_timer(max(0.0, self.start_at - self.now) + self.rng.uniform(*self.think),
                           "next")

    @property
    def finished(self) -> bool:
        """Has the client completed (ok or info) all its operations?"""
        return self.done >= self.ops

    # --- operations ---------------------------------------------------------------------
    def _choose(self) -> tuple:
        if self.script is not None:
            return tuple(self.script[self.done])
        key = self.rng.choice(self.keys)
        if self.rng.random() < self.read_ratio:
            return ("get", key)
        value = f"{self.id}.{self.done + 1};"
        return ("append" if self.rng.random() < self.append_ratio else "put", key, value)

    def _issue(self) -> None:
        op = self._choose()
        self.seq += 1
        self.current = op
        f, value = _history_value(op)
        self.record("invoke", f, value)
        self.set_timer(self.op_timeout, "deadline", self.seq)
        self._send()

    def _request(self) -> Any:
        op = self.current
        if op[0] == "get":
            return ClientQuery(self.id, self.seq, op[1])
        return ClientRequest(self.id, self.seq,
                             Command(self.id, self.seq, op[0], op[1], op[2]))

    def _send(self, delay: float | None = None) -> None:
        self._attempt += 1
        if delay is None:
            self.send(self.leader_guess, self._request())
            self.set_timer(self.retry_timeout, "retry", self._attempt)
        else:
            self.set_timer(delay, "resend", self._attempt)

    def _next_server(self) -> str:
        k = self.servers.index(self.leader_guess) if self.leader_guess in self.servers else -1
        return self.servers[(k + 1) % len(self.servers)]

    def _complete(self, type_: str, response: Any = None) -> None:
        op = self.current
        f, value = _history_value(op)
        if type_ == "ok" and f == "get":
            value = response
        self.record(type_, f, value)
        self.current = None
        self._attempt += 1  # disarm pending retries
        self.done += 1
        if self.done < self.ops:
            self.set_timer(self.rng.uniform(*self.think), "next")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._issue()
        elif name == "retry" and self.current is not None and payload == self._attempt:
            self.leader_guess = self._next_server()
            self._send()
        elif name == "resend" and self.current is not None and payload == self._attempt:
            self._send()
        elif name == "deadline" and self.current is not None and payload == self.seq:
            self._complete("info")

    def on_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, ClientReply) or self.current is None or msg.seq != self.seq:
            return  # late, duplicated, or not for us
        if msg.status == OK:
            self.leader_guess = src
            self._complete("ok", msg.response)
            return
        # Not the leader: follow the hint at once; without one, try the next server
        # after a short pause (an election may be under way).
        hint = msg.leader_hint
        if hint is not None and hint != src:
            if hint not in self.servers:
                self.servers.append(hint)
            self.leader_guess = hint
            self._send()
        else:
            self.leader_guess = self._next_server()
            self._send(delay=min(self.retry_timeout, 20.0))
