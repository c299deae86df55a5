"""Drift and skew: how far apart free-running clocks get, and what a world can do to them.

A quartz clock runs at ``1 + rho`` times the rate of true time, ``|rho|`` of the order of
10 to 100 parts per million (ppm) and changing with temperature and age. Two clocks
with drifts ``rho1`` and ``rho2`` drift apart at ``|rho1 - rho2|``, at most ``2 * rho``
for a bound ``rho``; to keep their **skew** below ``delta`` they must be resynchronised
at least every ``delta / (2 * rho)`` (van Steen & Tanenbaum, "Clock synchronization";
Cristian 1989, section 2).

These helpers read clocks as the *world* sees them (``sim.clock(n)``): for pictures
and checkers, never for protocols, which only read their own ``self.clock()``.
Taught in notebook 1.4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ..sim import Simulation

__all__ = ["PPM", "drift_apart", "resync_interval", "offsets", "skew", "max_skew",
           "run_sampling", "schedule_step"]

PPM = 1e-6  #: one part per million


def _nonneg(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return value


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def drift_apart(rho: float, interval: float) -> float:
    """Largest skew two clocks with drift bound ``rho`` reach after ``interval``: 2·rho·interval."""
    return 2 * _nonneg("rho", rho) * _nonneg("interval", interval)


def resync_interval(delta: float, rho: float) -> float:
    """How often clocks with drift bound ``rho`` must resynchronise to stay within ``delta``."""
    rho = _nonneg("rho", rho)
    if rho == 0:
        return math.inf
    return _nonneg("delta", delta) / (2 * rho)


def _nodes(sim: Simulation, nodes: Iterable[str] | None) -> list[str]:
    if not isinstance(sim, Simulation):
        raise TypeError(f"sim must be a distlab.sim.Simulation, got {sim!r}")
    if nodes is None:
        return list(sim.node_ids)
    if isinstance(nodes, str):
        raise TypeError("nodes must be a list of node ids, not a string")
    out = list(nodes)
    for n in out:
        sim.clock(n)  # validates the id
    return out


def offsets(sim: Simulation, t: float | None = None,
            nodes: Iterable[str] | None = None) -> dict[str, float]:
    """``{node: reading - true time}`` at true time ``t`` (default: now)."""
    t = sim.now if t is None else _number("t", t)
    return {n: sim.clock(n).offset_at(t) for n in _nodes(sim, nodes)}


def skew(sim: Simulation, t: float | None = None, nodes: Iterable[str] | None = None) -> float:
    """Largest difference between two of the ``nodes``' clocks at true time ``t``.

    Like ``offsets``, this reads each clock as it is now: for a ``t`` before a step or
    a slew, use ``run_sampling`` instead.
    """
    values = list(offsets(sim, t, nodes).values())
    if not values:
        raise ValueError("skew needs at least one node")
    return max(values) - min(values)


def max_skew(sim: Simulation, times: Sequence[float],
             nodes: Iterable[str] | None = None) -> float:
    """The largest ``skew`` over the sample ``times`` (clocks read as they are now)."""
    return max(skew(sim, t, nodes) for t in times)


def run_sampling(sim: Simulation, until: float, every: float,
                 nodes: Iterable[str] | None = None) -> tuple[list[float], dict[str, list[float]]]:
    """Run ``sim`` to ``until``, reading every node's offset every ``every`` time units.

    Returns ``(times, {node: [offset at each time]})``: the curves of a drift plot.
    Clocks are read during the run, so steps and slews show as they happened.
    """
    names = _nodes(sim, nodes)
    until = _number("until", until)
    every = _nonneg("every", every)
    if every == 0:
        raise ValueError("every must be > 0")
    if until < sim.now:
        raise ValueError(f"until={until} is in the past (now={sim.now})")
    times: list[float] = []
    series: dict[str, list[float]] = {n: [] for n in names}
    t = sim.now
    while True:
        sim.run(until=t)
        times.append(t)
        for n in names:
            series[n].append(sim.clock(n).offset_at(t))
        if t >= until:
            break
        t = min(until, t + every)
    return times, series


def schedule_step(sim: Simulation, node: str, at: float, delta: float) -> None:
    """A fault: at true time ``at``, the world steps ``node``'s clock by ``delta``.

    Models an operator's ``date -s``, a virtual machine resumed from a snapshot, or a
    misbehaving time daemon. A negative ``delta`` sends the clock backwards.
    """
    sim.clock(node)  # validates the id
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not math.isfinite(delta):
        raise ValueError(f"delta must be a finite number, got {delta!r}")

    def step() -> None:
        sim.clock(node).step(sim.now, float(delta))
        sim.annotate(f"clock {delta:+g}", node=node)

    sim.at(at, step)
