"""Stepping, slewing and frequency correction of a node's clock.

A synchronisation protocol decides *by how much* a clock is wrong; this module decides
*how* the correction is applied (Mills 1991, section 5; RFC 5905, section 11.3; the
``adjtime(2)`` system call of 4.3BSD that Gusella & Zatti's TEMPO used):

- a **step** jumps the reading at once. Fast, but a clock that was ahead jumps
  *backwards*: a timestamp taken just after the step is smaller than one taken just
  before, and elapsed times measured across it can be negative;
- a **slew** runs the clock a little fast or slow (at most ``max_slew`` = 500 ppm, NTP's
  and ``adjtime``'s limit) until the correction is used up: the reading never jumps and
  never goes backwards, but a 100 ms correction takes 200 s;
- a **frequency correction** compensates the oscillator's drift permanently, so that
  the offset does not grow back between synchronisations.

The simulator lets a node only *step* its clock (``Node.adjust_clock``). Slewing and
frequency correction are therefore done the way BSD kernels did them: at every *tick*
(here every ``tick`` units of the node's own clock) the clock is stepped by a tiny
amount, ``max_slew * tick`` at most (0.5 ms per second at 500 ppm). A step that small is
far smaller than the tick, so the reading stays monotonic and its average rate is
changed, which is what slewing means.

Taught in notebook 1.4 ("Physical clocks and synchronisation").
"""

from __future__ import annotations

import math

from ..sim import Node

__all__ = ["DisciplinedNode", "MAX_SLEW", "TICK_TIMER"]

MAX_SLEW = 500e-6        #: largest slew rate, 500 ppm (RFC 5905 MAXFREQ; BSD adjtime)
TICK_TIMER = "adjtime"   #: name of the timer that applies slews and frequency corrections


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


class DisciplinedNode(Node):
    """A ``Node`` whose clock can be stepped, slewed and frequency-corrected.

    Subclasses call ``step_clock(delta)``, ``slew_clock(delta)`` and
    ``set_frequency(freq)``; they must call ``super().on_start()`` and pass timers
    they do not know to ``super().on_timer`` (the ``"adjtime"`` tick lives there).

    Parameters
    ----------
    max_slew
        Largest rate change used to slew, as a fraction (default 500e-6, 500 ppm).
    tick
        How often, on the node's own clock, the slew and frequency corrections are
        applied (default 1000 time units: once a second when units are ms).
    """

    def __init__(self, *, max_slew: float = MAX_SLEW, tick: float = 1000.0) -> None:
        max_slew = _finite("max_slew", max_slew)
        if not 0 < max_slew < 0.5:
            raise ValueError(f"max_slew must be in (0, 0.5), got {max_slew!r}")
        tick = _finite("tick", tick)
        if tick <= 0:
            raise ValueError(f"tick must be > 0, got {tick!r}")
        self.max_slew = max_slew
        self.tick = tick
        self.freq = 0.0          # frequency correction (fraction: 1e-6 is 1 ppm)
        self.pending = 0.0       # slew still to apply (time units)
        self._ticking = False

    # --- the three ways to correct a clock ------------------------------------------------
    def step_clock(self, delta: float) -> None:
        """Jump the clock by ``delta`` now (forwards or backwards); cancels any slew."""
        delta = _finite("delta", delta)
        self.pending = 0.0
        self.adjust_clock(delta)

    def slew_clock(self, delta: float) -> None:
        """Add ``delta`` to the correction that is slewed in, at most ``max_slew``."""
        self.pending += _finite("delta", delta)
        self._ensure_ticking()

    def set_frequency(self, freq: float) -> None:
        """Correct the clock's rate by ``freq`` (e.g. ``-40e-6`` for a clock 40 ppm fast)."""
        freq = _finite("freq", freq)
        if abs(freq) >= self.max_slew:
            freq = math.copysign(self.max_slew * 0.999, freq)  # keep room to slew
        self.freq = freq
        self._ensure_ticking()

    # --- the tick -----------------------------------------------------------------------------
    def on_start(self) -> None:
        self.freq, self.pending, self._ticking = 0.0, 0.0, False

    def _ensure_ticking(self) -> None:
        if not self._ticking and (self.pending or self.freq):
            self._ticking = True
            self.set_timer(self.tick, TICK_TIMER)

    def on_timer(self, name: str, payload: object) -> None:
        if name != TICK_TIMER:
            return
        room = self.max_slew * self.tick
        part = max(-room, min(room, self.pending))
        self.pending -= part
        if abs(self.pending) < 1e-12:
            self.pending = 0.0
        delta = part + self.freq * self.tick
        if delta:
            self.adjust_clock(delta)
        if self.pending or self.freq:
            self.set_timer(self.tick, TICK_TIMER)
        else:
            self._ticking = False
