"""Hybrid logical clocks (Kulkarni, Demirbas, Madappa, Avva & Leone 2014).

A hybrid logical clock (HLC) timestamp is a pair ``(l, c)``: ``l`` is the largest
physical-clock reading the node has heard of, ``c`` a counter that orders events with
the same ``l``. The rules (Kulkarni et al. 2014, Figure 5), with ``pt`` the node's
physical clock reading at the event::

    send or local event                 receive of a message stamped (l_m, c_m)
    l' = l                              l' = l
    l  = max(l', pt)                    l  = max(l', l_m, pt)
    c  = c + 1  if l == l'              c  = max(c, c_m) + 1  if l == l' == l_m
         0      otherwise                    c + 1            if l == l'
                                             c_m + 1          if l == l_m
                                             0                otherwise

Like a Lamport clock, ``e -> f`` implies ``HLC(e) < HLC(f)`` (compare ``l``, then
``c``). Unlike one, ``l`` is always a physical time: exactly the largest ``pt`` in the
event's causal past, so ``l - pt`` never exceeds the clocks' skew, and an HLC fits
where a physical timestamp did (64 bits in CockroachDB and MongoDB).

This module holds the clock (a pure value class), a demo workload ``HLCNode`` that
stamps its events with both an HLC and a ``LamportClock``, and ``check_hlc``, which
verifies the paper's theorems on a trace. Taught in notebook 1.4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from ..clocks import LamportClock
from ..sim import Node
from ..sim.trace import Trace, TraceEvent

__all__ = ["HLCTimestamp", "HybridLogicalClock", "hlc_receive", "HLCMessage", "HLCEvent",
           "HLCNode", "hlc_events", "check_hlc"]


@dataclass(frozen=True, slots=True, order=True)
class HLCTimestamp:
    """``(l, c)``: compared by ``l``, then ``c``."""

    l: float
    c: int

    def __str__(self) -> str:
        return f"({self.l:g},{self.c})"


def _pt(pt: object) -> float:
    if isinstance(pt, bool) or not isinstance(pt, (int, float)) or not math.isfinite(pt):
        raise ValueError(f"pt must be a finite physical-clock reading, got {pt!r}")
    return pt


def hlc_receive(l: float, c: int, l_m: float, c_m: int, pt: float) -> tuple[float, int]:
    """The receive rule of Kulkarni et al. (2014, Figure 5) on plain numbers."""
    l_old = l
    l = max(l_old, l_m, pt)
    if l == l_old == l_m:
        c = max(c, c_m) + 1
    elif l == l_old:
        c = c + 1
    elif l == l_m:
        c = c_m + 1
    else:
        c = 0
    return l, c


class HybridLogicalClock:
    """One node's HLC. ``send(pt)`` for sends and local events, ``receive(pt, ts)``."""

    __slots__ = ("l", "c")

    def __init__(self, l: float = -math.inf, c: int = 0) -> None:
        if l != -math.inf:  # -inf: no event yet, so the first event takes l = pt
            _pt(l)
        if isinstance(c, bool) or not isinstance(c, int) or c < 0:
            raise ValueError(f"c must be a non-negative int, got {c!r}")
        self.l, self.c = l, c

    def __repr__(self) -> str:
        return f"HybridLogicalClock(l={self.l:g}, c={self.c})"

    def now(self) -> HLCTimestamp:
        """The current timestamp (of the last event), without ticking."""
        return HLCTimestamp(self.l, self.c)

    def send(self, pt: float) -> HLCTimestamp:
        """A send or local event at physical time ``pt``; returns its timestamp."""
        pt = _pt(pt)
        l_old = self.l
        self.l = max(l_old, pt)
        self.c = self.c + 1 if self.l == l_old else 0
        return HLCTimestamp(self.l, self.c)

    tick = send  #: a local event follows the same rule as a send

    def receive(self, pt: float, ts: HLCTimestamp) -> HLCTimestamp:
        """Receive a message stamped ``ts`` at physical time ``pt``; returns its timestamp."""
        pt = _pt(pt)
        if not isinstance(ts, HLCTimestamp):
            raise TypeError(f"ts must be an HLCTimestamp, got {ts!r}")
        self.l, self.c = hlc_receive(self.l, self.c, ts.l, ts.c, pt)
        return HLCTimestamp(self.l, self.c)


# --- a workload whose events are stamped, for pictures and checks ---------------------------

@dataclass(frozen=True, slots=True)
class HLCMessage:
    """An application message carrying the sender's HLC and Lamport timestamps."""

    ts: HLCTimestamp
    lamport: int
    seq: int

    def __repr__(self) -> str:
        return f"HLCMessage({self.ts}, seq={self.seq})"


@dataclass(frozen=True, slots=True)
class HLCEvent:
    """One stamped event (trace output ``"hlc"``).

    ``kind`` is ``"local"``, ``"send"`` or ``"receive"``; ``pt`` the physical clock
    reading used; ``peer`` and ``seq`` identify the message (the sender and its
    sequence number) for sends and receives.
    """

    kind: str
    ts: HLCTimestamp
    lamport: int
    pt: float
    peer: str | None = None
    seq: int | None = None

    def __repr__(self) -> str:
        return f"HLCEvent({self.kind}, {self.ts}, pt={self.pt:g})"


class HLCNode(Node):
    """Does local events and sends to random peers, stamping everything.

    Every ``interval`` on average (exponentially distributed, own clock) it does an
    event: a send to a random peer with probability ``send_probability``, else a local
    event; it stops after ``events`` of its own events. Physical readings are rounded
    down to multiples of ``granularity`` (a clock that ticks in whole ms), which is
    what makes equal ``l`` values, and the counter ``c``, common.
    """

    def __init__(self, *, interval: float = 20.0, send_probability: float = 0.6,
                 events: int = 20, granularity: float = 1.0) -> None:
        if not (isinstance(interval, (int, float)) and interval > 0):
            raise ValueError(f"interval must be > 0, got {interval!r}")
        if not 0 <= send_probability <= 1:
            raise ValueError(f"send_probability must be in [0, 1], got {send_probability!r}")
        if isinstance(events, bool) or not isinstance(events, int) or events < 0:
            raise ValueError(f"events must be an int >= 0, got {events!r}")
        if not (isinstance(granularity, (int, float)) and granularity > 0):
            raise ValueError(f"granularity must be > 0, got {granularity!r}")
        self.interval, self.send_probability = float(interval), float(send_probability)
        self.events, self.granularity = events, float(granularity)
        self.hlc = HybridLogicalClock()
        self.lamport = LamportClock()
        self.done = 0
        self.seq = 0

    def state(self) -> dict:
        return {"hlc": str(self.hlc.now()), "lamport": self.lamport.time, "done": self.done}

    def pt(self) -> float:
        """The physical clock, read at this node's granularity."""
        return math.floor(self.clock() / self.granularity) * self.granularity

    def on_start(self) -> None:
        # The HLC must survive a crash (or it could go backwards): keep it durable.
        l, c, lam, seq = self.storage.get("clocks", (-math.inf, 0, 0, 0))
        self.hlc, self.lamport, self.seq = HybridLogicalClock(l, c), LamportClock(lam), seq
        self.done = self.storage.get("done", 0)
        self.schedule()

    def save(self) -> None:
        self.storage["clocks"] = (self.hlc.l, self.hlc.c, self.lamport.time, self.seq)

    def schedule(self) -> None:
        if self.done < self.events:
            self.set_timer(self.rng.expovariate(1.0 / self.interval), "event")

    def on_timer(self, name: str, payload: object) -> None:
        self.done += 1
        self.storage["done"] = self.done
        pt = self.pt()
        if self.peers and self.rng.random() < self.send_probability:
            dst = self.rng.choice(self.peers)
            self.seq += 1
            ts, lam = self.hlc.send(pt), self.lamport.send()
            self.output("hlc", HLCEvent("send", ts, lam, pt, dst, self.seq))
            self.send(dst, HLCMessage(ts, lam, self.seq))
        else:
            ts, lam = self.hlc.tick(pt), self.lamport.tick()
            self.output("hlc", HLCEvent("local", ts, lam, pt))
        self.save()
        self.schedule()

    def on_message(self, src: str, msg: object) -> None:
        if not isinstance(msg, HLCMessage):
            return
        pt = self.pt()
        ts, lam = self.hlc.receive(pt, msg.ts), self.lamport.receive(msg.lamport)
        self.output("hlc", HLCEvent("receive", ts, lam, pt, src, msg.seq))
        self.save()


# --- checking the paper's theorems on a trace --------------------------------------------------

def hlc_events(trace: Trace | Iterable[TraceEvent]) -> list[tuple[float, str, HLCEvent]]:
    """``(true time, node, HLCEvent)`` for every ``"hlc"`` output, in trace order."""
    events = trace.events if isinstance(trace, Trace) else list(trace)
    return [(e.time, e.node, e.msg) for e in events
            if e.kind == "output" and e.info == "hlc" and isinstance(e.msg, HLCEvent)]


def check_hlc(trace: Trace | Iterable[TraceEvent], *, timestamp=lambda ev: ev.ts,
              bound: float | None = None) -> list[str]:
    """Check Kulkarni et al.'s properties on a trace; returns the violations found.

    1. Along each node, timestamps strictly increase.
    2. A receive's timestamp exceeds its send's (so, by transitivity,
       ``e -> f`` implies ``ts(e) < ts(f)``).
    3. ``l`` is exactly the largest ``pt`` in the event's causal past (Theorem 1's core).
    4. ``c`` is at most the number of earlier events in the causal past with the same
       ``l`` (Theorem 2).
    5. With ``bound``: ``l - pt <= bound`` (e.g. the clocks' largest skew).

    ``timestamp(ev)`` chooses what is checked for 1 and 2: pass
    ``lambda ev: (ev.pt,)`` to see physical timestamps fail (3 to 5 concern the HLC).
    Duplicated deliveries are separate receive events. Each violation is one line.
    """
    found: list[str] = []
    events = hlc_events(trace)
    last: dict[str, tuple[int, object]] = {}       # node -> (index, its timestamp)
    past_of_prev: dict[str, int] = {}              # node -> bitmask of its causal past
    maxpt_prev: dict[str, float] = {}
    sends: dict[tuple[str, int], tuple[int, HLCEvent, int, float]] = {}
    with_l: dict[float, int] = {}                  # l -> bitmask of events with that l
    for i, (t, node, ev) in enumerate(events):
        ts = timestamp(ev)
        past = past_of_prev.get(node, 0)
        maxpt = max(maxpt_prev.get(node, -math.inf), ev.pt)
        if node in last and not last[node][1] < ts:
            found.append(f"t={t:g} {node}: timestamp {ts} is not above the node's previous "
                         f"event's {last[node][1]}")
        if ev.kind == "receive":
            key = (ev.peer, ev.seq)
            if key not in sends:
                found.append(f"t={t:g} {node}: receive of {key} with no send in the trace")
            else:
                j, send_ev, send_past, send_maxpt = sends[key]
                if not timestamp(send_ev) < ts:
                    found.append(f"t={t:g} {node}: receive {ts} is not above its send "
                                 f"{timestamp(send_ev)} at {ev.peer}")
                past |= send_past | (1 << j)
                maxpt = max(maxpt, send_maxpt)
        if ev.ts.l != maxpt:
            found.append(f"t={t:g} {node}: l={ev.ts.l:g} but the largest pt in the causal "
                         f"past is {maxpt:g}")
        same_l = (past & with_l.get(ev.ts.l, 0)).bit_count()
        if ev.ts.c > same_l:
            found.append(f"t={t:g} {node}: c={ev.ts.c} exceeds the {same_l} earlier events "
                         f"with l={ev.ts.l:g} in its causal past")
        if bound is not None and ev.ts.l - ev.pt > bound:
            found.append(f"t={t:g} {node}: l - pt = {ev.ts.l - ev.pt:g} exceeds {bound:g}")
        if ev.kind == "send":
            sends[(node, ev.seq)] = (i, ev, past, maxpt)
        with_l[ev.ts.l] = with_l.get(ev.ts.l, 0) | (1 << i)
        last[node] = (i, ts)
        past_of_prev[node] = past | (1 << i)
        maxpt_prev[node] = maxpt
    return found

