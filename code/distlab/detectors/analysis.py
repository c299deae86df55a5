"""Judging a failure detector from the trace: accuracy mistakes and completeness.

Chandra & Toueg's two properties (as presented by Cachin, Guerraoui & Rodrigues 2011,
§2.6), read from ``output("suspect"|"restore", peer)`` events and from the trace's
crash and restart events, never from a detector's memory:

- **completeness**: every crashed node is eventually suspected, for good, by every
  correct monitor;
- **accuracy**: a node that is up is not suspected. A suspicion of a node that is up
  at that moment is a *false suspicion* (a mistake).

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..sim import Trace, TraceEvent

__all__ = ["Suspicion", "suspicions", "false_suspicions", "up_intervals",
           "detection_times", "completeness_violations"]


@dataclass(frozen=True, slots=True)
class Suspicion:
    """``monitor`` began to suspect ``peer`` at ``time``; ``false`` if ``peer`` was up."""

    time: float
    monitor: str
    peer: str
    false: bool

    def __repr__(self) -> str:
        verdict = "FALSE" if self.false else "true"
        return f"Suspicion(t={self.time:.1f}, {self.monitor} suspects {self.peer}: {verdict})"


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


def up_intervals(source: Any) -> dict[str, list[tuple[float, float]]]:
    """For every node in the trace, the ``[start, end)`` intervals when it was up."""
    events = _events(source)
    since: dict[str, float | None] = {}
    out: dict[str, list[tuple[float, float]]] = {}
    for e in events:
        if e.kind in ("start", "restart") and e.node is not None:
            since[e.node] = e.time
            out.setdefault(e.node, [])
        elif e.kind == "crash" and since.get(e.node) is not None:
            out[e.node].append((since[e.node], e.time))
            since[e.node] = None
    for n, t in since.items():
        if t is not None:
            out[n].append((t, float("inf")))
    return out


def _is_up(intervals: list[tuple[float, float]], t: float) -> bool:
    return any(a <= t < b for a, b in intervals)


def suspicions(source: Any) -> list[Suspicion]:
    """Every ``suspect`` output, judged against the crash/restart events."""
    events = _events(source)
    up = up_intervals(events)
    return [Suspicion(e.time, e.node, e.msg, _is_up(up.get(e.msg, []), e.time))
            for e in events if e.kind == "output" and e.info == "suspect"]


def false_suspicions(source: Any) -> list[Suspicion]:
    """The mistakes: suspicions of a node that was up at that moment."""
    return [s for s in suspicions(source) if s.false]


def detection_times(source: Any, monitors: Iterable[str] | None = None
                    ) -> dict[tuple[str, str], float | None]:
    """For each node that crashed for good and each monitor up at the end: the delay
    from the crash to the monitor's last ``suspect`` of it (``None``: not suspected).

    A suspicion counts only if no ``restore`` of that peer follows it.
    """
    events = _events(source)
    up = up_intervals(events)
    crashed_for_good = {n: iv[-1][1] for n, iv in up.items()
                        if iv and iv[-1][1] != float("inf")}
    alive = [n for n, iv in up.items() if iv and iv[-1][1] == float("inf")]
    if monitors is not None:
        wanted = list(monitors)
        alive = [m for m in alive if m in wanted]
    last: dict[tuple[str, str], tuple[str, float]] = {}
    for e in events:
        if e.kind == "output" and e.info in ("suspect", "restore"):
            last[(e.node, e.msg)] = (e.info, e.time)
    out: dict[tuple[str, str], float | None] = {}
    for peer, crash_time in sorted(crashed_for_good.items()):
        for m in sorted(alive):
            verdict = last.get((m, peer))
            if verdict is None or verdict[0] != "suspect":
                out[(m, peer)] = None
            else:
                out[(m, peer)] = max(0.0, verdict[1] - crash_time)
    return out


def completeness_violations(source: Any, monitors: Iterable[str] | None = None
                            ) -> list[tuple[str, str]]:
    """``(monitor, peer)`` pairs where a crashed ``peer`` is not suspected at the end."""
    return [k for k, v in detection_times(source, monitors).items() if v is None]
