"""Majority-quorum registers (Attiya, Bar-Noy & Dolev 1995, "Sharing memory robustly").

Every replica keeps ``(ts, value)``. Any replica coordinates a client's request:

- **write(v)**: ask a majority for their timestamps (phase 1), pick a timestamp
  greater than all of them and unique to this write (counter, writer, request),
  then store ``(ts, v)`` at a majority (phase 2);
- **read()**: ask a majority for ``(ts, value)`` (phase 1), take the newest, **write it
  back** to a majority (phase 2), then return it.

Any two majorities intersect, so a read sees the latest completed write; the
write-back makes sure no later read returns an older value. Without it (``write_back
= False``) two reads can see new-then-old: the history is no longer linearizable.
Replicas remember the last request number of each client, durably, so that a
duplicated request is not executed twice (a late copy of an old write would
otherwise overwrite newer values). Tolerates the crash of any minority. Taught in notebooks 2.1 and 2.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sim import Node
from .messages import (Query, QueryOk, Read, ReadOk, Store, StoreOk, Timestamp, Write,
                       WriteOk)

__all__ = ["ABDReplica"]


@dataclass
class _Pending:
    client: str
    req: int
    kind: str          # "read" or "write"
    value: Any = None
    phase: int = 1
    replies: dict[str, tuple[Timestamp, Any]] = field(default_factory=dict)
    acks: set[str] = field(default_factory=set)
    chosen: tuple[Timestamp, Any] | None = None


class ABDReplica(Node):
    """A replica of an ABD register; also coordinates the requests clients send it."""

    def __init__(self, replicas: tuple[str, ...], write_back: bool = True,
                 retry: float = 30.0) -> None:
        self.replicas = tuple(replicas)
        self.write_back = write_back
        self.retry = retry
        self.ts: Timestamp = (0, "", 0)
        self.value: Any = None
        self._ops: dict[int, _Pending] = {}
        self._next_op = 0

    @property
    def majority(self) -> int:
        return len(self.replicas) // 2 + 1

    def on_start(self) -> None:
        saved = self.storage.get("register")
        if saved is not None:
            self.ts, self.value = saved
        # At-most-once: the last request number seen from each client (durable), so a
        # duplicated or late request is not executed again (notebook 1.1).
        self.seen: dict[str, int] = self.storage.get("seen", {})

    def _fresh(self, client: str, req: int) -> bool:
        if req <= self.seen.get(client, 0):
            return False
        self.seen[client] = req
        self.storage["seen"] = self.seen
        return True

    # --- the replica role ------------------------------------------------------------
    def _on_query(self, src: str, msg: Query) -> None:
        self.send(src, QueryOk(msg.op, self.ts, self.value))

    def _on_store(self, src: str, msg: Store) -> None:
        if msg.ts > self.ts:
            self.ts, self.value = msg.ts, msg.value
            self.storage["register"] = (self.ts, self.value)
        self.send(src, StoreOk(msg.op))

    # --- the coordinator role ------------------------------------------------------------
    def _begin(self, client: str, req: int, kind: str, value: Any = None) -> None:
        self._next_op += 1
        op = self._next_op
        self._ops[op] = _Pending(client, req, kind, value)
        self.broadcast(Query(op), to=self.replicas, include_self=True)
        self.set_timer(self.retry, "retry", op)

    def _on_query_ok(self, src: str, msg: QueryOk) -> None:
        p = self._ops.get(msg.op)
        if p is None or p.phase != 1:
            return
        p.replies[src] = (msg.ts, msg.value)
        if len(p.replies) < self.majority:
            return
        newest = max(p.replies.values(), key=lambda tv: tv[0])
        if p.kind == "write":
            # Unique per write: two concurrent writes through the same coordinator
            # must not share a timestamp (or replicas could disagree forever).
            p.chosen = ((newest[0][0] + 1, p.client, p.req), p.value)
        else:
            p.chosen = newest
            if not self.write_back:
                self._finish(msg.op, p)
                return
        p.phase = 2
        self.broadcast(Store(msg.op, *p.chosen), to=self.replicas, include_self=True)

    def _on_store_ok(self, src: str, msg: StoreOk) -> None:
        p = self._ops.get(msg.op)
        if p is None or p.phase != 2:
            return
        p.acks.add(src)
        if len(p.acks) >= self.majority:
            self._finish(msg.op, p)

    def _finish(self, op: int, p: _Pending) -> None:
        del self._ops[op]  # its retry timer will find nothing to do
        if p.kind == "write":
            self.send(p.client, WriteOk(p.req))
        else:
            self.send(p.client, ReadOk(p.req, p.chosen[1]))

    def on_timer(self, name: str, op: int) -> None:
        p = self._ops.get(op)
        if p is None:
            return
        # Lost messages: ask again (replicas answer idempotently).
        if p.phase == 1:
            self.broadcast(Query(op), to=[r for r in self.replicas if r not in p.replies],
                           include_self=self.id not in p.replies)
        else:
            self.broadcast(Store(op, *p.chosen), to=[r for r in self.replicas
                                                     if r not in p.acks],
                           include_self=self.id not in p.acks)
        self.set_timer(self.retry, "retry", op)

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Read):
            if self._fresh(src, msg.req):
                self._begin(src, msg.req, "read")
        elif isinstance(msg, Write):
            if self._fresh(src, msg.req):
                self._begin(src, msg.req, "write", msg.value)
        elif isinstance(msg, Query):
            self._on_query(src, msg)
        elif isinstance(msg, QueryOk):
            self._on_query_ok(src, msg)
        elif isinstance(msg, Store):
            self._on_store(src, msg)
        elif isinstance(msg, StoreOk):
            self._on_store_ok(src, msg)

    def state(self) -> dict[str, Any]:
        return {"ts": self.ts, "value": self.value, "coordinating": len(self._ops)}
