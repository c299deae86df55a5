"""``distlab.clocks``: logical time. Lamport clocks (notebook 1.2), vector clocks (1.3)."""

from .lamport import LamportClock, LamportTimestamp
from .vector import Ordering, VectorClock

__all__ = ["LamportClock", "LamportTimestamp", "VectorClock", "Ordering"]
