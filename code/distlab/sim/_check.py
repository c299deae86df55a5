"""Argument checks shared by the public API.

Every public entry point validates its arguments with these helpers, so a wrong call
fails at the call site with a message that names the argument and what is allowed,
never with a traceback from deep inside the event loop.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def number(name: str, value: Any, *, minimum: float | None = None,
           maximum: float | None = None, strict_min: bool = False,
           allow_inf: bool = False) -> float:
    """Return ``value`` as a float, or raise TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None:
        if strict_min and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value!r}")
        if not strict_min and value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return value


def probability(name: str, value: Any) -> float:
    """A probability in [0, 1]."""
    return number(name, value, minimum=0.0, maximum=1.0)


def integer(name: str, value: Any, *, minimum: int | None = None) -> int:
    """An int (not a bool), optionally bounded below."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def node_id(name: str, value: Any) -> str:
    """A node identifier: a non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a node id (a str such as 'n1'), "
                        f"got {type(value).__name__} {value!r}")
    if not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def known_node(name: str, value: Any, known: Iterable[str]) -> str:
    """A node id that names a node of the simulation."""
    node_id(name, value)
    known = list(known)
    if value not in known:
        shown = ", ".join(repr(k) for k in known[:12]) + (", ..." if len(known) > 12 else "")
        raise ValueError(f"{name}={value!r} is not a node of this simulation; "
                         f"known nodes: {shown or '(none yet: call add_node first)'}")
    return value


def one_of(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """One of a fixed set of choices."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
