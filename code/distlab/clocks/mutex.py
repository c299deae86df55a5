"""Lamport's mutual exclusion algorithm: the paper's own use of the total order.

Lamport (1978, section 3) orders all events totally by ``(C, process id)`` (the
relation ``=>``) and uses it to grant a resource, with no central scheduler, in the
order in which it was requested. Each process keeps a *request queue*:

1. To request the resource, ``Pi`` sends ``Tm:Pi requests resource`` to every other
   process and puts it on its own queue (``Tm`` is the message's timestamp).
2. When ``Pj`` receives it, it puts it on its queue and sends ``Pi`` a timestamped
   acknowledgment.
3. To release the resource, ``Pi`` removes its request from its queue and sends a
   timestamped ``Pi releases resource`` message to every other process.
4. When ``Pj`` receives that release, it removes ``Pi``'s request from its queue.
5. ``Pi`` is granted the resource when (i) its request is ordered before every other
   request in its queue by ``=>``, and (ii) it has received a message from every other
   process timestamped later than ``Tm``.

The paper assumes that messages between two processes arrive in the order sent and
are never lost: run it on ``Network(fifo=True)`` with no loss. Each use of the
resource costs ``3(N - 1)`` messages. The paper starts with one process holding the
resource; here nobody holds it at first, which rule 5 handles just as well.

Nodes report ``output("enter", ts)`` and ``output("exit", ts)`` (``ts`` the
``LamportTimestamp`` of the request), and :func:`mutex_violations` checks the trace.
Taught in notebook 1.2.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from .causality import _events_of
from .lamport import LamportClock, LamportTimestamp
from .nodes import _check_gap

__all__ = ["Request", "Ack", "Release", "LamportMutex", "mutex_violations",
           "mutex_entries"]


@dataclass(frozen=True, slots=True)
class Request:
    """``Tm:Pi requests resource`` (rule 1)."""

    timestamp: int


@dataclass(frozen=True, slots=True)
class Ack:
    """The timestamped acknowledgment of a request (rule 2)."""

    timestamp: int


@dataclass(frozen=True, slots=True)
class Release:
    """``Pi releases resource`` (rule 3)."""

    timestamp: int


class LamportMutex(Node):
    """A process that wants the resource ``rounds`` times, holding it ``hold`` each time.

    Between uses it "thinks" for a time drawn from ``think``. All times are simulated.
    """

    def __init__(self, *, rounds: int = 2, think: tuple[float, float] = (1.0, 30.0),
                 hold: tuple[float, float] = (2.0, 6.0)) -> None:
        if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
            raise ValueError(f"rounds must be a non-negative int, got {rounds!r}")
        self.rounds = rounds
        self.think = _check_gap(think)
        self.hold = _check_gap(hold)
        self.lamport = LamportClock()
        self.queue: list[LamportTimestamp] = []      # the request queue, sorted by =>
        self.latest: dict[str, int] = {}             # latest timestamp heard from each peer
        self.mine: LamportTimestamp | None = None    # our pending or granted request
        self.holding = False
        self.used = 0

    def on_start(self) -> None:
        self.latest = {p: 0 for p in self.peers}
        if self.rounds:
            self.set_timer(self.rng.uniform(*self.think), "want")

    # rule 1
    def request(self) -> None:
        t = self.lamport.send()
        self.mine = LamportTimestamp(t, self.id)
        bisect.insort(self.queue, self.mine)
        self.broadcast(Request(t))

    # rule 3
    def release(self) -> None:
        assert self.holding and self.mine is not None
        self.output("exit", self.mine)
        self.queue.remove(self.mine)
        self.holding, self.mine = False, None
        self.used += 1
        self.broadcast(Release(self.lamport.send()))
        if self.used < self.rounds:
            self.set_timer(self.rng.uniform(*self.think), "want")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "want":
            self.request()
        elif name == "done":
            self.release()

    def on_message(self, src: str, msg: Any) -> None:
        self.lamport.receive(msg.timestamp)
        self.latest[src] = max(self.latest.get(src, 0), msg.timestamp)
        if isinstance(msg, Request):            # rule 2
            bisect.insort(self.queue, LamportTimestamp(msg.timestamp, src))
            self.send(src, Ack(self.lamport.send()))
        elif isinstance(msg, Release):          # rule 4
            self.queue = [r for r in self.queue if r.node != src]
        self.try_enter()

    # rule 5
    def granted(self) -> bool:
        """Rule 5: our request heads the queue, and everyone has spoken since ``Tm``."""
        return (self.mine is not None and not self.holding and bool(self.queue)
                and self.queue[0] == self.mine
                and all(self.latest.get(p, 0) > self.mine.time for p in self.peers))

    def try_enter(self) -> None:
        if self.granted():
            self.holding = True
            self.output("enter", self.mine)
            self.set_timer(self.rng.uniform(*self.hold), "done")

    def state(self) -> dict[str, Any]:
        return {"C": self.lamport.time, "queue": " ".join(map(str, self.queue)),
                "holding": self.holding, "used": self.used}


def mutex_entries(source: Any) -> list[tuple[float, float | None, str, LamportTimestamp]]:
    """``(enter_time, exit_time, node, request)`` for every use of the resource."""
    open_: dict[str, tuple[float, LamportTimestamp]] = {}
    uses = []
    for e in _events_of(source):
        if e.kind != "output":
            continue
        if e.info == "enter":
            open_[e.node] = (e.time, e.msg)
        elif e.info == "exit" and e.node in open_:
            t0, ts = open_.pop(e.node)
            uses.append((t0, e.time, e.node, ts))
    uses.extend((t0, None, n, ts) for n, (t0, ts) in open_.items())
    return sorted(uses, key=lambda u: (u[0], u[2]))


def mutex_violations(source: Any) -> list[str]:
    """Safety of the run: nobody enters while another holds the resource, and the
    resource is granted in the order ``=>`` of the requests (Lamport 1978, section 3,
    conditions I and II). Returns descriptions of what went wrong (empty: safe)."""
    problems = []
    holder: tuple[str, LamportTimestamp] | None = None
    last: LamportTimestamp | None = None
    for e in _events_of(source):
        if e.kind != "output" or e.info not in ("enter", "exit"):
            continue
        if e.info == "enter":
            if holder is not None:
                problems.append(f"t={e.time:.2f}: {e.node} entered while {holder[0]} "
                                f"held the resource")
            if last is not None and e.msg < last:
                problems.append(f"t={e.time:.2f}: request {e.msg} granted after the "
                                f"later request {last}")
            holder = (e.node, e.msg)
            last = e.msg if last is None or e.msg > last else last
        elif holder is not None and holder[0] == e.node:
            holder = None
    return problems
