"""A heartbeat failure detector with increasing timeouts.

Every node sends ``Heartbeat(seq)`` to the nodes that watch it, every ``period`` time
units. A monitor keeps one timer per watched peer; the timer is re-armed whenever a
heartbeat from that peer arrives. When it fires, the monitor *suspects* the peer;
when a heartbeat from a suspected peer arrives after all, the monitor *restores* it
and, having learnt that its timeout was too short, lengthens that peer's timeout by
``increase``.

- With ``increase=0`` and a timeout above the delay bound of a synchronous system,
  this is Cachin, Guerraoui & Rodrigues's "Exclude on Timeout" perfect detector
  (2011, §2.6.2): no live node is ever suspected, every crashed node eventually is.
- With ``increase > 0`` it is their "Increasing Timeout" eventually perfect detector
  ◇P (§2.6.5): in a partially synchronous system (Dwork, Lynch & Stockmeyer 1988)
  each mistake lengthens the timeout, so after the global stabilisation time only
  finitely many mistakes remain.
- In an asynchronous system no timeout is safe: a slow heartbeat and a dead node
  look the same (Fischer, Lynch & Paterson 1985; Chandra & Toueg 1996).

The detector reports its verdicts as outputs in the trace: ``output("suspect", peer)``
and ``output("restore", peer)``; ``distlab.detectors.analysis`` judges them.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..sim import Node

__all__ = ["Heartbeat", "HeartbeatDetector"]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """"I am alive": the ``seq``-th heartbeat of its sender."""

    seq: int

    def __repr__(self) -> str:
        return f"Heartbeat({self.seq})"


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return value


def _ids(name: str, value: Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of node ids such as ['n1'], not the string "
                        f"{value!r}")
    out = tuple(value)
    for v in out:
        if not isinstance(v, str) or not v:
            raise TypeError(f"{name} must hold node ids (non-empty str), got {v!r}")
    return out


class HeartbeatDetector(Node):
    """Sends heartbeats to ``send_to`` and suspects silent peers among ``watch``.

    Parameters
    ----------
    period
        Time between two heartbeats (on this node's clock).
    timeout
        Initial timeout per watched peer: silence longer than this means "suspect".
    increase
        How much a peer's timeout grows after each false suspicion of it (a heartbeat
        from a peer it suspected). ``0`` keeps the timeout fixed.
    send_to, watch
        Whom to send heartbeats to, and whom to monitor (default: every other node).
        ``()`` means nobody: a node that only sends, or only monitors.
    """

    def __init__(self, period: float = 10.0, timeout: float = 30.0, increase: float = 0.0,
                 send_to: Iterable[str] | None = None,
                 watch: Iterable[str] | None = None) -> None:
        self.period = _positive("period", period)
        self.initial_timeout = _positive("timeout", timeout)
        self.increase = _positive("increase", increase, allow_zero=True)
        self._send_to = _ids("send_to", send_to)
        self._watch = _ids("watch", watch)
        self.seq = 0
        self.timeouts: dict[str, float] = {}
        self.suspected: list[str] = []   # kept sorted: printed in state tables
        self._last_heard: dict[str, float] = {}
        self._armed: set[str] = set()

    # --- the node's life ----------------------------------------------------------
    def on_start(self) -> None:
        watch = self.peers if self._watch is None else self._watch
        for p in watch:
            if p not in self.nodes or p == self.id:
                raise ValueError(f"watch={watch!r}: {p!r} is not another node of the "
                                 f"simulation")
        self.timeouts = {p: self.initial_timeout for p in watch}
        self._last_heard = {p: self.clock() for p in watch}
        if self._send_to is None or self._send_to:
            self.beat()
        for p in self.timeouts:
            self.arm(p)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "heartbeat":
            self.beat()
        elif name == "timeout" and payload in self.timeouts:
            self._armed.discard(payload)
            self.check(payload)

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Heartbeat) and src in self.timeouts:
            self.heard_from(src)

    # --- the rule -----------------------------------------------------------------
    def beat(self) -> None:
        """Send one heartbeat to everyone who watches this node; schedule the next."""
        targets = self.peers if self._send_to is None else self._send_to
        for p in targets:
            self.send(p, Heartbeat(self.seq))
        self.seq += 1
        self.set_timer(self.period, "heartbeat")

    def heard_from(self, peer: str) -> None:
        """A heartbeat arrived: ``peer`` is alive. A suspicion of it was a mistake."""
        self._last_heard[peer] = self.clock()
        if peer in self.suspected:
            self.suspected.remove(peer)
            self.timeouts[peer] += self.increase   # learn: the timeout was too short
            self.output("restore", peer)
        self.arm(peer)

    def check(self, peer: str) -> None:
        """The timer of ``peer`` fired: suspect it if it has been silent too long."""
        silence = self.clock() - self._last_heard[peer]
        if silence >= self.timeouts[peer] - 1e-9:
            if peer not in self.suspected:
                self.suspected.append(peer)
                self.suspected.sort()
                self.output("suspect", peer)
        else:
            self.arm(peer)            # heard from it since: wait for the rest

    def arm(self, peer: str) -> None:
        """Make sure a timer will fire when ``peer``'s silence reaches its timeout.

        One timer per peer at a time: a heartbeat only records when it arrived, and
        the timer, when it fires, re-arms itself for what is left (cheaper than
        cancelling and setting a timer on every heartbeat, and the same verdicts).
        """
        if peer in self._armed or peer in self.suspected:
            return
        left = self._last_heard[peer] + self.timeouts[peer] - self.clock()
        self._armed.add(peer)
        self.set_timer(max(0.0, left), "timeout", peer)

    def state(self) -> dict[str, Any]:
        return {"suspected": list(self.suspected),
                "timeouts": {p: round(t, 1) for p, t in self.timeouts.items()}}
