"""The Berkeley algorithm: a master averages everyone's clock (Gusella & Zatti 1989).

TEMPO, the time service of 4.3BSD UNIX, needs no accurate clock anywhere: it keeps a
group of machines *close to each other*. Each round (Gusella & Zatti 1989, section 2):

1. the master sends every slave a ``ClockQuery`` and times the round trip;
2. each slave answers with its clock reading (``ClockReading``);
3. the master estimates each slave's difference from its own clock, compensating half
   the round trip as Cristian does: ``diff = T_slave + rtt / 2 - t_master``;
4. it computes a **fault-tolerant average** of the differences (its own counts as 0):
   the average over the largest group of clocks that agree within ``tolerance``, so a
   wildly wrong clock cannot drag the others;
5. it sends each slave the *relative* correction ``average - diff`` (``ClockAdjust``)
   and corrects itself by ``average``. A relative correction does not go stale in
   transit, unlike an absolute time.

Slaves whose reply does not come back within ``timeout`` are left out of the round.
TEMPO slewed corrections in with ``adjtime``; ``adjust="step"`` steps instead.

Taught in notebook 1.4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .discipline import DisciplinedNode

__all__ = ["ClockQuery", "ClockReading", "ClockAdjust", "BerkeleyRound",
           "fault_tolerant_average", "BerkeleyMaster", "BerkeleySlave"]


@dataclass(frozen=True, slots=True)
class ClockQuery:
    """Master to slave: "send me your clock" (round ``round``)."""

    round: int


@dataclass(frozen=True, slots=True)
class ClockReading:
    """Slave to master: the slave's clock reading ``T`` when it answered."""

    round: int
    T: float


@dataclass(frozen=True, slots=True)
class ClockAdjust:
    """Master to slave: add ``delta`` to your clock."""

    round: int
    delta: float


@dataclass(frozen=True, slots=True)
class BerkeleyRound:
    """What the master decided in one round (trace output ``"round"``)."""

    round: int
    diffs: tuple[tuple[str, float], ...]     # estimated (node, clock - master clock)
    used: tuple[str, ...]                     # the nodes averaged
    average: float

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}:{d:+.2f}" for n, d in self.diffs)
        return f"BerkeleyRound({self.round}, average={self.average:+.3f}, diffs=[{shown}])"


def _check_diffs(diffs: object, tolerance: object) -> None:
    if not isinstance(diffs, Mapping) or not diffs:
        raise ValueError("diffs must be a non-empty mapping {node: difference}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
            or math.isnan(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a number >= 0 (or math.inf), got {tolerance!r}")
    for n, d in diffs.items():
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not math.isfinite(d):
            raise ValueError(f"diffs[{n!r}] must be a finite number, got {d!r}")


def fault_tolerant_average(diffs: Mapping[str, float], tolerance: float) -> tuple[float, list[str]]:
    """Average of the largest group of ``diffs`` that lie within ``tolerance`` of each other.

    Returns ``(average, members)``. Among equally large groups the one with the smaller
    spread wins, then the one that comes first in sorted order, so the result is
    deterministic. ``tolerance=math.inf`` gives the plain average of everyone.
    """
    _check_diffs(diffs, tolerance)
    items = sorted(diffs.items(), key=lambda kv: (kv[1], kv[0]))
    best: tuple[int, float, int, int] | None = None   # (-size, spread, i, j)
    j = 0
    for i in range(len(items)):                       # window [i, j] over sorted diffs
        j = max(j, i)
        while j + 1 < len(items) and items[j + 1][1] - items[i][1] <= tolerance:
            j += 1
        key = (-(j - i + 1), items[j][1] - items[i][1], i, j)   # largest, then tightest
        if best is None or key < best:
            best = key
    assert best is not None
    _, _, i, j = best
    members = [n for n, _ in items[i:j + 1]]
    average = sum(d for _, d in items[i:j + 1]) / len(members)
    return average, sorted(members)


class BerkeleyMaster(DisciplinedNode):
    """The TEMPO master: polls ``slaves`` every ``period`` and sends corrections.

    ``tolerance`` is the fault-tolerance threshold of the average; ``timeout`` how
    long to wait for readings (master clock); ``adjust`` is ``"step"`` or ``"slew"``.
    """

    def __init__(self, slaves: Sequence[str], *, period: float = 10_000.0,
                 tolerance: float = 20.0, timeout: float = 200.0, adjust: str = "step",
                 rounds: int | None = None, **discipline: float) -> None:
        super().__init__(**discipline)
        if isinstance(slaves, str) or not slaves:
            raise ValueError("slaves must be a non-empty list of node ids")
        if adjust not in ("step", "slew"):
            raise ValueError(f"adjust must be 'step' or 'slew', got {adjust!r}")
        if not (isinstance(period, (int, float)) and period > 0):
            raise ValueError(f"period must be > 0, got {period!r}")
        if not (isinstance(timeout, (int, float)) and 0 < timeout < period):
            raise ValueError(f"timeout must be > 0 and shorter than period, got {timeout!r}")
        if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, int)
                                   or rounds < 1):
            raise ValueError(f"rounds must be an int >= 1 or None, got {rounds!r}")
        fault_tolerant_average({"x": 0.0}, tolerance)  # validates tolerance
        self.slaves = tuple(slaves)
        self.period, self.tolerance, self.timeout = float(period), tolerance, float(timeout)
        self.adjust, self.rounds = adjust, rounds
        self.round = 0
        self.sent_at = 0.0
        self.readings: dict[str, float] = {}

    def on_start(self) -> None:
        super().on_start()
        # Round numbers must keep growing across a crash: slaves ignore old rounds.
        self.round = self.storage.get("round", 0)
        self.set_timer(self.period, "poll")

    def on_timer(self, name: str, payload: object) -> None:
        if name == "poll":
            self.poll()
        elif name == "collect" and payload == self.round:
            self.collect()
        else:
            super().on_timer(name, payload)

    def poll(self) -> None:
        self.round += 1
        self.storage["round"] = self.round
        self.readings = {}
        self.sent_at = self.clock()
        self.broadcast(ClockQuery(self.round), to=self.slaves)
        self.set_timer(self.timeout, "collect", self.round)
        if self.rounds is None or self.round < self.rounds:
            self.set_timer(self.period, "poll")

    def on_message(self, src: str, msg: object) -> None:
        if isinstance(msg, ClockReading) and msg.round == self.round \
                and src in self.slaves and src not in self.readings:
            now = self.clock()
            rtt = now - self.sent_at
            self.readings[src] = msg.T + rtt / 2 - now

    def collect(self) -> None:
        diffs = {self.id: 0.0, **self.readings}
        average, used = fault_tolerant_average(diffs, self.tolerance)
        self.output("round", BerkeleyRound(self.round, tuple(sorted(diffs.items())),
                                           tuple(used), average))
        for slave in sorted(self.readings):
            self.send(slave, ClockAdjust(self.round, average - self.readings[slave]))
        self.correct(average)

    def correct(self, delta: float) -> None:
        if self.adjust == "step":
            self.step_clock(delta)
        else:
            self.slew_clock(delta)


class BerkeleySlave(DisciplinedNode):
    """A TEMPO slave: reports its clock and applies the master's corrections.

    ``report_error`` adds a constant to every reading it reports: a slave whose clock
    is fine but whose reports are wrong (a faulty time source).
    """

    def __init__(self, *, adjust: str = "step", report_error: float = 0.0,
                 **discipline: float) -> None:
        super().__init__(**discipline)
        if adjust not in ("step", "slew"):
            raise ValueError(f"adjust must be 'step' or 'slew', got {adjust!r}")
        self.adjust = adjust
        self.report_error = float(report_error)
        self.last_round = 0

    def on_start(self) -> None:
        super().on_start()
        # Durable: the clock survives a crash, so must the memory of corrections applied.
        self.last_round = self.storage.get("last_round", 0)

    def on_message(self, src: str, msg: object) -> None:
        if isinstance(msg, ClockQuery):
            self.send(src, ClockReading(msg.round, self.clock() + self.report_error))
        elif isinstance(msg, ClockAdjust):
            if msg.round <= self.last_round:
                return  # a duplicate, or a correction overtaken by a newer one
            self.last_round = msg.round
            self.storage["last_round"] = msg.round
            self.output("adjust", msg.delta)
            if self.adjust == "step":
                self.step_clock(msg.delta)
            else:
                self.slew_clock(msg.delta)
