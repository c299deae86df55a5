"""Counting executions from the trace: how many times did each call run?

Reads the server's ``output("execute", Execution)`` events and the clients' ``Request``
sends, never the server's memory. Used by the notebook's sweeps and the tests.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..sim import Trace, TraceEvent
from .messages import Execution, Request

__all__ = ["executions", "execution_counts", "duplicate_executions", "retransmissions"]


def _events(source: Any) -> list[TraceEvent]:
    if isinstance(source, Trace):
        return source.events
    trace = getattr(source, "trace", None)
    if isinstance(trace, Trace):
        return trace.events
    if isinstance(source, (list, tuple)):
        return list(source)
    raise TypeError(f"expected a Simulation, a Trace or a list of TraceEvent, "
                    f"got {type(source).__name__}")


def executions(source: Any) -> list[Execution]:
    """Every execution the server reported, in order."""
    return [e.msg for e in _events(source)
            if e.kind == "output" and e.info == "execute" and isinstance(e.msg, Execution)]


def execution_counts(source: Any) -> dict[tuple[str, int], int]:
    """``{(client_id, request_id): times executed}`` for every call a client sent
    (0 for a call that never ran), in order of first send."""
    events = _events(source)
    counts: dict[tuple[str, int], int] = {}
    for e in events:
        if e.kind == "send" and isinstance(e.msg, Request):
            counts.setdefault(e.msg.key, 0)
    ran = Counter(x.key for x in executions(events))
    for key, n in ran.items():
        counts[key] = counts.get(key, 0) + n
    return counts


def duplicate_executions(source: Any) -> dict[tuple[str, int], int]:
    """The calls that ran more than once, with how many times."""
    return {k: n for k, n in execution_counts(source).items() if n > 1}


def retransmissions(source: Any) -> int:
    """How many request sends were retransmissions of a call already sent."""
    seen: set[tuple[str, int]] = set()
    again = 0
    for e in _events(source):
        if e.kind == "send" and isinstance(e.msg, Request):
            if e.msg.key in seen:
                again += 1
            seen.add(e.msg.key)
    return again
