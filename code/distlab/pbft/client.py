"""The PBFT client (Castro & Liskov 1999, §4.1).

A client sends its request to the primary it believes in and waits for ``f+1``
replies with valid signatures from *different* replicas, with the same timestamp and
result: at least one of them comes from an honest replica, so the result is the one
the honest replicas computed. If no such set arrives in time, it broadcasts the
request to every replica (those that executed it resend the reply; the others relay
it to the primary and start suspecting it). One request at a time; each records
``invoke``/``ok`` in the history, so the linearizability checker can judge the run.
Taught in notebook 2.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from .auth import sign, verify
from .messages import Reply, Request, describe_op

__all__ = ["PBFTClient", "Accepted"]


@dataclass(frozen=True, slots=True)
class Accepted:
    """What a client reports (``output("accept", ...)``) when ``f+1`` replies agree."""

    timestamp: int
    op: tuple
    result: Any
    replicas: tuple[str, ...]

    def __repr__(self) -> str:
        return (f"Accepted(t={self.timestamp}, {describe_op(self.op)} → {self.result!r}, "
                f"from {','.join(self.replicas)})")


class PBFTClient(Node):
    """Issues ``ops`` register operations one at a time (or the operations of ``script``).

    Writes carry values unique to the client (``first_value``, ``first_value + 1``, ...).
    ``timeout`` is the retransmission timeout; it doubles after each retransmission
    (up to 8×).
    """

    def __init__(self, replicas: Sequence[str], f: int | None = None, *, ops: int = 4,
                 write_ratio: float = 0.5, think: float = 5.0, timeout: float = 60.0,
                 first_value: int = 1, script: Sequence[tuple] | None = None,
                 start: float | None = None) -> None:
        if isinstance(replicas, str) or not replicas:
            raise TypeError(f"replicas must be a non-empty list of node ids, got {replicas!r}")
        self.replicas = tuple(replicas)
        self.f = (len(self.replicas) - 1) // 3 if f is None else f
        if isinstance(self.f, bool) or not isinstance(self.f, int) or self.f < 0:
            raise ValueError(f"f must be a non-negative int, got {f!r}")
        if script is not None:
            script = [tuple(op) for op in script]
            for op in script:
                if len(op) != 2 or op[0] not in ("read", "write", "cas"):
                    raise ValueError(f"script operations are ('read', None), ('write', x) or "
                                     f"('cas', (old, new)); got {op!r}")
            ops = len(script)
        if isinstance(ops, bool) or not isinstance(ops, int) or ops < 0:
            raise ValueError(f"ops must be a non-negative int, got {ops!r}")
        for name, v in (("think", think), ("timeout", timeout)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        self.script = script
        self.ops = ops
        self.write_ratio = write_ratio
        self.think = float(think)
        self.timeout = float(timeout)
        self.first_value = first_value
        self.start = start
        self.view = 0
        self.timestamp = 0
        self.done = 0
        self.retransmissions = 0
        self._open: Request | None = None
        self._votes: dict[Any, dict[str, Reply]] = {}
        self._wait = self.timeout

    def on_start(self) -> None:
        if self.incarnation == 0 and self.ops:
            delay = self.rng.uniform(0, self.think) if self.start is None else self.start
            self.set_timer(delay, "next")

    def _next_op(self) -> tuple:
        if self.script is not None:
            return self.script[self.done]
        if self.rng.random() < self.write_ratio:
            value = self.first_value
            self.first_value += 1
            return ("write", value)
        return ("read", None)

    def _issue(self) -> None:
        op = self._next_op()
        self.timestamp += 1
        self._open = sign(Request(op, self.timestamp, self.id))
        self._votes = {}
        self._wait = self.timeout
        self.record("invoke", op[0], op[1] if op[0] != "read" else None)
        self.send(self.replicas[self.view % len(self.replicas)], self._open)
        self.set_timer(self._wait, "retry", self.timestamp)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._issue()
        elif name == "retry" and self._open is not None and payload == self._open.timestamp:
            self.retransmissions += 1
            for r in self.replicas:                   # broadcast to every replica
                self.send(r, self._open)
            self._wait = min(self._wait * 2, self.timeout * 8)
            self.set_timer(self._wait, "retry", self._open.timestamp)

    def on_message(self, src: str, msg: Any) -> None:
        req = self._open
        if not isinstance(msg, Reply) or req is None or not verify(msg):
            return
        if msg.client != self.id or msg.timestamp != req.timestamp \
                or msg.replica not in self.replicas:
            return
        try:
            votes = self._votes.setdefault(msg.result, {})
        except TypeError:                             # an unhashable (Byzantine) result
            return
        votes[msg.replica] = msg
        if len(votes) < self.f + 1:
            return
        self._accept(req, msg.result, votes)

    def _accept(self, req: Request, result: Any, votes: dict[str, Reply]) -> None:
        views = sorted((r.view for r in votes.values()), reverse=True)
        self.view = max(self.view, views[self.f])     # a view f+1 replicas vouch for
        f, arg = req.op
        if f == "read":
            self.record("ok", f, result)
        elif f == "cas":
            self.record("ok" if result is True else "fail", f, arg)
        else:
            self.record("ok", f, arg)
        self.output("accept", Accepted(req.timestamp, req.op, result, tuple(sorted(votes))))
        self._open = None
        self.cancel_timer("retry")
        self.done += 1
        if self.done < self.ops:
            self.set_timer(self.rng.uniform(0.5, 1.5) * self.think, "next")

    def state(self) -> dict[str, Any]:
        return {"view": self.view, "done": f"{self.done}/{self.ops}",
                "waiting for": repr(self._open) if self._open else "-"}
