"""The naive counter: one server holding a register, clients doing read-modify-write.

A ``RegisterServer`` holds one integer and answers ``Get`` with ``Value`` and ``Put``
with ``PutOk``. A ``ReadModifyWriteClient`` increments the counter the way a first
attempt does: read the value, add one, write it back. Each message is handled
atomically at the server, and the network here is perfect; still, when two clients
read the same value before either writes, both write ``v + 1`` and one increment is
lost: the *lost update* anomaly (Kleppmann 2017, ch. 7, "Preventing Lost Updates").

``lost_updates`` finds exactly which acknowledged increments vanished, from the trace
alone: it replays the server's deliveries, tracks which write each read observed, and
so the *lineage* of every value: the set of increments it contains. The final value's
lineage holds the increments that count; every other acknowledged increment was
overwritten, and the report names the write that overwrote it.

Taught in notebook 1.5 ("Project: a distributed counter").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sim import History, Node, Simulation, Trace, Uniform
from ..sim import _check
from ..sim.latency import as_latency
from .client import op_name

__all__ = ["Get", "Value", "Put", "PutOk", "RegisterServer", "ReadModifyWriteClient",
           "LostUpdates", "lost_updates"]


@dataclass(frozen=True, slots=True)
class Get:
    """Read the register, on behalf of operation ``op`` (e.g. ``"c1.2"``)."""

    op: str


@dataclass(frozen=True, slots=True)
class Value:
    """The register's value, in answer to ``Get(op)``."""

    op: str
    value: int


@dataclass(frozen=True, slots=True)
class Put:
    """Overwrite the register with ``value`` (operation ``op``'s write)."""

    op: str
    value: int


@dataclass(frozen=True, slots=True)
class PutOk:
    """The write of operation ``op`` is done (and durable)."""

    op: str


class RegisterServer(Node):
    """Holds one integer: reads return it, writes overwrite it. No conflict detection."""

    def __init__(self) -> None:
        self.value = 0

    def on_start(self) -> None:
        self.value = self.storage.get("value", 0)
        self.output("value", self.value)

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Get):
            self.send(src, Value(msg.op, self.value))
        elif isinstance(msg, Put):
            self.value = msg.value
            self.storage["value"] = self.value
            self.output("value", self.value)
            self.send(src, PutOk(msg.op))

    def state(self) -> dict[str, Any]:
        return {"value": self.value}

    def state_size(self) -> int:
        return 1


class ReadModifyWriteClient(Node):
    """Increments the counter ``ops`` times: ``Get``, then ``Put(value + 1)``, then wait.

    It assumes a reliable network (no timeouts, no retries): the point of this client
    is the race between reads and writes, which needs no fault at all.
    """

    def __init__(self, server: str, ops: int = 5, think: Any = Uniform(10.0, 40.0)) -> None:
        self.server = _check.node_id("server", server)
        self.ops = _check.integer("ops", ops, minimum=0)
        self.think = as_latency("think", think)
        self.done = 0
        self.op: str | None = None
        self.read: int | None = None

    def on_start(self) -> None:
        if self.ops:
            self.set_timer(self.think.sample(self.rng), "next")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next" and self.op is None:
            self.op = op_name(self.id, self.done + 1)
            self.record("invoke", "increment", 1)
            self.send(self.server, Get(self.op))

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Value) and msg.op == self.op and self.read is None:
            self.read = msg.value
            self.send(self.server, Put(self.op, msg.value + 1))   # modify, write back
        elif isinstance(msg, PutOk) and msg.op == self.op:
            self.record("ok", "increment", 1)
            self.op, self.read = None, None
            self.done += 1
            if self.done < self.ops:
                self.set_timer(self.think.sample(self.rng), "next")

    def state(self) -> dict[str, Any]:
        return {"done": f"{self.done}/{self.ops}", "op": self.op, "read": self.read}


@dataclass(frozen=True)
class LostUpdates:
    """What became of each acknowledged increment at a register server.

    ``acknowledged``: operations whose client got ``PutOk``, in history order;
    ``counted``: those the final value contains; ``lost``: the others;
    ``read``: for each operation, the operation whose write its read observed
    (``None``: the initial 0); ``overwritten_by``: for each lost operation, the first
    later write that did not contain it; ``final``: how many increments the final value
    contains (the server's final value, computed from the lineage).
    """

    acknowledged: tuple[str, ...]
    counted: tuple[str, ...]
    lost: tuple[str, ...]
    read: dict[str, str | None] = field(default_factory=dict)
    overwritten_by: dict[str, str] = field(default_factory=dict)
    final: int = 0

    def describe(self) -> str:
        """One line per lost increment, e.g. ``c2.1 lost: overwritten by c1.1 ...``."""
        lines = []
        for op in self.lost:
            by = self.overwritten_by.get(op)
            if by is None:
                lines.append(f"{op} lost")
                continue
            seen = self.read.get(by)
            source = "the initial 0" if seen is None else f"{seen}'s write"
            lines.append(f"{op} lost: overwritten by {by}, whose read saw {source}")
        return "\n".join(lines) if lines else "no increment lost"


def _trace_and_history(source: Any, history: History | None) -> tuple[Trace, History]:
    if isinstance(source, Simulation):
        return source.trace, source.history if history is None else history
    if isinstance(source, Trace):
        if history is None:
            raise TypeError("lost_updates(trace, history): give the history too "
                            "(or pass the Simulation)")
        return source, history
    raise TypeError(f"lost_updates reads a Simulation, or a Trace and a History; "
                    f"got {type(source).__name__}")


def lost_updates(source: Simulation | Trace, history: History | None = None, *,
                 server: str = "s") -> LostUpdates:
    """Which acknowledged increments the register at ``server`` lost, and to whom.

    Reads the trace (the server's deliveries of ``Get`` and ``Put``, in the order it
    handled them) and the history (which increments were acknowledged). Assumes each
    ``Get`` and ``Put`` was delivered once (the naive counter's network is reliable).
    """
    trace, history = _trace_and_history(source, history)
    _check.node_id("server", server)
    lineage: dict[str | None, frozenset[str]] = {None: frozenset()}
    read: dict[str, str | None] = {}
    writes: list[str] = []
    current: str | None = None          # the operation whose write the register holds
    seen_server = False
    for e in trace.events:
        if e.node != server:
            continue
        seen_server = True
        if e.kind != "deliver" or not isinstance(e.msg, (Get, Put)):
            continue
        if e.info == "duplicate":
            raise ValueError(f"lost_updates assumes each Get and Put is delivered once; "
                             f"{e.msg!r} was delivered twice at t={e.time:g}")
        op = e.msg.op
        if isinstance(e.msg, Get):
            read[op] = current
        else:
            if op not in read:
                raise ValueError(f"{e.msg!r} reached {server!r} before its Get: the trace "
                                 f"is not a read-modify-write run")
            lineage[op] = lineage[read[op]] | {op}
            current = op
            writes.append(op)
    if not seen_server:
        raise ValueError(f"server={server!r} does not appear in the trace")
    counts: dict[str, int] = {}
    acked = []
    for o in history.operations():
        counts[o.process] = counts.get(o.process, 0) + 1
        if o.status == "ok" and o.f == "increment":
            acked.append(op_name(o.process, counts[o.process]))
    final_lineage = lineage[current]
    lost = tuple(op for op in acked if op not in final_lineage)
    overwritten: dict[str, str] = {}
    for op in lost:
        if op in writes:
            after = writes[writes.index(op) + 1:]
            by = next((w for w in after if op not in lineage[w]), None)
            if by is not None:
                overwritten[op] = by
    return LostUpdates(
        acknowledged=tuple(acked),
        counted=tuple(op for op in acked if op in final_lineage),
        lost=lost,
        read=read,
        overwritten_by=overwritten,
        final=len(final_lineage),
    )
