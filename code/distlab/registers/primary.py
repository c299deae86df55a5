"""A register with a primary and followers, and where reads may be served.

Writes go to the primary (``replicas[0]``), which gives each a version, applies it,
sends it to every follower, and acknowledges the client once a majority (itself
included) has it. Followers apply versions in order of their timestamps. Reads are
served either

- by the primary (``reads="primary"``): with a fixed primary that is the only writer,
  every read sees every acknowledged write: linearizable; or
- by whichever replica the client asks, from its local copy (``reads="local"``): a
  follower that has not yet received the latest write returns an older value. This is
  what etcd 2.0 did for reads with ``quorum=false``, the stale reads Jepsen found
  (Kingsbury 2014) and the histories of notebook 2.2 come from.

There is no failover here (that is what consensus, Part 2, adds). Taught in notebooks
2.1 and 2.2.
"""

from __future__ import annotations

from typing import Any

from ..sim import Node
from .messages import Read, ReadOk, Replicate, StoreOk, Timestamp, Write, WriteOk

__all__ = ["PrimaryReplica"]


class PrimaryReplica(Node):
    """One replica; ``replicas[0]`` is the primary."""

    def __init__(self, replicas: tuple[str, ...], reads: str = "primary",
                 retry: float = 30.0) -> None:
        if reads not in ("primary", "local"):
            raise ValueError(f"reads must be 'primary' or 'local', got {reads!r}")
        self.replicas = tuple(replicas)
        self.reads = reads
        self.retry = retry
        self.ts: Timestamp = (0, "", 0)
        self.value: Any = None
        self._counter = 0
        self._waiting: dict[Timestamp, tuple[str, int, set[str]]] = {}

    @property
    def primary(self) -> str:
        return self.replicas[0]

    def on_start(self) -> None:
        saved = self.storage.get("register")
        if saved is not None:
            self.ts, self.value = saved
            self._counter = self.ts[0]
        self.seen: dict[str, int] = self.storage.get("seen", {})  # at-most-once writes
        if self.id == self.primary:
            self.set_timer(self.retry, "resend")

    def _apply(self, ts: Timestamp, value: Any) -> None:
        if ts > self.ts:
            self.ts, self.value = ts, value
            self.storage["register"] = (ts, value)

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Write):
            if self.id != self.primary:
                return  # clients send writes to the primary; ignore strays
            if msg.req <= self.seen.get(src, 0):
                return  # a duplicate of a write already executed
            self.seen[src] = msg.req
            self.storage["seen"] = self.seen
            self._counter += 1
            ts = (self._counter, self.id, 0)
            self._apply(ts, msg.value)
            self._waiting[ts] = (src, msg.req, {self.id})
            self.broadcast(Replicate(ts, msg.value), to=self.replicas[1:])
            self._maybe_ack(ts)
        elif isinstance(msg, Replicate):
            self._apply(msg.ts, msg.value)
            self.send(src, StoreOk(msg.ts[0]))
        elif isinstance(msg, StoreOk):
            # The follower holds version msg.op or a newer one: that counts for every
            # write waiting at or below it (a newer version supersedes older ones).
            for ts in sorted(t for t in self._waiting if t[0] <= msg.op):
                self._waiting[ts][2].add(src)
                self._maybe_ack(ts)
        elif isinstance(msg, Read):
            if self.reads == "primary" and self.id != self.primary:
                return
            self.send(src, ReadOk(msg.req, self.value))

    def _maybe_ack(self, ts: Timestamp) -> None:
        client, req, acks = self._waiting[ts]
        if len(acks) > len(self.replicas) // 2:
            del self._waiting[ts]
            self.send(client, WriteOk(req))

    def on_timer(self, name: str, payload: Any) -> None:
        # Resend the latest version to followers that have not acknowledged it (loss).
        if self._waiting:
            latest = max(self._waiting)
            missing = [r for r in self.replicas[1:] if r not in self._waiting[latest][2]]
            self.broadcast(Replicate(self.ts, self.value), to=missing)
        self.set_timer(self.retry, "resend")

    def state(self) -> dict[str, Any]:
        return {"role": "primary" if self.id == self.primary else "follower",
                "ts": self.ts[0], "value": self.value}
