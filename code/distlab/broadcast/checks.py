"""Checkers for broadcast properties, reading only the trace.

Every broadcast layer reports ``output("broadcast", m)`` when the application
broadcasts ``m`` and ``output("deliver", m)`` when it delivers ``m``; crashes and
restarts are trace events too. From these alone the checkers judge:

- ``check_reliable``: validity, no duplication, no creation, agreement (Hadzilacos &
  Toueg 1994; Cachin, Guerraoui & Rodrigues 2011, ch. 3);
- ``check_fifo``: FIFO order (Cachin et al. 2011, ch. 3);
- ``check_causal``: causal order, with happens-before between broadcasts computed
  from the trace (Lamport 1978): m1 -> m2 if the same node broadcast m1 first, or
  m2's broadcaster had delivered m1 when it broadcast m2, or transitively
  (Cachin et al. 2011, ch. 3; Birman, Schiper & Stephenson 1991);
- ``check_total_order``: any two nodes deliver the messages they both deliver in the
  same order (Défago, Schiper & Urbán 2004).

Each returns a list of ``Violation``\\ s (empty: the property holds on this trace),
each saying what happened where, with the messages involved. A node is *correct*
when it is up at the end of the trace (it never crashed, or it recovered: the
crash-recovery reading; in a crash-stop run the two coincide). Deliveries are judged
over the node's whole life, across restarts: a restarted node that delivers a message
again has delivered it twice.

Also here: ``holdbacks`` (when each message arrived at a node and when it was
delivered) and ``traffic`` (messages sent, by role), both read from the trace.

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from ..sim.trace import Trace, TraceEvent
from .messages import Ack, Message, MessageId, Packet

__all__ = ["Violation", "broadcast_events", "correct_nodes", "deliveries", "check_reliable",
           "check_fifo", "check_causal", "check_total_order", "check_broadcast",
           "HoldBack", "holdbacks", "traffic"]


@dataclass(frozen=True)
class Violation:
    """A property that does not hold: which, at which node, about which message, why."""

    property: str
    node: str | None
    message: Message | None
    detail: str
    time: float | None = None

    def __str__(self) -> str:
        return f"{self.property}: {self.detail}"


def _as_trace(trace: Any) -> Trace:
    if isinstance(trace, Trace):
        return trace
    if hasattr(trace, "trace") and isinstance(trace.trace, Trace):  # a Simulation
        return trace.trace
    raise TypeError(f"checkers read a Trace or a Simulation, got {type(trace).__name__}")


def _key(m: Message) -> Hashable:
    """A message's identity for the checkers: the whole message (so a restarted node
    that reuses an id for another payload is caught)."""
    try:
        hash(m)
        return m
    except TypeError:
        return (m.origin, m.seq, repr(m.payload))


def _t(time: float) -> str:
    return f"{round(time, 2):g}"


def _show(m: Message) -> str:
    return f"{m.origin}#{m.seq} {m.payload!r}"


def broadcast_events(trace: Any) -> list[TraceEvent]:
    """The ``broadcast`` and ``deliver`` outputs carrying a ``Message``, in order."""
    return [e for e in _as_trace(trace).events
            if e.kind == "output" and e.info in ("broadcast", "deliver")
            and isinstance(e.msg, Message)]


def correct_nodes(trace: Any) -> list[str]:
    """Nodes up at the end of the trace, in order of first start."""
    up: dict[str, bool] = {}
    for e in _as_trace(trace).events:
        if e.kind in ("start", "restart"):
            up[e.node] = True
        elif e.kind == "crash":
            up[e.node] = False
    return [n for n, is_up in up.items() if is_up]


def _nodes(trace: Trace) -> list[str]:
    return list(dict.fromkeys(e.node for e in trace.events if e.kind == "start"))


def _correct(trace: Trace, correct: Iterable[str] | None) -> list[str]:
    if correct is None:
        return correct_nodes(trace)
    if isinstance(correct, str):
        raise TypeError("correct must be a list of node ids, not a string")
    return list(correct)


def deliveries(trace: Any) -> dict[str, list[Message]]:
    """Each node's deliveries, in order (every node that started, even if it delivered
    nothing)."""
    trace = _as_trace(trace)
    out: dict[str, list[Message]] = {n: [] for n in _nodes(trace)}
    for e in broadcast_events(trace):
        if e.info == "deliver":
            out.setdefault(e.node, []).append(e.msg)
    return out


# --- reliable broadcast ------------------------------------------------------------------
def check_reliable(trace: Any, *, correct: Iterable[str] | None = None) -> list[Violation]:
    """Validity, no duplication, no creation and agreement, at the end of the trace.

    ``correct``: the nodes to hold to validity and agreement (default: those up at the
    end). Run the simulation long enough for messages to settle before judging.
    """
    trace = _as_trace(trace)
    correct = _correct(trace, correct)
    out: list[Violation] = []
    broadcast: dict[Hashable, TraceEvent] = {}
    delivered: dict[str, dict[Hashable, float]] = {n: {} for n in _nodes(trace)}
    first: dict[Hashable, Message] = {}
    for e in broadcast_events(trace):
        m, k = e.msg, _key(e.msg)
        first.setdefault(k, m)
        if e.info == "broadcast":
            broadcast[k] = e
            continue
        b = broadcast.get(k)
        if b is None or b.node != m.origin:
            out.append(Violation("no creation", e.node, m,
                                 f"{e.node} delivered {_show(m)} at t={_t(e.time)}, which "
                                 f"{m.origin} had not broadcast", e.time))
        seen = delivered.setdefault(e.node, {})
        if k in seen:
            out.append(Violation("no duplication", e.node, m,
                                 f"{e.node} delivered {_show(m)} twice (t={_t(seen[k])} and "
                                 f"t={_t(e.time)})", e.time))
        else:
            seen[k] = e.time
    for k, b in broadcast.items():
        if b.node in correct and k not in delivered.get(b.node, {}):
            out.append(Violation("validity", b.node, b.msg,
                                 f"{b.node} broadcast {_show(b.msg)} at t={_t(b.time)} and is "
                                 f"up at the end, but never delivered it", b.time))
    for k, m in first.items():
        have = [n for n in correct if k in delivered.get(n, {})]
        if not have:
            continue
        for n in correct:
            if k not in delivered.get(n, {}):
                out.append(Violation("agreement", n, m,
                                     f"{_show(m)} was delivered by {', '.join(have)} but "
                                     f"never by {n}, which is up at the end", None))
    return out


# --- FIFO order -----------------------------------------------------------------------------
def check_fifo(trace: Any) -> list[Violation]:
    """No node delivers a message before every earlier broadcast of the same sender."""
    trace = _as_trace(trace)
    out: list[Violation] = []
    earlier: dict[Hashable, list[Message]] = {}      # key -> the sender's broadcasts before it
    sent: dict[str, list[Message]] = {}
    done: dict[str, set[Hashable]] = {}
    for e in broadcast_events(trace):
        m, k = e.msg, _key(e.msg)
        if e.info == "broadcast":
            earlier[k] = list(sent.get(e.node, []))
            sent.setdefault(e.node, []).append(m)
            continue
        mine = done.setdefault(e.node, set())
        lacking = [p for p in earlier.get(k, []) if _key(p) not in mine]
        if lacking:
            more = f" (and {len(lacking) - 1} more)" if len(lacking) > 1 else ""
            out.append(Violation("fifo order", e.node, m,
                                 f"{e.node} delivered {_show(m)} at t={_t(e.time)} before "
                                 f"{_show(lacking[0])}{more}, which {m.origin} broadcast "
                                 f"earlier", e.time))
        mine.add(k)
    return out


# --- causal order ---------------------------------------------------------------------------
def check_causal(trace: Any) -> list[Violation]:
    """No node delivers m2 before every m1 whose broadcast happened before m2's.

    Happens-before is computed from the trace: each node's *causal past* grows with
    what it broadcasts and delivers (and, transitively, with the past of what it
    delivers); a broadcast depends on the broadcaster's past at that moment.
    """
    trace = _as_trace(trace)
    out: list[Violation] = []
    past: dict[str, set[Hashable]] = {}
    deps: dict[Hashable, frozenset] = {}
    direct: dict[Hashable, frozenset] = {}       # delivered by the broadcaster itself
    sent_before: dict[Hashable, frozenset] = {}  # broadcast earlier by the same node
    got: dict[str, set[Hashable]] = {}
    own: dict[str, set[Hashable]] = {}
    order: dict[Hashable, int] = {}
    msgs: dict[Hashable, Message] = {}
    for e in broadcast_events(trace):
        m, k = e.msg, _key(e.msg)
        msgs.setdefault(k, m)
        mine = past.setdefault(e.node, set())
        if e.info == "broadcast":
            deps[k] = frozenset(mine)
            direct[k] = frozenset(got.get(e.node, set()))
            sent_before[k] = frozenset(own.get(e.node, set()))
            own.setdefault(e.node, set()).add(k)
            order[k] = len(order)
            mine.add(k)
            continue
        have = got.setdefault(e.node, set())
        lacking = sorted(deps.get(k, frozenset()) - have, key=order.__getitem__)
        if lacking:
            m1 = msgs[lacking[0]]
            if lacking[0] in sent_before[k]:
                why = f"{m.origin} broadcast it first"
            elif lacking[0] in direct[k]:
                why = f"{m.origin} had delivered it before broadcasting {m.origin}#{m.seq}"
            else:
                why = f"a chain of deliveries leads from it to {m.origin}#{m.seq}"
            more = f" (and {len(lacking) - 1} more)" if len(lacking) > 1 else ""
            out.append(Violation("causal order", e.node, m,
                                 f"{e.node} delivered {_show(m)} at t={_t(e.time)} before "
                                 f"{_show(m1)}{more}, which happened before it: {why}",
                                 e.time))
        have.add(k)
        mine.add(k)
        mine |= deps.get(k, frozenset())
    return out


# --- total order ----------------------------------------------------------------------------
def check_total_order(trace: Any, *, nodes: Sequence[str] | None = None) -> list[Violation]:
    """Any two nodes deliver the messages they both deliver in the same relative order.

    One violation per pair of nodes that disagree, naming the first two messages
    they order differently.
    """
    trace = _as_trace(trace)
    seqs = {n: list(dict.fromkeys(_key(m) for m in ms)) for n, ms in deliveries(trace).items()}
    msgs = {_key(m): m for ms in deliveries(trace).values() for m in ms}
    chosen = list(seqs) if nodes is None else list(nodes)
    out: list[Violation] = []
    for p, q in combinations(chosen, 2):
        common = set(seqs.get(p, [])) & set(seqs.get(q, []))
        a = [k for k in seqs.get(p, []) if k in common]
        b = [k for k in seqs.get(q, []) if k in common]
        for x, y in zip(a, b):
            if x != y:
                out.append(Violation("total order", q, msgs[y],
                                     f"{p} delivered {_show(msgs[x])} before {_show(msgs[y])}; "
                                     f"{q} delivered them the other way round"))
                break
    return out


_CHECKS = {"reliable": check_reliable, "fifo": check_fifo, "causal": check_causal,
           "total": check_total_order}


def check_broadcast(trace: Any, properties: Sequence[str] = ("reliable",), *,
                    correct: Iterable[str] | None = None) -> list[Violation]:
    """Run several checkers: ``properties`` among "reliable", "fifo", "causal", "total"."""
    if isinstance(properties, str):
        properties = (properties,)
    unknown = [p for p in properties if p not in _CHECKS]
    if unknown:
        raise ValueError(f"properties must be among {list(_CHECKS)}, got {unknown}")
    out: list[Violation] = []
    for p in properties:
        out += check_reliable(trace, correct=correct) if p == "reliable" else _CHECKS[p](trace)
    return out


# --- readings for tables and pictures -----------------------------------------------------
@dataclass(frozen=True)
class HoldBack:
    """``message`` first reached ``node`` at ``arrived`` and was delivered there at
    ``delivered`` (``None``: never, by the end of the trace)."""

    node: str
    message: Message
    arrived: float
    delivered: float | None

    @property
    def held(self) -> float | None:
        """How long the message waited in the hold-back queue (``None``: still waiting)."""
        return None if self.delivered is None else self.delivered - self.arrived


def _carried(msg: Any) -> Message | None:
    while isinstance(msg, Packet):
        msg = msg.payload
    return msg if isinstance(msg, Message) else None


def holdbacks(trace: Any, *, minimum: float = 1e-9) -> list[HoldBack]:
    """Application messages that waited at a node between arriving and being
    delivered (for longer than ``minimum``), or that arrived and were never delivered.

    Read from the trace: network ``deliver`` events (the message arrives, inside a
    ``Packet`` or not) and ``deliver`` outputs; messages the application never
    broadcast (a sequencer's orders) are left out.
    """
    trace = _as_trace(trace)
    sent: dict[MessageId, Message] = {}
    arrived: dict[tuple[str, MessageId], float] = {}
    done: set[tuple[str, MessageId]] = set()
    out = []
    for e in trace.events:
        if e.kind == "deliver":
            m = _carried(e.msg)
            if m is not None and m.id in sent and (e.node, m.id) not in done:
                arrived.setdefault((e.node, m.id), e.time)
        elif e.kind == "output" and isinstance(e.msg, Message):
            if e.info == "broadcast":
                sent[e.msg.id] = e.msg
            elif e.info == "deliver":
                done.add((e.node, e.msg.id))
                t0 = arrived.pop((e.node, e.msg.id), None)
                if t0 is not None and e.time - t0 > minimum:
                    out.append(HoldBack(e.node, e.msg, t0, e.time))
    for (node, mid), t0 in arrived.items():
        out.append(HoldBack(node, sent[mid], t0, None))
    return out


def traffic(trace: Any) -> dict[str, int]:
    """Messages sent, by role: ``originals`` (a broadcast's first copies, from its
    origin), ``relays`` (first copies from other nodes), ``retransmissions`` (packets
    sent again), ``acks``, and ``total``."""
    trace = _as_trace(trace)
    counts: Counter[str] = Counter()
    sent: set[tuple[str, str, int, int]] = set()
    for e in trace.events:
        if e.kind != "send":
            continue
        msg = e.msg
        if isinstance(msg, Ack):
            counts["acks"] += 1
        elif isinstance(msg, Packet):
            key = (e.node, e.peer, msg.incarnation, msg.number)
            if key in sent:
                counts["retransmissions"] += 1
                continue
            sent.add(key)
        m = _carried(msg)
        if m is not None:
            counts["originals" if m.origin == e.node else "relays"] += 1
        elif not isinstance(msg, Ack):
            counts["other"] += 1
    out = {k: counts[k] for k in ("originals", "relays", "retransmissions", "acks")}
    if counts["other"]:
        out["other"] = counts["other"]
    out["total"] = sum(counts.values())
    return out
