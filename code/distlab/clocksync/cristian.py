"""Cristian's algorithm: read a time server's clock over the network (Cristian 1989).

A client sends ``TimeRequest`` at its clock reading ``t0``; the server answers with its
clock reading ``T``; the reply arrives at the client's reading ``t1``. The round trip
``rtt = t1 - t0`` bounds how old ``T`` can be, so the server's clock, when the reply
arrives, lies in an interval whose midpoint is the estimate and whose half-width is the
error (Cristian 1989, section 3, with drift bound ``rho`` and minimum one-way delay
``min_delay``)::

    D = rtt / 2
    estimate = T + D * (1 + 2 * rho) - min_delay * rho        (~ T + rtt / 2)
    error    = D * (1 + 2 * rho) - min_delay                  (~ rtt / 2 - min_delay)

The estimate is exact only when both directions take equally long; the error bound
holds however the round trip is split. Short round trips give tight bounds, so a
client takes several samples and keeps the one with the smallest ``rtt``; Cristian's
*probabilistic* rule stops at the first sample whose ``rtt`` is below a threshold
``max_rtt`` (the bound is then guaranteed; only the number of attempts is random).

Taught in notebook 1.4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..sim import Node
from .discipline import DisciplinedNode

__all__ = ["TimeRequest", "TimeReply", "CristianSample", "cristian_estimate",
           "TimeServer", "CristianClient"]


@dataclass(frozen=True, slots=True)
class TimeRequest:
    """Client to server: "what time is it?" (``seq`` pairs the reply with the request)."""

    seq: int


@dataclass(frozen=True, slots=True)
class TimeReply:
    """Server to client: the server's clock reading ``T`` when it answered."""

    seq: int
    T: float


@dataclass(frozen=True, slots=True)
class CristianSample:
    """One measurement: the correction to add to the client's clock, and its error bound.

    ``offset`` is the estimated *server minus client* at the client's reading ``t1``;
    the true value lies in ``[offset - error, offset + error]``.
    """

    t0: float
    t1: float
    T: float
    rtt: float
    offset: float
    error: float

    def __repr__(self) -> str:
        return (f"CristianSample(rtt={self.rtt:.3f}, offset={self.offset:+.3f}, "
                f"error=±{self.error:.3f})")


def _num(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _checked(t0: object, t1: object, T: object, min_delay: object,
             rho: object) -> tuple[float, float, float, float, float]:
    t0, t1, T = _num("t0", t0), _num("t1", t1), _num("T", T)
    min_delay, rho = _num("min_delay", min_delay), _num("rho", rho)
    if t1 < t0:
        raise ValueError(f"t1 must not be before t0 (the reply arrives after the request "
                         f"left), got t0={t0}, t1={t1}")
    if min_delay < 0 or not 0 <= rho < 1:
        raise ValueError(f"need min_delay >= 0 and 0 <= rho < 1, got {min_delay}, {rho}")
    return t0, t1, T, min_delay, rho


def cristian_estimate(t0: float, t1: float, T: float, *, min_delay: float = 0.0,
                      rho: float = 0.0) -> CristianSample:
    """Cristian's estimate of the server's clock from one round trip (1989, section 3).

    ``t0``/``t1``: client readings at send and receive; ``T``: the server's reading in
    the reply; ``min_delay``: a known lower bound on each one-way delay; ``rho``: the
    clocks' drift bound.
    """
    t0, t1, T, min_delay, rho = _checked(t0, t1, T, min_delay, rho)
    half = (t1 - t0) / 2
    estimate = T + half * (1 + 2 * rho) - min_delay * rho
    error = max(0.0, half * (1 + 2 * rho) - min_delay)
    return CristianSample(t0, t1, T, t1 - t0, estimate - t1, error)


class TimeServer(Node):
    """Answers every ``TimeRequest`` with its clock reading (a passive time server)."""

    def on_message(self, src: str, msg: object) -> None:
        if isinstance(msg, TimeRequest):
            self.send(src, TimeReply(msg.seq, self.clock()))


class CristianClient(DisciplinedNode):
    """Synchronises with ``server`` by Cristian's algorithm, in rounds.

    Each round sends up to ``samples`` requests, one every ``interval`` (client clock);
    every reply becomes a ``CristianSample`` (trace output ``"sample"``). A round ends
    early at the first sample with ``rtt <= max_rtt`` (Cristian's rule: a round with
    no such sample fails and changes nothing) or, after the last request, when
    ``interval`` passes; then the sample with the smallest ``rtt`` is applied (output
    ``"sync"``) by stepping (``adjust="step"``) or slewing (``"slew"``) the clock, or
    not at all (``None``: only measure). With ``period`` set, a new round starts
    ``period`` after the previous one began. Replies to requests of an earlier round,
    and duplicates, are ignored.
    """

    def __init__(self, server: str, *, samples: int = 8, interval: float = 100.0,
                 min_delay: float = 0.0, rho: float = 0.0, max_rtt: float | None = None,
                 adjust: str | None = "step", period: float | None = None,
                 **discipline: float) -> None:
        super().__init__(**discipline)
        if not isinstance(server, str) or not server:
            raise TypeError(f"server must be a node id, got {server!r}")
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ValueError(f"samples must be an int >= 1, got {samples!r}")
        if adjust not in ("step", "slew", None):
            raise ValueError(f"adjust must be 'step', 'slew' or None, got {adjust!r}")
        for name, v in (("interval", interval), ("min_delay", min_delay), ("rho", rho)):
            if _num(name, v) < 0:
                raise ValueError(f"{name} must be >= 0, got {v!r}")
        if interval <= 0:
            raise ValueError(f"interval must be > 0, got {interval!r}")
        if max_rtt is not None and _num("max_rtt", max_rtt) <= 0:
            raise ValueError(f"max_rtt must be > 0 or None, got {max_rtt!r}")
        if period is not None and _num("period", period) <= samples * interval:
            raise ValueError(f"period must be longer than a round "
                             f"(samples * interval = {samples * interval:g}), got {period!r}")
        self.server, self.samples, self.interval = server, samples, float(interval)
        self.min_delay, self.rho, self.max_rtt = float(min_delay), float(rho), max_rtt
        self.adjust, self.period = adjust, period
        self.round = 0
        self.seq = 0
        self.sent_in_round = 0
        self.outstanding: dict[int, float] = {}
        self.collected: list[CristianSample] = []
        self.best: CristianSample | None = None

    def on_start(self) -> None:
        super().on_start()
        self.start_round()

    def start_round(self) -> None:
        self.round += 1
        self.sent_in_round = 0
        self.collected = []
        self.outstanding.clear()
        self.request()
        if self.period is not None:
            self.set_timer(self.period, "round")

    def request(self) -> None:
        self.seq += 1
        self.sent_in_round += 1
        self.outstanding[self.seq] = self.clock()
        self.send(self.server, TimeRequest(self.seq))
        self.set_timer(self.interval, "next", self.round)

    def on_message(self, src: str, msg: object) -> None:
        if not isinstance(msg, TimeReply) or msg.seq not in self.outstanding:
            return  # a late or duplicated reply
        t0 = self.outstanding.pop(msg.seq)
        sample = cristian_estimate(t0, self.clock(), msg.T, min_delay=self.min_delay,
                                   rho=self.rho)
        self.collected.append(sample)
        self.output("sample", sample)
        if self.max_rtt is not None and sample.rtt <= self.max_rtt:
            self.finish_round()

    def on_timer(self, name: str, payload: object) -> None:
        if name == "next":
            if payload != self.round:
                return
            if self.sent_in_round < self.samples:
                self.request()
            else:
                self.finish_round()
        elif name == "round":
            self.start_round()
        else:
            super().on_timer(name, payload)

    def finish_round(self) -> None:
        self.cancel_timer("next")
        self.outstanding.clear()
        if not self.collected:
            self.annotate("no reply")
            return
        best = min(self.collected, key=lambda s: s.rtt)
        self.collected = []
        if self.max_rtt is not None and best.rtt > self.max_rtt:
            self.annotate("no fast reply")  # Cristian: the attempt failed; try next round
            return
        self.best = best
        self.output("sync", best)
        if self.adjust == "step":
            self.step_clock(best.offset)
        elif self.adjust == "slew":
            self.slew_clock(best.offset)
