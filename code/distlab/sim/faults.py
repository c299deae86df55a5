"""Faults as declared data: a ``FaultPlan`` and the injector that carries it out.

A plan says *how* the world misbehaves (TigerBeetle's ``packet_simulator.zig`` and
Jepsen's nemeses); the simulation's seed says *exactly when and where*. Scripted
faults for stories (``crash``, ``restart``, ``partition``, ``isolate``, ``cut``, ``heal``)
are methods of ``Simulation``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _check
from .latency import Latency, Uniform, as_latency
from .randomness import child_stream

if TYPE_CHECKING:  # pragma: no cover
    from .simulation import Simulation

__all__ = ["FaultPlan", "FaultInjector", "PARTITION_MODES"]

PARTITION_MODES = ("halves", "isolate", "random")


@dataclass(frozen=True)
class FaultPlan:
    """Random faults, drawn from the simulation's seed.

    Parameters
    ----------
    loss, duplicate, reorder
        Network probabilities in force while the plan runs (``None``, the default:
        leave the network's own setting alone).
    latency
        A delay distribution that replaces the network's while the plan runs.
    partition_every
        Mean time between partitions (exponentially distributed); ``None``: no partitions.
    partition_duration
        How long each partition lasts.
    partition_mode
        ``"halves"`` (two random halves), ``"isolate"`` (one random node alone) or
        ``"random"`` (two or three random groups).
    crash_every
        Mean time between crashes; ``None``: no crashes.
    restart_after
        Downtime after a crash; ``None``: crashed nodes stay down (crash-stop) until
        the plan ends.
    max_crashed
        At most this many of the plan's nodes down at once (e.g. ``f``).
    """

    loss: float | None = None
    duplicate: float | None = None
    reorder: float | None = None
    latency: Any = None
    partition_every: float | None = None
    partition_duration: Any = field(default_factory=lambda: Uniform(50.0, 200.0))
    partition_mode: str = "halves"
    crash_every: float | None = None
    restart_after: Any = field(default_factory=lambda: Uniform(20.0, 100.0))
    max_crashed: int | None = None

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate", "reorder"):
            if getattr(self, name) is not None:
                _check.probability(name, getattr(self, name))
        if self.latency is not None:
            object.__setattr__(self, "latency", as_latency("latency", self.latency))
        if self.partition_every is not None:
            _check.number("partition_every", self.partition_every, minimum=0.0, strict_min=True)
        object.__setattr__(self, "partition_duration",
                           as_latency("partition_duration", self.partition_duration))
        _check.one_of("partition_mode", self.partition_mode, PARTITION_MODES)
        if self.crash_every is not None:
            _check.number("crash_every", self.crash_every, minimum=0.0, strict_min=True)
        if self.restart_after is not None:
            object.__setattr__(self, "restart_after",
                               as_latency("restart_after", self.restart_after))
        if self.max_crashed is not None:
            _check.integer("max_crashed", self.max_crashed, minimum=0)


class FaultInjector:
    """Schedules a plan's faults into a simulation (use ``Simulation.apply``)."""

    def __init__(self, sim: "Simulation", plan: FaultPlan, *, start: float, until: float,
                 nodes: Iterable[str] | None, heal_at_end: bool) -> None:
        self.sim = sim
        self.plan = plan
        self.start = _check.number("start", start, minimum=sim.now)
        self.until = _check.number("until", until, minimum=self.start)
        if nodes is None:
            self.nodes = list(sim.node_ids)
        else:
            if isinstance(nodes, str):
                raise TypeError("nodes must be a list of node ids, not a string")
            self.nodes = [_check.known_node("nodes", n, sim.node_ids) for n in nodes]
        if not self.nodes:
            raise ValueError("a fault plan needs at least one node to act on; add nodes first")
        self.heal_at_end = heal_at_end
        # The n-th plan applied to this simulation draws from stream "faults/n".
        sim._plans_applied += 1
        self.rng = child_stream(sim.seed, "faults", str(sim._plans_applied))
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        sim, plan = self.sim, self.plan
        sim.at(self.start, self._begin)
        if plan.partition_every is not None:
            self._schedule_partition(self.start)
        if plan.crash_every is not None:
            self._schedule_crash(self.start)
        sim.at(self.until, self._end)

    # network probabilities --------------------------------------------------------------
    def _begin(self) -> None:
        net, plan = self.sim.network, self.plan
        self._saved = {}
        for name in ("loss", "duplicate", "reorder", "latency"):
            value = getattr(plan, name)
            if value is not None:
                self._saved[name] = getattr(net, name)
                setattr(net, name, value)

    def _end(self) -> None:
        sim = self.sim
        for k, v in self._saved.items():
            setattr(sim.network, k, v)
        if self.heal_at_end:
            sim._heal()
            for n in self.nodes:
                sim._restart(n)

    # partitions ---------------------------------------------------------------------------
    def _schedule_partition(self, after: float) -> None:
        t = after + self.rng.expovariate(1.0 / self.plan.partition_every)
        if t < self.until:
            self.sim.at(t, self._partition)

    def _partition(self) -> None:
        rng, nodes = self.rng, list(self.nodes)
        mode = self.plan.partition_mode
        if len(nodes) < 2:
            return
        if mode == "isolate":
            groups = [[rng.choice(nodes)]]
        elif mode == "halves":
            rng.shuffle(nodes)
            half = len(nodes) // 2
            groups = [sorted(nodes[:half]), sorted(nodes[half:])]
        else:
            k = rng.choice((2, 3)) if len(nodes) >= 3 else 2
            assignment: dict[int, list[str]] = {}
            for n in nodes:
                assignment.setdefault(rng.randrange(k), []).append(n)
            groups = [g for _, g in sorted(assignment.items())]
        # Nodes outside the plan (clients, say) are not cut off from everyone: each
        # joins a random side.
        others = [n for n in self.sim.node_ids if n not in self.nodes]
        if others:
            if mode == "isolate":
                groups.append([n for n in self.nodes if n not in groups[0]])
            for n in others:
                groups[rng.randrange(len(groups))].append(n)
        self.sim._partition(tuple(tuple(g) for g in groups))
        end = min(self.until, self.sim.now + self.plan.partition_duration.sample(rng))
        self.sim.at(end, self._heal_then_next)

    def _heal_then_next(self) -> None:
        self.sim._heal()
        self._schedule_partition(self.sim.now)

    # crashes ----------------------------------------------------------------------------------
    def _schedule_crash(self, after: float) -> None:
        t = after + self.rng.expovariate(1.0 / self.plan.crash_every)
        if t < self.until:
            self.sim.at(t, self._crash)

    def _crash(self) -> None:
        sim, plan, rng = self.sim, self.plan, self.rng
        up = [n for n in self.nodes if sim._nodes[n] is not None]
        down = len(self.nodes) - len(up)
        if up and (plan.max_crashed is None or down < plan.max_crashed):
            victim = rng.choice(up)
            sim._crash(victim, True)
            if plan.restart_after is not None:
                back = sim.now + plan.restart_after.sample(rng)
                if back < self.until:
                    sim.at(back, sim._restart, victim)
        self._schedule_crash(sim.now)
