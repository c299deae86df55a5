"""A last-writer-wins register on replicas with skewed clocks.

Each replica stamps a client's write with a timestamp, applies it if the timestamp is
larger than the one it holds, and sends it to the other replicas, which do the same:
all replicas converge on the write with the largest timestamp, and every other write
is **silently discarded** (Kleppmann 2017, chapter 8, "Timestamps for ordering
events"; the rule of Dynamo-style stores and of Cassandra).

With ``timestamps="physical"`` the stamp is the replica's clock reading: a replica
whose clock is behind gives a write that really came later, even one that *causally*
follows a read of the earlier write, a smaller stamp, and it is lost. With ``"hlc"``
(Kulkarni et al. 2014) or ``"lamport"`` (Lamport 1978) the stamp respects causality:
the replica's clock has heard of every timestamp the client has seen. The client
passes the largest timestamp it has seen along with each write (a *causality token*)
so that this holds even when it writes to another replica than the one it read from.
No clock can order *concurrent* writes by true time: LWW still drops one of them.

Taught in notebook 1.4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..clocks import LamportClock
from ..sim import Node
from ..sim.trace import Trace, TraceEvent
from .hlc import HybridLogicalClock

__all__ = ["TIMESTAMPS", "Stamp", "Write", "WriteOk", "Read", "ReadOk", "Replicate",
           "LWWReplica", "LWWClient", "WriteRecord", "lww_writes", "lost_writes"]

TIMESTAMPS = ("physical", "hlc", "lamport")


@dataclass(frozen=True, slots=True, order=True)
class Stamp:
    """A write's timestamp: ``time`` (a float, an ``HLCTimestamp`` or an int), then
    the replica's id to break ties, so that every replica picks the same winner."""

    time: Any
    node: str

    def __str__(self) -> str:
        t = f"{self.time:g}" if isinstance(self.time, float) else str(self.time)
        return f"{t}@{self.node}"


@dataclass(frozen=True, slots=True)
class Write:
    """Client to replica: set the register to ``value``; ``after`` is the client's token."""

    op: str
    value: Any
    after: Stamp | None = None


@dataclass(frozen=True, slots=True)
class WriteOk:
    op: str
    stamp: Stamp


@dataclass(frozen=True, slots=True)
class Read:
    op: str


@dataclass(frozen=True, slots=True)
class ReadOk:
    op: str
    value: Any
    stamp: Stamp | None


@dataclass(frozen=True, slots=True)
class Replicate:
    """Replica to replica: a write and its timestamp."""

    op: str
    value: Any
    stamp: Stamp

    def __repr__(self) -> str:
        return f"Replicate({self.value!r}, {self.stamp})"


class LWWReplica(Node):
    """One replica of a last-writer-wins register.

    Trace outputs: ``"write"`` when a client's write is stamped (value
    ``(op, value, stamp, applied)``), ``"apply"`` / ``"discard"`` when a replicated
    write is kept or thrown away.
    """

    def __init__(self, *, timestamps: str = "physical", replicas: Sequence[str] | None = None,
                 granularity: float = 1.0) -> None:
        if timestamps not in TIMESTAMPS:
            raise ValueError(f"timestamps must be one of {TIMESTAMPS}, got {timestamps!r}")
        if isinstance(replicas, str):
            raise TypeError("replicas must be a list of node ids, not a string")
        if isinstance(granularity, bool) or not isinstance(granularity, (int, float)) \
                or not granularity > 0:
            raise ValueError(f"granularity must be a number > 0, got {granularity!r}")
        self.timestamps = timestamps
        self.replicas = None if replicas is None else tuple(replicas)
        self.granularity = float(granularity)
        self.value: Any = None
        self.stamp: Stamp | None = None
        self.hlc = HybridLogicalClock()
        self.lamport = LamportClock()

    def state(self) -> dict:
        return {"value": self.value, "stamp": str(self.stamp) if self.stamp else None}

    def on_start(self) -> None:
        self.value, self.stamp = self.storage.get("register", (None, None))
        l, c, lam = self.storage.get("clocks", (-math.inf, 0, 0))
        self.hlc, self.lamport = HybridLogicalClock(l, c), LamportClock(lam)

    def pt(self) -> float:
        g = self.granularity
        return (self.clock() // g) * g

    # --- timestamps ----------------------------------------------------------------------
    def new_stamp(self, after: Stamp | None) -> Stamp:
        """Stamp a local write; ``after`` is the largest timestamp the client has seen."""
        if self.timestamps == "physical":
            return Stamp(self.pt(), self.id)
        if self.timestamps == "hlc":
            if after is not None:
                self.hlc.receive(self.pt(), after.time)
            ts = self.hlc.send(self.pt())
        else:
            if after is not None:
                self.lamport.receive(after.time)
            ts = self.lamport.tick()
        self.save_clocks()
        return Stamp(ts, self.id)

    def observe(self, stamp: Stamp) -> None:
        """A timestamp arrived from another replica: logical clocks move past it."""
        if self.timestamps == "hlc":
            self.hlc.receive(self.pt(), stamp.time)
        elif self.timestamps == "lamport":
            self.lamport.receive(stamp.time)
        self.save_clocks()

    def save_clocks(self) -> None:
        if self.timestamps != "physical":
            self.storage["clocks"] = (self.hlc.l, self.hlc.c, self.lamport.time)

    # --- the register ---------------------------------------------------------------------
    def apply(self, value: Any, stamp: Stamp) -> bool:
        if self.stamp is not None and not stamp > self.stamp:
            return False
        self.value, self.stamp = value, stamp
        self.storage["register"] = (value, stamp)
        return True

    def on_message(self, src: str, msg: object) -> None:
        if isinstance(msg, Write):
            stamp = self.new_stamp(msg.after)
            applied = self.apply(msg.value, stamp)
            self.output("write", (msg.op, msg.value, stamp, applied))
            peers = self.replicas if self.replicas is not None else self.peers
            self.broadcast(Replicate(msg.op, msg.value, stamp),
                           to=[p for p in peers if p != self.id])
            self.send(src, WriteOk(msg.op, stamp))
        elif isinstance(msg, Read):
            self.send(src, ReadOk(msg.op, self.value, self.stamp))
        elif isinstance(msg, Replicate):
            self.observe(msg.stamp)
            kept = self.apply(msg.value, msg.stamp)
            self.output("apply" if kept else "discard", (msg.op, msg.value, msg.stamp))


class LWWClient(Node):
    """Runs a script of operations ``(at, kind, replica, value)`` at its own clock times.

    ``kind`` is ``"read"`` or ``"write"``. The client records a Jepsen-style history
    (``invoke``/``ok``) and, with ``token=True``, passes the largest timestamp it has
    seen with each write.
    """

    def __init__(self, script: Sequence[tuple[float, str, str, Any]] = (), *,
                 token: bool = True) -> None:
        for step in script:
            if len(step) != 4 or step[1] not in ("read", "write"):
                raise ValueError(f"each script step is (at, 'read'|'write', replica, value), "
                                 f"got {step!r}")
        self.script = tuple(script)
        self.token = token
        self.seen: Stamp | None = None
        self.n = 0

    def on_start(self) -> None:
        for i, (at, _, _, _) in enumerate(self.script):
            self.set_timer(max(0.0, at - self.clock()), "op", i)

    def on_timer(self, name: str, payload: object) -> None:
        _, kind, replica, value = self.script[payload]
        self.n += 1
        op = f"{self.id}.{self.n}"
        if kind == "write":
            self.record("invoke", "write", value)
            self.send(replica, Write(op, value, self.seen if self.token else None))
        else:
            self.record("invoke", "read", None)
            self.send(replica, Read(op))

    def on_message(self, src: str, msg: object) -> None:
        if isinstance(msg, WriteOk):
            self.record("ok", "write", msg.op)
            self.see(msg.stamp)
        elif isinstance(msg, ReadOk):
            self.record("ok", "read", msg.value)
            self.output("read", (msg.op, msg.value, msg.stamp))
            self.see(msg.stamp)

    def see(self, stamp: Stamp | None) -> None:
        if stamp is not None and (self.seen is None or stamp > self.seen):
            self.seen = stamp


# --- reading the outcome from the trace ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class WriteRecord:
    """A client write as the trace shows it."""

    op: str
    value: Any
    stamp: Stamp
    time: float          # true time at which the replica stamped it
    replica: str


def lww_writes(trace: Trace | Iterable[TraceEvent]) -> list[WriteRecord]:
    """Every stamped write, in true-time order."""
    events = trace.events if isinstance(trace, Trace) else list(trace)
    return [WriteRecord(e.msg[0], e.msg[1], e.msg[2], e.time, e.node) for e in events
            if e.kind == "output" and e.info == "write"]


def lost_writes(trace: Trace | Iterable[TraceEvent]) -> list[tuple[WriteRecord, WriteRecord]]:
    """Pairs ``(lost, winner)``: ``lost`` was stamped later in true time than ``winner``
    but got a smaller timestamp, so LWW ordered them against real time."""
    writes = lww_writes(trace)
    out = []
    for i, a in enumerate(writes):
        for b in writes[i + 1:]:
            if b.time > a.time and b.stamp < a.stamp:
                out.append((b, a))
    return out
