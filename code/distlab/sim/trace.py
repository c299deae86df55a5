"""The trace: every send, delivery, drop, duplicate, timer, crash, restart and note.

The trace is the single source of pictures and checks (DESIGN.md): space-time diagrams,
message counts and safety checkers read it, never a protocol's private state.

An event is a ``TraceEvent`` (a named tuple, cheap to create on the hot path):

========== ================ ================ ==========================================
kind       node             peer             info
========== ================ ================ ==========================================
start      the node         ``None``         incarnation number (0 on first start)
send       sender           destination      ``None``
deliver    receiver         sender           ``None`` (``"duplicate"`` for a copy)
drop       intended receiver sender          reason: loss, partition, crashed, hook
duplicate  sender           destination      ``None`` (a second copy was scheduled)
timer      the node         ``None``         timer name (``msg`` holds the payload)
crash      the node         ``None``         ``None``
restart    the node         ``None``         incarnation number
persist    the node         ``None``         the storage key written
partition  ``None``         ``None``         the groups, a tuple of tuples of node ids
heal       ``None``         ``None``         ``None``
annotate   a node or None   ``None``         the text
output     the node         ``None``         the output's name (``msg`` holds its value)
========== ================ ================ ==========================================

``msg_id`` ties a ``send`` to its ``deliver``/``drop``/``duplicate`` events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["TraceEvent", "Trace", "MessageRecord", "KINDS"]

KINDS = ("start", "send", "deliver", "drop", "duplicate", "timer", "crash", "restart",
         "persist", "partition", "heal", "annotate", "output")


class TraceEvent(NamedTuple):
    """One thing that happened, at virtual time ``time``."""

    time: float
    kind: str
    node: str | None
    peer: str | None = None
    msg: Any = None
    msg_id: int | None = None
    info: Any = None

    def describe(self) -> str:
        """One line, the same on every run (used by ``Trace.dump``)."""
        parts = [f"{self.time:.6f}", self.kind, self.node or "-"]
        if self.peer is not None:
            parts.append(("->" if self.kind in ("send", "duplicate") else "<-") + self.peer)
        if self.msg_id is not None:
            parts.append(f"#{self.msg_id}")
        if self.msg is not None:
            parts.append(repr(self.msg))
        if self.info is not None:
            parts.append(f"[{self.info}]")
        return " ".join(parts)


@dataclass(frozen=True)
class MessageRecord:
    """A message's life: its send and what became of each copy."""

    msg_id: int
    src: str
    dst: str
    msg: Any
    send_time: float
    deliver_times: tuple[float, ...] = ()
    drop_times: tuple[float, ...] = ()
    drop_reasons: tuple[str, ...] = ()

    @property
    def delivered(self) -> bool:
        return bool(self.deliver_times)


class Trace:
    """An append-only list of ``TraceEvent`` with helpers to query and export it.

    The simulator appends plain tuples (``_rows``) on its hot path; ``events`` turns
    them into ``TraceEvent`` named tuples on first access.
    """

    __slots__ = ("_rows", "_events")

    def __init__(self, events: Iterable[TraceEvent] = ()) -> None:
        self._rows: list[tuple] = [tuple(e) for e in events]
        self._events: list[TraceEvent] = []

    @property
    def events(self) -> list[TraceEvent]:
        """Every event so far, in the order they happened."""
        rows, events = self._rows, self._events
        if len(events) < len(rows):
            events.extend(map(TraceEvent._make, rows[len(events):]))
        return events

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __getitem__(self, i):
        return self.events[i]

    def __repr__(self) -> str:
        return f"<Trace of {len(self._rows)} events>"

    def of_kind(self, *kinds: str) -> list[TraceEvent]:
        """Events whose kind is one of ``kinds``."""
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown trace kind(s) {unknown}; kinds are {list(KINDS)}")
        make = TraceEvent._make  # only the matching rows become TraceEvents
        return [make(r) for r in self._rows if r[1] in kinds]

    def at_node(self, node: str) -> list[TraceEvent]:
        """Events that happened at ``node`` (sends, deliveries, timers, ...)."""
        return [e for e in self.events if e.node == node]

    def outputs(self, name: str | None = None, node: str | None = None) -> list[TraceEvent]:
        """``output`` events (optionally only those called ``name``, at ``node``)."""
        make = TraceEvent._make
        return [make(r) for r in self._rows if r[1] == "output"
                and (name is None or r[6] == name) and (node is None or r[2] == node)]

    def count(self, kind: str, msg_type: type | None = None) -> int:
        """How many events of ``kind`` (optionally carrying a message of ``msg_type``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown trace kind {kind!r}; kinds are {list(KINDS)}")
        return sum(1 for e in self.events if e.kind == kind
                   and (msg_type is None or isinstance(e.msg, msg_type)))

    def messages(self) -> list[MessageRecord]:
        """One record per sent message, in send order."""
        sends: dict[int, TraceEvent] = {}
        delivered: dict[int, list[float]] = {}
        dropped: dict[int, list[tuple[float, str]]] = {}
        for e in self.events:
            if e.kind == "send":
                sends[e.msg_id] = e
            elif e.kind == "deliver":
                delivered.setdefault(e.msg_id, []).append(e.time)
            elif e.kind == "drop":
                dropped.setdefault(e.msg_id, []).append((e.time, str(e.info)))
        out = []
        for mid, e in sends.items():
            drops = dropped.get(mid, [])
            out.append(MessageRecord(mid, e.node, e.peer, e.msg, e.time,
                                     tuple(delivered.get(mid, ())),
                                     tuple(t for t, _ in drops), tuple(r for _, r in drops)))
        return out

    def dump(self, kinds: Iterable[str] | None = None) -> str:
        """The trace as text, one event per line: identical for identical runs."""
        keep = set(kinds) if kinds is not None else None
        return "\n".join(e.describe() for e in self.events if keep is None or e.kind in keep)

    def to_dataframe(self):
        """The trace as a pandas DataFrame (one row per event)."""
        import pandas as pd  # imported here: the simulator itself does not need pandas

        rows = [{
            "time": e.time, "kind": e.kind, "node": e.node, "peer": e.peer,
            "msg_type": type(e.msg).__name__ if e.msg is not None else None,
            "msg": repr(e.msg) if e.msg is not None else None,
            "msg_id": e.msg_id, "info": e.info,
        } for e in self.events]
        columns = ["time", "kind", "node", "peer", "msg_type", "msg", "msg_id", "info"]
        df = pd.DataFrame(rows, columns=columns)
        df["msg_id"] = df["msg_id"].astype("Int64")
        return df
