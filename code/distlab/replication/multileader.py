"""Multi-leader replication: every leader accepts writes; leaders replicate to each
other asynchronously, and concurrent writes to one key *conflict*.

Each data centre (or device, or collaborative editor) has its own leader; its clients
read and write there, with no wait for the others, and keep working while the
inter-site link is down (Kleppmann 2017, ch. 5, "Multi-leader replication"). A
leader applies a client's write at once, acknowledges it, and sends it to the other
leaders (``Replicate``); every ``sync_every`` it also sends its whole store
(``Sync``), which repairs lost messages and catches up a leader after a partition.

Two writes to the same key that neither leader had seen when it accepted the other
conflict, and the leaders must resolve them the same way (``resolution``):

- ``"lww"``: each write is stamped with the accepting leader's clock; the larger
  stamp wins everywhere, the other write is discarded. With a clock that is behind,
  a write made *after* another, even one that read it, can lose.
- ``"siblings"``: versions carry version vectors; concurrent writes are both kept and
  a read returns both, for the application to merge (``conflict.Siblings``).

Trace outputs: ``conflict`` (key, the values that collided) when a replicated write
was concurrent with the local version; ``discard`` (key, value) when LWW throws a
write away. Taught in notebook 2.9.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..clocks import VectorClock
from ..sim import Node
from ..sim import _check
from .clients import Get, GetOk, Put, PutOk
from .conflict import Siblings, Stamped
from .quorum import merge_versions, version_values

__all__ = ["RESOLUTIONS", "Replicate", "Sync", "Leader"]

RESOLUTIONS = ("lww", "siblings")


@dataclass(frozen=True, slots=True)
class Replicate:
    """Leader -> leader: a write it accepted."""

    key: str
    version: Any

    def __repr__(self) -> str:
        return f"Replicate({self.key!r}, {'/'.join(map(repr, version_values(self.version)))})"


@dataclass(frozen=True, slots=True)
class Sync:
    """Leader -> leader: its whole store (periodic anti-entropy)."""

    store: tuple[tuple[str, Any], ...]

    def __repr__(self) -> str:
        return f"Sync({len(self.store)} keys)"


class Leader(Node):
    """One leader of a multi-leader store (``leaders`` names them all)."""

    def __init__(self, leaders: Sequence[str], *, resolution: str = "siblings",
                 sync_every: float = 50.0) -> None:
        if isinstance(leaders, str):
            raise TypeError("leaders must be a list of node ids, not a string")
        self.leaders = tuple(_check.node_id("leaders", x) for x in leaders)
        self.resolution = _check.one_of("resolution", resolution, RESOLUTIONS)
        self.sync_every = _check.number("sync_every", sync_every, minimum=0.0,
                                        strict_min=True)
        self.data: dict[str, Any] = {}

    def on_start(self) -> None:
        self.data = dict(self.storage.get("data", {}))
        self.set_timer(self.rng.uniform(0, self.sync_every), "sync")

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(x for x in self.leaders if x != self.id)

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Put):
            self.on_put(src, msg)
        elif isinstance(msg, Get):
            v = self.data.get(msg.key)
            context = v.context if isinstance(v, Siblings) else None
            self.send(src, GetOk(msg.req, version_values(v), context))
        elif isinstance(msg, Replicate):
            self.receive(msg.key, msg.version)
        elif isinstance(msg, Sync):
            for key, version in msg.store:
                self.receive(key, version)

    def on_put(self, client: str, msg: Put) -> None:
        """Accept a local write at once, then replicate it asynchronously."""
        if self.resolution == "siblings":
            context = msg.context if msg.context is not None else VectorClock()
            version = Siblings().put(msg.value, context, client, msg.dot)
            ack = version.context
        else:
            version = Stamped(msg.value, (self.clock(), self.id))
            ack = version.stamp
        self.receive(msg.key, version, local=True)
        self.send(client, PutOk(msg.req, ack))
        for other in self.others:
            self.send(other, Replicate(msg.key, version))

    def receive(self, key: str, version: Any, local: bool = False) -> None:
        """Merge a version into the store, reporting conflicts and discarded writes."""
        old = self.data.get(key)
        merged = merge_versions(old, version)
        if old is not None and version != old:
            if self.resolution == "lww":
                loser = version if merged == old else old
                if not (local and merged == version):   # (a local overwrite is normal)
                    self.output("discard", (key, loser.value))
            elif not local and merged != old and merged != version:
                self.output("conflict", (key, merged.values))
        if merged != old:
            self.data[key] = merged
            self.storage["data"] = self.data

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "sync":
            snapshot = tuple(sorted(self.data.items(), key=lambda kv: kv[0]))
            if snapshot:
                for other in self.others:
                    self.send(other, Sync(snapshot))
            self.set_timer(self.sync_every, "sync")

    def state(self) -> dict[str, Any]:
        return {k: "/".join(map(repr, version_values(v))) for k, v in sorted(self.data.items())}
