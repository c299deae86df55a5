"""Happens-before, computed from a simulation trace (Lamport 1978, section 2).

Lamport defines the relation ``->`` on the events of a system as the smallest relation
such that (1) if ``a`` and ``b`` are events of the same process and ``a`` comes before
``b``, then ``a -> b``; (2) if ``a`` is the sending of a message and ``b`` its receipt,
then ``a -> b``; (3) it is transitive. Two distinct events are *concurrent*
(``a || b``) when neither happened before the other.

``HappensBefore.from_trace`` reads a trace and builds exactly that relation:

- the **events** are, at each node and in trace order, every ``send``, every
  ``deliver`` (a *receive* event; each copy of a duplicated message is its own event)
  and every *local* event, which a protocol reports with ``self.output("local", ...)``;
- the **edges** are process order and send -> receive pairs matched by ``msg_id``
  (a lost message has a send and no receive: it orders nothing);
- the **closure** is computed once, in trace order (a topological order, since a
  message is always sent before it is delivered): the causal past of each event is a
  bit set, the union of its predecessors' pasts.

Nothing here knows about clocks: the relation is the ground truth against which the
clocks of :mod:`distlab.clocks.nodes` are checked. A restarted node is the same
process: its events after the restart follow those before it.

Taught in notebook 1.2 (and used in 1.3 to check vector clocks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..sim.trace import Trace, TraceEvent

__all__ = ["Event", "HappensBefore", "events_of"]

EventKind = Literal["send", "receive", "local"]


@dataclass(frozen=True, slots=True)
class Event:
    """One event of one process, with a stable id such as ``"n1.3"`` (n1's 3rd event)."""

    id: str
    node: str
    seq: int               #: position among the node's events, from 1
    kind: EventKind        #: "send", "receive" or "local"
    time: float            #: simulated (true) time; processes cannot see it
    index: int             #: position of the event in ``trace.events``
    msg_id: int | None     #: the message sent or received (None for a local event)
    peer: str | None       #: destination of a send, sender of a receive

    def __repr__(self) -> str:
        what = {"send": f"send #{self.msg_id} to {self.peer}",
                "receive": f"receive #{self.msg_id} from {self.peer}",
                "local": "local"}[self.kind]
        return f"<Event {self.id}: {what} at t={self.time:.2f}>"

    def __str__(self) -> str:
        return self.id


def _events_of(source: Any) -> list[TraceEvent]:
    if isinstance(source, Trace):
        return source.events
    trace = getattr(source, "trace", None)
    if isinstance(trace, Trace):  # a Simulation
        return trace.events
    if isinstance(source, (list, tuple)) and all(isinstance(e, TraceEvent) for e in source):
        return list(source)
    raise TypeError(f"expected a Simulation, a Trace or a list of TraceEvent, "
                    f"got {type(source).__name__}")


def _local_predicate(local: Iterable[str] | Callable[[TraceEvent], bool]
                     ) -> Callable[[TraceEvent], bool]:
    if callable(local):
        return local
    if isinstance(local, str):
        raise TypeError(f"local must be a collection of output names such as ('local',), "
                        f"not the string {local!r}")
    names = tuple(local)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"local must hold output names (str), got {names!r}")
    return lambda e: e.kind == "output" and e.info in names


def events_of(source: Any, *, local: Iterable[str] | Callable[[TraceEvent], bool] = ("local",)
              ) -> list[Event]:
    """The process events of a trace, in trace order (see the module docstring)."""
    return HappensBefore.from_trace(source, local=local).events


class HappensBefore:
    """Lamport's happens-before relation on the events of one run.

    >>> hb = HappensBefore.from_trace(sim)          # doctest: +SKIP
    >>> hb.before("n1.1", "n2.2"), hb.concurrent("n1.2", "n3.1")   # doctest: +SKIP
    """

    __slots__ = ("events", "_by_id", "_by_index", "_past", "_edges")

    def __init__(self, events: Sequence[Event], edges: Sequence[tuple[str, str, str]]) -> None:
        self.events: list[Event] = list(events)
        self._by_id = {e.id: i for i, e in enumerate(self.events)}
        if len(self._by_id) != len(self.events):
            raise ValueError("event ids must be unique")
        self._by_index = {e.index: e for e in self.events}
        self._edges = list(edges)
        preds: list[list[int]] = [[] for _ in self.events]
        for a, b, _ in self._edges:
            ia, ib = self._by_id[a], self._by_id[b]
            if ia >= ib:
                raise ValueError(f"edge {a} -> {b} goes backwards in the event order; "
                                 f"events must be listed in a topological order")
            preds[ib].append(ia)
        # The transitive closure, as one bit set per event: bit i of _past[j] says
        # "event i happened before event j". Events are in topological order, so each
        # past is complete when it is read.
        past: list[int] = []
        for j in range(len(self.events)):
            bits = 0
            for i in preds[j]:
                bits |= past[i] | (1 << i)
            past.append(bits)
        self._past = past

    @classmethod
    def from_trace(cls, source: Any, *,
                   local: Iterable[str] | Callable[[TraceEvent], bool] = ("local",)
                   ) -> "HappensBefore":
        """Build the relation from a ``Simulation``, a ``Trace`` or a list of events.

        ``local`` says which trace events are local events: a collection of ``output``
        names (default: outputs named ``"local"``) or a predicate on ``TraceEvent``.
        """
        is_local = _local_predicate(local)
        events: list[Event] = []
        edges: list[tuple[str, str, str]] = []
        count: dict[str, int] = {}
        last: dict[str, str] = {}
        sends: dict[int, str] = {}
        for index, e in enumerate(_events_of(source)):
            if e.kind == "send":
                kind: EventKind = "send"
            elif e.kind == "deliver":
                kind = "receive"
            elif e.node is not None and is_local(e):
                kind = "local"
            else:
                continue
            node = e.node
            seq = count.get(node, 0) + 1
            count[node] = seq
            ev = Event(f"{node}.{seq}", node, seq, kind, e.time, index,
                       e.msg_id if kind != "local" else None,
                       e.peer if kind != "local" else None)
            events.append(ev)
            if node in last:
                edges.append((last[node], ev.id, "process"))
            last[node] = ev.id
            if kind == "send":
                sends[e.msg_id] = ev.id
            elif kind == "receive":
                if e.msg_id not in sends:
                    raise ValueError(f"the delivery of message #{e.msg_id} at {node} "
                                     f"(t={e.time:g}) has no send in the trace; pass the "
                                     f"whole trace, from its start")
                edges.append((sends[e.msg_id], ev.id, "message"))
        return cls(events, edges)

    # --- looking events up -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __contains__(self, event: object) -> bool:
        key = event.id if isinstance(event, Event) else event
        return key in self._by_id

    def __repr__(self) -> str:
        nodes = len({e.node for e in self.events})
        return (f"<HappensBefore: {len(self.events)} events at {nodes} nodes, "
                f"{sum(1 for _ in self._edges if _[2] == 'message')} messages received>")

    def _pos(self, event: Event | str) -> int:
        key = event.id if isinstance(event, Event) else event
        if not isinstance(key, str):
            raise TypeError(f"an event is an Event or its id such as 'n1.3', got {event!r}")
        try:
            return self._by_id[key]
        except KeyError:
            raise ValueError(f"no event {key!r} in this run; ids look like 'n1.3' "
                             f"(the 3rd event at n1)") from None

    def event(self, event_id: str) -> Event:
        """The event with this id (e.g. ``"n2.1"``)."""
        return self.events[self._pos(event_id)]

    def at_index(self, index: int) -> Event | None:
        """The event at position ``index`` of ``trace.events`` (``None`` if not an event)."""
        return self._by_index.get(index)

    def of_node(self, node: str) -> list[Event]:
        """The events of ``node``, in order."""
        return [e for e in self.events if e.node == node]

    @property
    def nodes(self) -> list[str]:
        """Nodes that have at least one event, in order of their first event."""
        return list(dict.fromkeys(e.node for e in self.events))

    # --- the relation --------------------------------------------------------------------
    def before(self, a: Event | str, b: Event | str) -> bool:
        """``a -> b``: did ``a`` happen before ``b``?"""
        return bool((self._past[self._pos(b)] >> self._pos(a)) & 1)

    def concurrent(self, a: Event | str, b: Event | str) -> bool:
        """``a || b``: two distinct events, neither before the other."""
        i, j = self._pos(a), self._pos(b)
        return i != j and not (self._past[j] >> i) & 1 and not (self._past[i] >> j) & 1

    def compare(self, a: Event | str, b: Event | str) -> str:
        """``"before"``, ``"after"``, ``"equal"`` or ``"concurrent"`` (as ``VectorClock``)."""
        i, j = self._pos(a), self._pos(b)
        if i == j:
            return "equal"
        if (self._past[j] >> i) & 1:
            return "before"
        if (self._past[i] >> j) & 1:
            return "after"
        return "concurrent"

    def past(self, event: Event | str) -> list[Event]:
        """Every event that happened before ``event`` (its causal past)."""
        bits = self._past[self._pos(event)]
        return [e for i, e in enumerate(self.events) if (bits >> i) & 1]

    def future(self, event: Event | str) -> list[Event]:
        """Every event that ``event`` happened before (its causal future)."""
        i = self._pos(event)
        return [e for j, e in enumerate(self.events) if (self._past[j] >> i) & 1]

    def concurrent_with(self, event: Event | str) -> list[Event]:
        """Every event concurrent with ``event``."""
        i = self._pos(event)
        return [e for j, e in enumerate(self.events)
                if j != i and not (self._past[j] >> i) & 1 and not (self._past[i] >> j) & 1]

    def pairs(self) -> Iterator[tuple[Event, Event]]:
        """Every pair ``(a, b)`` with ``a -> b``."""
        for j, b in enumerate(self.events):
            bits = self._past[j]
            i = 0
            while bits:
                if bits & 1:
                    yield self.events[i], b
                bits >>= 1
                i += 1

    def concurrent_pairs(self) -> Iterator[tuple[Event, Event]]:
        """Every unordered pair of concurrent events, as ``(a, b)`` with ``a`` listed first."""
        for j, b in enumerate(self.events):
            for i in range(j):
                if not (self._past[j] >> i) & 1:
                    yield self.events[i], b

    def edges(self) -> list[tuple[str, str, str]]:
        """The generating edges ``(a, b, "process" | "message")``, before closure."""
        return list(self._edges)

    def count_pairs(self) -> tuple[int, int]:
        """``(ordered, concurrent)``: how many pairs of distinct events are each."""
        n = len(self.events)
        ordered = sum(p.bit_count() for p in self._past)
        return ordered, n * (n - 1) // 2 - ordered
