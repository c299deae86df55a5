"""Delay distributions for links, timers and fault schedules.

Time in ``distlab`` is a float in abstract units; the book reads them as milliseconds.
Each distribution is a frozen dataclass with ``sample(rng) -> float``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Union

from . import _check

__all__ = ["Latency", "Constant", "Uniform", "Exponential", "Normal", "as_latency"]


@dataclass(frozen=True, slots=True)
class Constant:
    """Always ``value``."""

    value: float

    def __post_init__(self) -> None:
        _check.number("Constant.value", self.value, minimum=0.0)

    def sample(self, rng: random.Random) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform on ``[low, high]``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check.number("Uniform.low", self.low, minimum=0.0)
        _check.number("Uniform.high", self.high, minimum=0.0)
        if self.high < self.low:
            raise ValueError(f"Uniform needs low <= high, got low={self.low}, high={self.high}")

    def sample(self, rng: random.Random) -> float:
        return self.low + (self.high - self.low) * rng.random()

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True, slots=True)
class Exponential:
    """``minimum`` plus an exponential tail with mean ``mean - minimum``.

    A common model of network delay: a floor set by the speed of light and the
    path, plus queueing that is usually short and occasionally long.
    """

    mean: float
    minimum: float = 0.0

    def __post_init__(self) -> None:
        _check.number("Exponential.minimum", self.minimum, minimum=0.0)
        _check.number("Exponential.mean", self.mean, minimum=0.0)
        if self.mean < self.minimum:
            raise ValueError(f"Exponential needs mean >= minimum, got mean={self.mean}, "
                             f"minimum={self.minimum}")

    def sample(self, rng: random.Random) -> float:
        tail = self.mean - self.minimum
        return self.minimum + (rng.expovariate(1.0 / tail) if tail > 0 else 0.0)


@dataclass(frozen=True, slots=True)
class Normal:
    """Normal with ``mean`` and ``sd``, clipped below at ``minimum``."""

    mean: float
    sd: float
    minimum: float = 0.0

    def __post_init__(self) -> None:
        _check.number("Normal.mean", self.mean, minimum=0.0)
        _check.number("Normal.sd", self.sd, minimum=0.0)
        _check.number("Normal.minimum", self.minimum, minimum=0.0)

    def sample(self, rng: random.Random) -> float:
        return max(self.minimum, rng.gauss(self.mean, self.sd))


Latency = Union[Constant, Uniform, Exponential, Normal]


def as_latency(name: str, value: Any) -> Latency:
    """Accept a distribution, a number (constant) or a ``(low, high)`` pair (uniform)."""
    if isinstance(value, (Constant, Uniform, Exponential, Normal)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isnan(value) or value < 0 or math.isinf(value):
            raise ValueError(f"{name} must be a non-negative finite delay, got {value!r}")
        return Constant(float(value))
    if isinstance(value, tuple) and len(value) == 2:
        return Uniform(*value)
    raise TypeError(f"{name} must be a delay distribution (Constant, Uniform, Exponential, "
                    f"Normal), a number, or a (low, high) pair; got {value!r}")
