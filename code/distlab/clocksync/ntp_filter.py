"""NTP's data-grooming algorithms: the clock filter and the intersection (select) algorithm.

**Clock filter** (RFC 5905, section 10; Mills 1991, section 4). Each server's last
``NSTAGE = 8`` samples ``(offset, delay, time)`` are kept in a shift register. The
sample with the smallest delay is chosen: a short round trip leaves little room for
the queueing that makes offsets wrong, since the offset error is at most half the
delay. A chosen sample is used once: if it is not newer than the last one used, the
filter reports nothing new. The filter also reports its *jitter* (RMS difference of
the offsets from the chosen one) and its *dispersion* (each sample's error bound grown
at ``PHI = 15 ppm`` since it was taken, weighted by 1/2, 1/4, ... in delay order).

**Intersection algorithm** (RFC 5905, section 11.2.1, after Marzullo). Each candidate
server says "the true offset is in ``[offset - lambda, offset + lambda]``" where
``lambda`` is its root distance. If the server is correct, its interval contains the
truth, so all correct servers' intervals overlap. The algorithm finds the smallest
interval that contains points of at least ``m - f`` of the ``m`` intervals, for the
fewest falsetickers ``f < m / 2``; candidates whose midpoint lies outside it are
*falsetickers*, the others *truechimers*.

Taught in notebook 1.4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["NSTAGE", "PHI", "FilterSample", "ClockFilter", "Selection", "select_truechimers"]

NSTAGE = 8        #: clock-filter stages (RFC 5905)
PHI = 15e-6       #: frequency tolerance, 15 ppm: how fast an error bound grows (RFC 5905)


@dataclass(frozen=True, slots=True)
class FilterSample:
    """One clock-filter stage: offset and delay measured at local time ``time``."""

    offset: float
    delay: float
    time: float
    precision: float = 0.0

    def dispersion(self, now: float) -> float:
        """The sample's error bound grown since it was taken (RFC 5905 epsilon)."""
        return self.precision + PHI * max(0.0, now - self.time)


class ClockFilter:
    """The per-server clock filter: keep the last ``size`` samples, pick the min delay."""

    __slots__ = ("size", "samples", "last_used")

    def __init__(self, size: int = NSTAGE) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be an int >= 1, got {size!r}")
        self.size = size
        self.samples: list[FilterSample] = []   # newest first
        self.last_used: float | None = None

    def __repr__(self) -> str:
        return f"ClockFilter({len(self.samples)}/{self.size} samples)"

    def add(self, offset: float, delay: float, time: float, precision: float = 0.0) -> None:
        """Shift a new sample in (the oldest falls out)."""
        for name, v in (("offset", offset), ("delay", delay), ("time", time)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        self.samples.insert(0, FilterSample(float(offset), float(delay), float(time),
                                            float(precision)))
        del self.samples[self.size:]

    def by_delay(self) -> list[FilterSample]:
        """The samples, smallest delay first (ties: newest first)."""
        return sorted(self.samples, key=lambda s: (s.delay, -s.time))

    def best(self) -> FilterSample | None:
        """The sample of minimum delay (``None`` when empty)."""
        ordered = self.by_delay()
        return ordered[0] if ordered else None

    def fresh(self) -> FilterSample | None:
        """The minimum-delay sample if it has not been used yet, else ``None``."""
        best = self.best()
        if best is None or (self.last_used is not None and best.time <= self.last_used):
            return None
        return best

    def use(self, sample: FilterSample) -> None:
        """Mark ``sample`` as used (RFC 5905: a sample is never used twice)."""
        self.last_used = sample.time

    def jitter(self) -> float:
        """RMS of the offsets' differences from the chosen sample's offset."""
        best = self.best()
        if best is None or len(self.samples) < 2:
            return 0.0
        return math.sqrt(sum((s.offset - best.offset) ** 2 for s in self.samples)
                         / (len(self.samples) - 1))

    def dispersion(self, now: float) -> float:
        """Weighted sum of the samples' dispersions, 1/2, 1/4, ... in delay order."""
        return sum(s.dispersion(now) / 2 ** (i + 1) for i, s in enumerate(self.by_delay()))

    def shift(self, correction: float) -> None:
        """The local clock moved by ``correction``: every stored offset shrinks by it."""
        self.samples = [FilterSample(s.offset - correction, s.delay, s.time, s.precision)
                        for s in self.samples]

    def clear(self) -> None:
        """Forget every sample (after a step, as RFC 5905 does)."""
        self.samples = []
        self.last_used = None


@dataclass(frozen=True, slots=True)
class Selection:
    """The result of the intersection algorithm."""

    low: float
    high: float
    falsetickers: int                 # the f for which an intersection was found
    truechimers: tuple[str, ...]
    rejected: tuple[str, ...]


def select_truechimers(candidates: Mapping[str, tuple[float, float]]) -> Selection | None:
    """RFC 5905's intersection algorithm over ``{name: (offset, root_distance)}``.

    Returns ``None`` when no majority of candidates agree (no clique of more than
    half of them), else the intersection ``[low, high]`` and who is in and out.
    """
    if not isinstance(candidates, Mapping):
        raise TypeError("candidates must be a mapping {name: (offset, root_distance)}")
    m = len(candidates)
    if m == 0:
        return None
    edges: list[tuple[float, int, str]] = []   # (value, type, name): -1 low, 0 mid, +1 high
    for name, pair in candidates.items():
        try:
            offset, dist = pair
        except (TypeError, ValueError):
            raise ValueError(f"candidates[{name!r}] must be (offset, root_distance), "
                             f"got {pair!r}") from None
        if not (math.isfinite(offset) and math.isfinite(dist)) or dist < 0:
            raise ValueError(f"candidates[{name!r}] needs a finite offset and a root "
                             f"distance >= 0, got {pair!r}")
        edges += [(offset - dist, -1, name), (offset, 0, name), (offset + dist, +1, name)]
    edges.sort(key=lambda e: (e[0], e[1], e[2]))
    f = 0
    while 2 * f < m:
        d = c = 0
        low = high = math.nan
        for value, kind, _ in edges:              # scan up for the low end
            c -= kind                             # +1 at a lowpoint, -1 at a highpoint
            if kind == 0:
                d += 1
            if c >= m - f:
                low = value
                break
        c = 0
        for value, kind, _ in reversed(edges):    # scan down for the high end
            c += kind
            if kind == 0:
                d += 1
            if c >= m - f:
                high = value
                break
        if d <= f and low <= high:    # RFC 5905 writes l < u; equal ends also agree
            inside = sorted(n for n, (o, _) in candidates.items() if low <= o <= high)
            outside = sorted(n for n in candidates if n not in inside)
            return Selection(low, high, f, tuple(inside), tuple(outside))
        f += 1
    return None
