"""Timing models as network behaviour: synchronous, asynchronous, partially synchronous.

- **Synchronous**: every message arrives within a bound Δ that the protocol knows
  (in the simulator, ``Network(latency=Uniform(low, high))`` with ``high`` = Δ).
- **Asynchronous**: no bound at all. ``Network(latency=Exponential(...))`` draws each
  delay independently from an unbounded tail; ``Stalls`` adds what makes real networks
  and processes look dead for a while: now and then a link stalls (congestion, a
  paused process) for a heavy-tailed time, and everything sent meanwhile waits.
- **Partially synchronous** (Dwork, Lynch & Stockmeyer 1988, §1): a bound Δ exists but
  holds only from an unknown *global stabilisation time* GST on. ``PartialSynchrony``
  is a network hook that draws delays from an unbounded distribution before GST and
  from a bounded one after, and makes every message sent at time ``t`` arrive by
  ``max(t, GST) + Δ`` (the paper's "bound that holds eventually", in the form later
  papers usually state it).

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

import dataclasses
import math
import random
from typing import TYPE_CHECKING, Any

from ..sim import Constant, Envelope, Uniform, as_latency, child_stream

if TYPE_CHECKING:  # pragma: no cover
    from ..sim import Simulation

__all__ = ["Stalls", "PartialSynchrony", "delay_bound"]


def delay_bound(latency: Any) -> float:
    """The largest delay ``latency`` can produce (``inf`` for an unbounded tail)."""
    latency = as_latency("latency", latency)
    if isinstance(latency, Constant):
        return latency.value
    if isinstance(latency, Uniform):
        return latency.high
    return math.inf


class Stalls:
    """A network hook for an asynchronous system whose slowness comes in bursts.

    Each directed link is normally fast (``latency``), but stalls now and then: stalls
    start on average every ``every`` time units (exponential gaps) and last a
    Pareto-distributed time (at least ``duration``, tail exponent ``shape``; the
    smaller the shape, the heavier the tail). A message sent during a stall is
    delivered ``latency`` after the stall ends. With independent delays, a long
    silence needs many slow messages in a row and is vanishingly rare; with stalls,
    ``P(silence > T)`` falls only like ``T**-shape``, so every timeout is wrong now
    and then.

    >>> Stalls(latency=Uniform(1, 10), every=200, duration=5, seed=sim.seed).install(sim)
    ...                                                         # doctest: +SKIP
    """

    def __init__(self, latency: Any = None, *, every: float = 200.0, duration: float = 5.0,
                 shape: float = 1.2, seed: int = 0) -> None:
        self.latency = as_latency("latency", Uniform(1.0, 10.0) if latency is None
                                  else latency)
        for name, value in (("every", every), ("duration", duration), ("shape", shape)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not value > 0 or math.isinf(value):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        self.every, self.duration, self.shape = float(every), float(duration), float(shape)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self.seed = seed
        # per link: (its random stream, [start, end) of the current or next stall)
        self._links: dict[tuple[str, str], tuple[random.Random, list[float]]] = {}

    def __repr__(self) -> str:
        return (f"Stalls(latency={self.latency}, every={self.every:g}, "
                f"duration={self.duration:g}, shape={self.shape:g})")

    def _stall(self, rng: random.Random, after: float) -> list[float]:
        start = after + rng.expovariate(1.0 / self.every)
        length = self.duration * (1.0 - rng.random()) ** (-1.0 / self.shape)
        return [start, start + length]

    def sample_delay(self, src: str, dst: str, t: float) -> float:
        """The delay of a message sent from ``src`` to ``dst`` at time ``t``."""
        entry = self._links.get((src, dst))
        if entry is None:
            rng = child_stream(self.seed, "stalls", src, dst)
            entry = self._links[(src, dst)] = (rng, self._stall(rng, 0.0))
        rng, stall = entry
        while stall[1] <= t:                       # that stall is over: draw the next
            stall[:] = self._stall(rng, stall[1])
        base = self.latency.sample(rng)
        return (stall[1] - t) + base if stall[0] <= t else base

    def __call__(self, env: Envelope) -> Envelope:
        return dataclasses.replace(env, delay=self.sample_delay(env.src, env.dst,
                                                                env.send_time))

    def install(self, sim: "Simulation") -> "Stalls":
        """Add this hook to ``sim``'s network; returns ``self``."""
        sim.network.add_hook(self)
        return self


class PartialSynchrony:
    """A network hook: unbounded delays before ``gst``, bounded by Δ from then on.

    Parameters
    ----------
    gst
        The global stabilisation time (unknown to the protocols that run).
    before
        Delays before GST: a distribution such as ``Exponential(mean=30, minimum=1)``,
        or a ``Stalls`` model.
    after
        Bounded delay distribution from GST on (``Constant`` or ``Uniform``); its
        upper end is Δ.
    seed
        Seed of the hook's own random stream (use the simulation's seed).

    >>> ps = PartialSynchrony(gst=300, before=Exponential(30, 1), after=Uniform(1, 10),
    ...                       seed=sim.seed).install(sim)       # doctest: +SKIP
    """

    def __init__(self, gst: float, before: Any, after: Any, *, seed: int = 0) -> None:
        if isinstance(gst, bool) or not isinstance(gst, (int, float)) or not gst >= 0 \
                or math.isinf(gst):
            raise ValueError(f"gst must be a finite time >= 0, got {gst!r}")
        self.gst = float(gst)
        self.before = before if isinstance(before, Stalls) else as_latency("before", before)
        self.after = as_latency("after", after)
        self.delta = delay_bound(self.after)
        if math.isinf(self.delta):
            raise ValueError(f"after must be bounded (Constant or Uniform), got {after!r}: "
                             f"after GST every delay is at most Δ")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self._rng: random.Random = child_stream(seed, "partial-synchrony")

    def __repr__(self) -> str:
        return (f"PartialSynchrony(gst={self.gst:g}, before={self.before}, "
                f"after={self.after}, Δ={self.delta:g})")

    def __call__(self, env: Envelope) -> Envelope:
        t = env.send_time
        if t >= self.gst:
            delay = self.after.sample(self._rng)
        else:
            # unbounded in distribution, but even a message sent before GST
            # arrives by GST + Δ (DLS 1988's eventual bound)
            if isinstance(self.before, Stalls):
                slow = self.before.sample_delay(env.src, env.dst, t)
            else:
                slow = self.before.sample(self._rng)
            delay = min(slow, self.gst + self.delta - t)
        return dataclasses.replace(env, delay=delay)

    def install(self, sim: "Simulation") -> "PartialSynchrony":
        """Add this hook to ``sim``'s network; returns ``self``."""
        sim.network.add_hook(self)
        return self
