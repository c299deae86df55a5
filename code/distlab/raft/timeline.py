"""A Raft run read back from its trace: who was what, when, and what each log held.

Pictures and tables read these, never the servers' memory (DESIGN.md):

- ``role_segments(trace)``: for each server, the intervals it spent as follower,
  candidate or leader (with the term), or crashed;
- ``views_at(trace, time)``: each server's role, term, log, commit index and
  whether it was up, as rebuilt from the ``role``, ``append``, ``truncate``,
  ``commit``, ``snapshot`` and ``install`` outputs up to ``time``;
- ``partition_spans(trace)``: when the network was partitioned, and how.

Used by ``distlab.viz.raft`` and the notebooks 2.6–2.8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sim import Simulation, Trace

__all__ = ["Segment", "ServerView", "role_segments", "views_at", "partition_spans",
           "servers_of"]


@dataclass(frozen=True, slots=True)
class Segment:
    """``node`` was ``role`` (in ``term``) from ``start`` to ``end`` (``"down"``: crashed)."""

    node: str
    start: float
    end: float
    role: str
    term: int


@dataclass
class ServerView:
    """One server at one moment, as its outputs describe it."""

    node: str
    up: bool = True
    role: str = "follower"
    term: int = 0
    base_index: int = 0            # the snapshot covers 1..base_index
    base_term: int = 0
    entries: list[tuple[int, int, Any]] = field(default_factory=list)  # (index, term, command)
    commit_index: int = 0
    voters: tuple[str, ...] = ()

    @property
    def last_index(self) -> int:
        return self.base_index + len(self.entries)

    def term_at(self, index: int) -> int | None:
        if index == self.base_index:
            return self.base_term
        k = index - self.base_index - 1
        return self.entries[k][1] if 0 <= k < len(self.entries) else None


def _trace(source: Trace | Simulation) -> Trace:
    if isinstance(source, Simulation):
        return source.trace
    if isinstance(source, Trace):
        return source
    raise TypeError(f"expected a Simulation or a Trace, got {type(source).__name__}")


def servers_of(source: Trace | Simulation) -> list[str]:
    """The servers (nodes that reported a ``role``), in order of first appearance."""
    seen: dict[str, None] = {}
    for e in _trace(source).events:
        if e.kind == "output" and e.info == "role":
            seen.setdefault(e.node, None)
    return list(seen)


def role_segments(source: Trace | Simulation, end: float | None = None) -> list[Segment]:
    """Each server's roles over time, one ``Segment`` per stretch (until ``end``)."""
    trace = _trace(source)
    events = trace.events
    if end is None:
        end = events[-1].time if events else 0.0
    servers = set(servers_of(trace))
    current: dict[str, tuple[float, str, int]] = {}
    out: list[Segment] = []

    def close(node: str, t: float) -> None:
        if node in current:
            start, role, term = current.pop(node)
            if t > start or role == "down":
                out.append(Segment(node, start, t, role, term))

    for e in events:
        if e.time > end:
            break
        if e.node not in servers:
            continue
        if e.kind == "output" and e.info == "role":
            role, term = e.msg
            close(e.node, e.time)
            current[e.node] = (e.time, role, term)
        elif e.kind == "output" and e.info == "term" and e.node in current:
            start, role, _ = current[e.node]
            close(e.node, e.time)
            current[e.node] = (e.time, role, e.msg)
        elif e.kind == "crash":
            term = current.get(e.node, (0, "", 0))[2]
            close(e.node, e.time)
            current[e.node] = (e.time, "down", term)
    for node in list(current):
        close(node, end)
    out.sort(key=lambda s: (s.start, s.node))
    return out


def views_at(source: Trace | Simulation, time: float | None = None) -> dict[str, ServerView]:
    """Every server as it was at ``time`` (default: the end of the trace)."""
    trace = _trace(source)
    views: dict[str, ServerView] = {}
    for e in trace.events:
        if time is not None and e.time > time:
            break
        if e.kind == "crash" and e.node in views:
            v = views[e.node]
            v.up, v.role = False, "down"
            continue
        if e.kind == "restart" and e.node in views:
            v = views[e.node]
            v.up, v.commit_index = True, v.base_index
            continue
        if e.kind != "output":
            continue
        name, value = e.info, e.msg
        v = views.get(e.node)
        if v is None:
            if name not in ("role", "config"):
                continue
            v = views[e.node] = ServerView(e.node)
        if name == "role":
            v.role, v.term = value
        elif name == "term":
            v.term = value
        elif name == "config":
            v.voters = value[1]
        elif name == "append":
            prev_index = value[0]
            del v.entries[max(0, prev_index - v.base_index):]
            v.entries.extend((x.index, x.term, x.command) for x in value[2])
        elif name == "truncate":
            del v.entries[max(0, value - v.base_index - 1):]
        elif name == "commit":
            v.commit_index = max(v.commit_index, value[0])
        elif name in ("snapshot", "install"):
            index, term = value
            if v.term_at(index) == term:
                v.entries = v.entries[index - v.base_index:]
            else:
                v.entries = []
            v.base_index, v.base_term = index, term
            if name == "install":
                v.commit_index = max(v.commit_index, index)
    return views


def partition_spans(source: Trace | Simulation,
                    end: float | None = None) -> list[tuple[float, float, str]]:
    """``(start, end, groups)`` for every stretch of time the network was split."""
    trace = _trace(source)
    events = trace.events
    if end is None:
        end = events[-1].time if events else 0.0
    spans: list[tuple[float, float, str]] = []
    open_: tuple[float, str] | None = None
    for e in events:
        if e.time > end:
            break
        if e.kind == "partition":
            if open_ is not None:
                spans.append((open_[0], e.time, open_[1]))
            open_ = (e.time, str(e.info))
        elif e.kind == "heal" and open_ is not None:
            spans.append((open_[0], e.time, open_[1]))
            open_ = None
    if open_ is not None:
        spans.append((open_[0], end, open_[1]))
    return [s for s in spans if s[1] > s[0]]
