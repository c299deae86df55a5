"""The remote object: a counter with idempotent and non-idempotent operations.

``set(v)`` and ``get()`` are idempotent: running one twice leaves the same state as
running it once. ``increment()`` is not: a retried increment that runs twice adds two.
That difference is the whole story of RPC semantics under retries.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from typing import Any

__all__ = ["CounterService", "IDEMPOTENT"]

#: Which of the counter's operations may safely run more than once.
IDEMPOTENT: dict[str, bool] = {"get": True, "set": True, "increment": False}


class CounterService:
    """One integer and three operations; ``apply`` raises ``ValueError`` on a bad call."""

    OPS = ("get", "set", "increment")

    def __init__(self, value: int = 0) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"value must be an int, got {value!r}")
        self.value = value

    def __repr__(self) -> str:
        return f"CounterService(value={self.value})"

    def apply(self, op: str, args: tuple = ()) -> Any:
        """Run ``op(*args)`` on the counter and return its result."""
        if not isinstance(args, tuple):
            raise ValueError(f"args must be a tuple, got {args!r}")
        if op == "increment" and not args:
            self.value += 1
            return self.value
        if op == "set" and len(args) == 1 and isinstance(args[0], int) \
                and not isinstance(args[0], bool):
            self.value = args[0]
            return self.value
        if op == "get" and not args:
            return self.value
        if op in self.OPS:
            raise ValueError(f"bad arguments {args!r} for {op!r}: use increment(), "
                             f"set(<int>) or get()")
        raise ValueError(f"unknown operation {op!r}; the counter offers "
                         f"{', '.join(self.OPS)}")
