"""A node's physical (hardware) clock: offset, drift, steps.

Virtual time is the simulator's true time, which no node can read. Each node has a
``PhysicalClock`` whose reading is an affine function of true time,

    reading(t) = base + rate * (t - t0),      rate = 1 + drift,

so a clock that runs fast by 50 ppm has ``drift=50e-6``. Synchronisation algorithms
(Cristian, Berkeley, NTP: notebook 1.4) ``step`` the reading or change the rate. A step
backwards makes the clock non-monotonic, which is exactly what breaks last-writer-wins.

The clock is hardware: it survives a crash of the node that reads it.
"""

from __future__ import annotations

from . import _check

__all__ = ["PhysicalClock"]


class PhysicalClock:
    """``reading(t) = offset + (1 + drift) * t`` until stepped or re-rated."""

    __slots__ = ("_t0", "_base", "_rate")

    def __init__(self, offset: float = 0.0, drift: float = 0.0) -> None:
        _check.number("offset", offset)
        _check.number("drift", drift, minimum=-0.5, maximum=0.5)
        self._t0 = 0.0
        self._base = float(offset)
        self._rate = 1.0 + float(drift)

    def __repr__(self) -> str:
        return f"PhysicalClock(offset={self.offset_at(self._t0):g}, drift={self.drift:g})"

    @property
    def drift(self) -> float:
        """Rate error: reading advances ``1 + drift`` per unit of true time."""
        return self._rate - 1.0

    def read(self, t: float) -> float:
        """The clock's reading at true time ``t``."""
        return self._base + self._rate * (t - self._t0)

    def offset_at(self, t: float) -> float:
        """``reading(t) - t``: how far ahead of true time the clock is at ``t``."""
        return self.read(t) - t

    def step(self, t: float, delta: float) -> None:
        """Jump the reading by ``delta`` at true time ``t`` (may go backwards)."""
        _check.number("delta", delta)
        self._base = self.read(t) + delta
        self._t0 = t

    def set_drift(self, t: float, drift: float) -> None:
        """Change the rate from true time ``t`` on, keeping the reading continuous."""
        _check.number("drift", drift, minimum=-0.5, maximum=0.5)
        self._base = self.read(t)
        self._t0 = t
        self._rate = 1.0 + drift

    def true_delay(self, local_delay: float) -> float:
        """True time that passes while this clock advances by ``local_delay``."""
        return local_delay / self._rate
