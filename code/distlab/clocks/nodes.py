"""Nodes that keep logical clocks while they run a random workload.

Each node, every so often, either does a *local* event or *sends* a message to a
random peer; whenever a message arrives it does a *receive* event. A ``LamportNode``
stamps every event with its Lamport clock (Lamport 1978, IR1 and IR2), a ``VectorNode``
with its vector clock (Fidge 1988; Mattern 1989). Both report each event's timestamp in
the trace, so diagrams and checkers read it from there, never from a node's memory:

- a **send** carries its timestamp in the message (``msg.timestamp``, Lamport's Tm);
- a **receive** is reported as ``self.output("receive", stamp)``, first thing in the
  handler, so it directly follows its ``deliver`` row in the trace;
- a **local** event is reported as ``self.output("local", stamp)``.

:func:`read_stamps` turns a trace back into ``{event id: timestamp}`` for the events of
:class:`distlab.clocks.causality.HappensBefore`.

Crashes: a node's clock is volatile unless it persists it. ``LamportNode(durable=True)``
writes an upper bound of the timestamps it has issued before using them and restarts
above it (with ``reserve=k`` it reserves ``k`` values per write, as timestamp oracles
do); ``VectorNode(persist="vector")`` writes its whole vector. Without that, a restarted
node's clock goes backwards, and the clock condition fails (notebooks 1.2 and 1.3,
"What can go wrong").

Taught in notebooks 1.2 (Lamport) and 1.3 (vectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..sim import Node
from .causality import HappensBefore, _events_of
from .lamport import LamportClock
from .vector import VectorClock

__all__ = ["Message", "VectorMessage", "ClockNode", "LamportNode", "VectorNode",
           "read_stamps", "PERSIST_MODES"]

PERSIST_MODES = ("nothing", "own entry", "vector")


@dataclass(frozen=True, slots=True)
class Message:
    """A message carrying its sender's Lamport timestamp ``Tm`` (Lamport 1978, IR2(a))."""

    body: str
    timestamp: int


@dataclass(frozen=True, slots=True)
class VectorMessage:
    """A message carrying its sender's vector timestamp (Fidge 1988; Mattern 1989)."""

    body: str
    timestamp: VectorClock


def _check_gap(gap: Any) -> tuple[float, float]:
    if (not isinstance(gap, (tuple, list)) or len(gap) != 2
            or not all(isinstance(g, (int, float)) and not isinstance(g, bool) for g in gap)):
        raise TypeError(f"gap must be a pair (low, high) of numbers, got {gap!r}")
    lo, hi = float(gap[0]), float(gap[1])
    if not 0 < lo <= hi:
        raise ValueError(f"gap must satisfy 0 < low <= high, got {gap!r}")
    return lo, hi


class ClockNode(Node):
    """The workload shared by the clock nodes; subclasses say how to stamp events.

    Parameters
    ----------
    actions
        How many actions (local events or sends) the node initiates; a restarted node
        starts counting again.
    p_send
        Probability that an action is a send (to a peer chosen at random) rather than a
        local event.
    gap
        ``(low, high)``: time between two actions, drawn uniformly.
    script
        Instead of a random workload, a list of ``(time, what)`` where ``what`` is
        ``"local"`` or the node id to send to. Entries whose time has passed when the
        node (re)starts are skipped.
    """

    def __init__(self, *, actions: int = 6, p_send: float = 0.5,
                 gap: tuple[float, float] = (2.0, 12.0),
                 script: Sequence[tuple[float, str]] | None = None) -> None:
        if isinstance(actions, bool) or not isinstance(actions, int) or actions < 0:
            raise ValueError(f"actions must be a non-negative int, got {actions!r}")
        if isinstance(p_send, bool) or not isinstance(p_send, (int, float)) \
                or not 0.0 <= p_send <= 1.0:
            raise ValueError(f"p_send must be a probability in [0, 1], got {p_send!r}")
        self.actions = actions
        self.p_send = float(p_send)
        self.gap = _check_gap(gap)
        if script is not None:
            script = [self._check_step(step) for step in script]
        self.script = script
        self.done = 0
        self.sent = 0

    @staticmethod
    def _check_step(step: Any) -> tuple[float, str]:
        if (not isinstance(step, (tuple, list)) or len(step) != 2
                or not isinstance(step[0], (int, float)) or isinstance(step[0], bool)
                or not isinstance(step[1], str)):
            raise TypeError(f"a script step is (time, 'local' or a node id), got {step!r}")
        if step[0] < 0:
            raise ValueError(f"script times must be >= 0, got {step!r}")
        return float(step[0]), step[1]

    # --- the workload -------------------------------------------------------------------
    def on_start(self) -> None:
        self.recover()
        if self.script is not None:
            for i, (t, what) in enumerate(self.script):
                if what != "local" and what not in self.peers:
                    raise ValueError(f"script step {i} of {self.id}: {what!r} is neither "
                                     f"'local' nor a peer ({', '.join(self.peers)})")
                if t >= self.now:
                    self.set_timer(t - self.now, "act", what)
        elif self.actions:
            self.set_timer(self.rng.uniform(*self.gap), "act")

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "act":
            return
        self.done += 1
        if payload is not None:  # scripted
            what = payload
        elif self.peers and self.rng.random() < self.p_send:
            what = self.rng.choice(self.peers)
        else:
            what = "local"
        if what == "local":
            self.local_event()
        else:
            self.sent += 1
            self.send_event(what, f"{self.id}/{self.sent}")
        if self.script is None and self.done < self.actions:
            self.set_timer(self.rng.uniform(*self.gap), "act")

    # --- what subclasses define -------------------------------------------------------------
    def recover(self) -> None:
        """(Re)initialise the clock, from durable storage where the subclass keeps it."""

    def local_event(self) -> None:
        raise NotImplementedError

    def send_event(self, dst: str, body: str) -> None:
        raise NotImplementedError


class LamportNode(ClockNode):
    """A process with a Lamport clock (Lamport 1978, section 3).

    IR1: the clock ticks between any two events of the process. IR2: a message carries
    the sender's timestamp ``Tm``; the receiver sets its clock past ``max(C, Tm)``.

    ``durable=True`` makes the clock survive crashes: before a timestamp above the
    persisted bound is used, the node writes a new bound (``reserve`` values ahead), and
    a restarted node starts from the bound. ``reserve=1`` writes on every event.
    """

    def __init__(self, *, durable: bool = False, reserve: int = 1, **workload: Any) -> None:
        super().__init__(**workload)
        if not isinstance(durable, bool):
            raise TypeError(f"durable must be True or False, got {durable!r}")
        if isinstance(reserve, bool) or not isinstance(reserve, int) or reserve < 1:
            raise ValueError(f"reserve must be an int >= 1, got {reserve!r}")
        self.durable = durable
        self.reserve = reserve
        self.lamport = LamportClock()
        self.bound = 0

    def recover(self) -> None:
        start = self.storage.get("bound", 0) if self.durable else 0
        self.lamport = LamportClock(start)
        self.bound = start

    def _issue(self, t: int) -> int:
        """Persist a new bound before timestamp ``t`` is used, if ``t`` is above it."""
        if self.durable and t > self.bound:
            self.bound = t + self.reserve - 1
            self.storage["bound"] = self.bound
        return t

    def local_event(self) -> None:
        t = self._issue(self.lamport.tick())             # IR1
        self.output("local", t)

    def send_event(self, dst: str, body: str) -> None:
        t = self._issue(self.lamport.send())             # IR1; IR2(a): Tm = C(send)
        self.send(dst, Message(body, t))

    def on_message(self, src: str, msg: Message) -> None:
        t = self._issue(self.lamport.receive(msg.timestamp))   # IR2(b)
        self.output("receive", t)

    def state(self) -> dict[str, Any]:
        return {"C": self.lamport.time, "actions": self.done}


class VectorNode(ClockNode):
    """A process with a vector clock (Fidge 1988; Mattern 1989).

    Every event increments the process's own entry; a message carries the sender's
    vector; a receive first merges (entry-wise maximum), then increments.

    ``persist`` says what survives a crash: ``"nothing"`` (the vector restarts empty),
    ``"own entry"`` (only this node's counter, which is *not* enough) or ``"vector"``
    (the whole vector, written at every event).
    """

    def __init__(self, *, persist: Literal["nothing", "own entry", "vector"] = "nothing",
                 **workload: Any) -> None:
        super().__init__(**workload)
        if persist not in PERSIST_MODES:
            raise ValueError(f"persist must be one of {list(PERSIST_MODES)}, got {persist!r}")
        self.persist = persist
        self.vector = VectorClock()

    def recover(self) -> None:
        if self.persist == "vector":
            self.vector = VectorClock(self.storage.get("vector", {}))
        elif self.persist == "own entry":
            self.vector = VectorClock({self.id: self.storage.get("own", 0)})
        else:
            self.vector = VectorClock()

    def _event(self, received: VectorClock | None = None) -> VectorClock:
        """One event: merge what was received (if anything), then tick our own entry."""
        v = self.vector if received is None else self.vector.merge(received)
        self.vector = v.increment(self.id)
        if self.persist == "vector":
            self.storage["vector"] = self.vector.as_dict()
        elif self.persist == "own entry":
            self.storage["own"] = self.vector[self.id]
        return self.vector

    def local_event(self) -> None:
        self.output("local", self._event())

    def send_event(self, dst: str, body: str) -> None:
        self.send(dst, VectorMessage(body, self._event()))

    def on_message(self, src: str, msg: VectorMessage) -> None:
        self.output("receive", self._event(msg.timestamp))

    def state(self) -> dict[str, Any]:
        return {"V": str(self.vector), "actions": self.done}


def read_stamps(source: Any, hb: HappensBefore | None = None) -> dict[str, Any]:
    """``{event id: timestamp}`` for every event whose timestamp the trace shows.

    Sends: the message's ``timestamp`` field. Receives: the first ``output("receive",
    ...)`` of the receiving node in the handler that the delivery ran. Local events:
    the value of their ``output("local", ...)``. ``hb`` defaults to
    ``HappensBefore.from_trace(source)``.
    """
    events = _events_of(source)
    if hb is None:
        hb = HappensBefore.from_trace(events)
    elif not isinstance(hb, HappensBefore):
        raise TypeError(f"hb must be a HappensBefore, got {hb!r}")
    stamps: dict[str, Any] = {}
    for ev in hb.events:
        row = events[ev.index]
        if ev.kind == "send":
            if hasattr(row.msg, "timestamp"):
                stamps[ev.id] = row.msg.timestamp
        elif ev.kind == "local":
            stamps[ev.id] = row.msg
        else:
            # The handler's rows follow the deliver row: outputs, notes, durable writes.
            for later in events[ev.index + 1:]:
                if later.node != ev.node or later.kind not in ("output", "annotate",
                                                               "persist"):
                    break
                if later.kind == "output" and later.info == "receive":
                    stamps[ev.id] = later.msg
                    break
    return stamps
