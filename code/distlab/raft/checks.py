"""Raft's safety properties, checked from the trace (Ongaro & Ousterhout 2014, Figure 3).

The checkers read only what servers reported with ``self.output`` (``role``,
``append``, ``truncate``, ``commit``, ``apply``, ``snapshot``, ``install``) plus crash
and restart events, never a server's memory (DESIGN.md). From the ``append`` /
``truncate`` / ``snapshot`` / ``install`` outputs they rebuild every server's log as it
was at each moment, and judge:

- **Election Safety**: at most one leader is elected in a given term (§5.2).
- **Leader Append-Only**: a leader never deletes entries from its log (§5.3).
- **Log Matching**: if two logs contain an entry with the same index and term, the
  logs are identical up to that index (§5.3). Checked in its inductive form, over all
  servers and all times: every (index, term) ever appended names one command and one
  previous term.
- **Leader Completeness**: a committed entry is in the log of every leader of a later
  term (§5.4). Checked at each election against every entry committed before it.
- **State Machine Safety**: no two servers apply different commands at the same index
  (§5.4.3); each server applies its log in order; an entry, once committed, never
  changes.
- **Linearizability** of the clients' history for the key-value model
  (``distlab.consistency``), when there is one.

Each problem is a ``Finding`` with the property, a readable detail, and the time and
server where it showed, so a report can print the trace around it (``window``).
Taught in notebooks 2.6–2.8.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..consistency import check_linearizable, models
from ..sim import History, Simulation, Trace

__all__ = ["Finding", "PROPERTIES", "check_trace", "check_election_safety",
           "check_leader_append_only", "check_log_matching", "check_leader_completeness",
           "check_state_machine_safety", "check_history", "check_all", "window"]

PROPERTIES = ("election safety", "leader append-only", "log matching", "leader completeness",
              "state machine safety", "linearizability")


@dataclass(frozen=True, slots=True)
class Finding:
    """One violated property: what, where, when."""

    property: str
    detail: str
    time: float | None = None
    node: str | None = None

    def __str__(self) -> str:
        where = "" if self.time is None else f" (t={self.time:g}" + \
            (f", {self.node})" if self.node else ")")
        return f"{self.property}: {self.detail}{where}"


class _LogModel:
    """A server's log as rebuilt from its outputs."""

    __slots__ = ("base_index", "base_term", "terms", "commands")

    def __init__(self) -> None:
        self.base_index = 0
        self.base_term = 0
        self.terms: list[int] = []
        self.commands: list[Any] = []

    @property
    def last_index(self) -> int:
        return self.base_index + len(self.terms)

    def term_at(self, index: int) -> int | None:
        if index == self.base_index:
            return self.base_term
        k = index - self.base_index - 1
        return self.terms[k] if 0 <= k < len(self.terms) else None

    def truncate(self, index: int) -> None:
        k = max(0, index - self.base_index - 1)
        del self.terms[k:]
        del self.commands[k:]

    def compact(self, index: int, term: int) -> None:
        if index <= self.base_index:
            return
        if self.term_at(index) == term:
            k = index - self.base_index
            del self.terms[:k]
            del self.commands[:k]
        else:
            self.terms, self.commands = [], []
        self.base_index, self.base_term = index, term


class _Checker:
    """One pass over the trace that checks every trace-level property."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.logs: dict[str, _LogModel] = {}
        self.leaders: dict[int, str] = {}
        self.is_leader: dict[str, bool] = {}
        self.entries: dict[tuple[int, int], tuple[Any, int | None, str]] = {}
        self.committed: dict[int, tuple[int, str]] = {}
        self.commit_seen: dict[str, int] = {}
        self.applied: dict[int, tuple[int, Any, str]] = {}
        self.last_applied: dict[str, int] = {}

    def add(self, prop: str, detail: str, time: float, node: str | None) -> None:
        self.findings.append(Finding(prop, detail, time, node))

    def log(self, node: str) -> _LogModel:
        m = self.logs.get(node)
        if m is None:
            m = self.logs[node] = _LogModel()
        return m

    def run(self, trace: Trace) -> list[Finding]:
        for e in trace.events:
            kind = e.kind
            if kind == "output":
                handler = getattr(self, "on_" + e.info, None)
                if handler is not None:
                    handler(e.time, e.node, e.msg)
            elif kind in ("crash", "restart"):
                node = e.node
                self.is_leader[node] = False
                base = self.log(node).base_index
                self.last_applied[node] = base
                self.commit_seen[node] = base
        return self.findings

    # --- one handler per output name ----------------------------------------------------
    def on_role(self, t: float, node: str, value: tuple[str, int]) -> None:
        role, term = value
        self.is_leader[node] = role == "leader"
        if role != "leader":
            return
        other = self.leaders.get(term)
        if other is not None and other != node:
            self.add("election safety", f"two leaders in term {term}: {other} and {node}",
                     t, node)
        self.leaders[term] = node
        log = self.log(node)
        for index in sorted(self.committed):
            c_term, who = self.committed[index]
            if index < log.base_index or c_term >= term:
                continue
            have = log.term_at(index)
            if have != c_term:
                shown = "no entry" if have is None else f"an entry of term {have}"
                self.add("leader completeness",
                         f"{node} became leader of term {term} without the committed entry "
                         f"{index}@t{c_term} (committed at {who}); its log has {shown} there",
                         t, node)
                return

    def on_append(self, t: float, node: str, value: tuple) -> None:
        prev_index, prev_term, entries = value
        log = self.log(node)
        if prev_index != log.last_index or log.term_at(prev_index) != prev_term:
            self.add("log matching", f"{node} appended after {prev_index}@t{prev_term}, but "
                     f"its log ends at {log.last_index}@t{log.term_at(log.last_index)}", t, node)
            log.terms, log.commands = [], []          # start again from what it claims
            log.base_index, log.base_term = prev_index, prev_term
        before = prev_term
        for entry in entries:
            key = (entry.index, entry.term)
            seen = self.entries.get(key)
            if seen is None:
                self.entries[key] = (entry.command, before, node)
            elif seen[0] != entry.command or seen[1] != before:
                what = (f"command {seen[0]!r} at {seen[2]} but {entry.command!r} at {node}"
                        if seen[0] != entry.command else
                        f"previous term {seen[1]} at {seen[2]} but {before} at {node}")
                self.add("log matching", f"two different entries {entry.index}@t{entry.term}: "
                         f"{what}", t, node)
            log.terms.append(entry.term)
            log.commands.append(entry.command)
            before = entry.term

    def on_truncate(self, t: float, node: str, index: int) -> None:
        if self.is_leader.get(node):
            self.add("leader append-only", f"leader {node} deleted its entries from {index} on",
                     t, node)
        self.log(node).truncate(index)

    def on_snapshot(self, t: float, node: str, value: tuple[int, int]) -> None:
        self.log(node).compact(*value)

    def on_install(self, t: float, node: str, value: tuple[int, int]) -> None:
        index, term = value
        self.log(node).compact(index, term)
        self._committed(t, node, index, term)
        self.last_applied[node] = index
        self.commit_seen[node] = max(self.commit_seen.get(node, 0), index)

    def on_commit(self, t: float, node: str, value: tuple[int, int]) -> None:
        index, _ = value
        log = self.log(node)
        start = max(self.commit_seen.get(node, 0), log.base_index)
        for i in range(start + 1, index + 1):
            term = log.term_at(i)
            if term is not None:
                self._committed(t, node, i, term)
        self.commit_seen[node] = max(self.commit_seen.get(node, 0), index)

    def _committed(self, t: float, node: str, index: int, term: int) -> None:
        seen = self.committed.get(index)
        if seen is None:
            self.committed[index] = (term, node)
        elif seen[0] != term:
            self.add("state machine safety", f"index {index} was committed with term {seen[0]} "
                     f"(at {seen[1]}) and later with term {term} (at {node})", t, node)

    def on_apply(self, t: float, node: str, value: tuple[int, int, Any]) -> None:
        index, term, command = value
        seen = self.applied.get(index)
        if seen is None:
            self.applied[index] = (term, command, node)
        elif seen[0] != term or seen[1] != command:
            self.add("state machine safety",
                     f"index {index}: {seen[2]} applied {seen[1]!r} (term {seen[0]}) but {node} "
                     f"applied {command!r} (term {term})", t, node)
        last = self.last_applied.get(node, 0)
        if index != last + 1:
            self.add("state machine safety", f"{node} applied index {index} right after {last}",
                     t, node)
        self.last_applied[node] = index


def check_trace(trace: Trace | Simulation) -> list[Finding]:
    """Every trace-level property (all but linearizability), in one pass."""
    if isinstance(trace, Simulation):
        trace = trace.trace
    if not isinstance(trace, Trace):
        raise TypeError(f"check_trace needs a Trace or a Simulation, got {type(trace).__name__}")
    return _Checker().run(trace)


def _only(prop: str, trace: Trace | Simulation) -> list[Finding]:
    return [f for f in check_trace(trace) if f.property == prop]


def check_election_safety(trace: Trace | Simulation) -> list[Finding]:
    """At most one leader per term (§5.2)."""
    return _only("election safety", trace)


def check_leader_append_only(trace: Trace | Simulation) -> list[Finding]:
    """A leader never deletes its own entries (§5.3)."""
    return _only("leader append-only", trace)


def check_log_matching(trace: Trace | Simulation) -> list[Finding]:
    """Same index and term means same entry and same history before it (§5.3)."""
    return _only("log matching", trace)


def check_leader_completeness(trace: Trace | Simulation) -> list[Finding]:
    """Every leader holds every entry committed before its election (§5.4)."""
    return _only("leader completeness", trace)


def check_state_machine_safety(trace: Trace | Simulation) -> list[Finding]:
    """No two servers apply different commands at one index (§5.4.3)."""
    return _only("state machine safety", trace)


def check_history(history: History, *, max_steps: int = 500_000) -> list[Finding]:
    """Is the clients' history linearizable for the key-value model? An ``unknown``
    verdict (search budget exhausted) is reported as a finding too."""
    if not isinstance(history, History):
        raise TypeError(f"check_history needs a distlab.sim.History, got {type(history).__name__}")
    if not len(history):
        return []
    result = check_linearizable(history, models.kv(), max_steps=max_steps)
    if result.verdict == "linearizable":
        return []
    if result.verdict == "unknown":
        return [Finding("linearizability", f"unknown: no verdict within {max_steps} steps")]
    bad = ", ".join(repr(op) for op in result.unplaceable[:3])
    when = None
    if result.unplaceable:   # ops count calls and returns by history index
        first = result.unplaceable[0]
        when = history.events[int(first.call)].time
        process = first.process
    return [Finding("linearizability", f"{len(result.longest_partial)} operations of the "
                    f"failing key linearized, then none of: {bad}", when,
                    process if when is not None else None)]


def check_all(sim: Simulation, *, linearizability: bool = True,
              max_steps: int = 500_000) -> list[Finding]:
    """The trace checks, then (optionally) linearizability of ``sim.history``."""
    if not isinstance(sim, Simulation):
        raise TypeError(f"check_all needs a Simulation, got {type(sim).__name__}")
    found = check_trace(sim.trace)
    if linearizability:
        found += check_history(sim.history, max_steps=max_steps)
    return found


_WINDOW_KINDS = ("output", "crash", "restart", "partition", "heal", "annotate")
_QUIET_OUTPUTS = ("append", "truncate", "term", "vote", "read")


def window(trace: Trace | Simulation, time: float | None, *, before: float | None = None,
           after: float = 50.0, node: str | None = None, limit: int = 30,
           verbose: bool = False) -> str:
    """The trace up to ``time + after``, as text: the last ``limit`` role changes,
    commits, applies, snapshots, crashes, restarts and partitions (``verbose``: every
    output), oldest first; ``>>`` marks events at ``time``. ``before`` also drops
    events older than ``time - before``; with ``node``, only that server's events and
    the global ones (partitions)."""
    if isinstance(trace, Simulation):
        trace = trace.trace
    events = trace.events
    if time is None:
        time = events[-1].time if events else 0.0
    lines = []
    for e in events:
        if e.time > time + after:
            break
        if e.kind not in _WINDOW_KINDS or (before is not None and e.time < time - before):
            continue
        if e.kind == "output" and not verbose and e.info in _QUIET_OUTPUTS:
            continue
        if node is not None and e.node not in (node, None):
            continue
        mark = ">>" if abs(e.time - time) < 1e-9 else "  "
        if e.kind == "output":
            lines.append(f"{mark} {e.time:9.2f} {e.node:>4} {e.info:<9} {e.msg!r}")
        else:
            lines.append(f"{mark} {e.time:9.2f} {e.node or '':>4} {e.kind:<9} "
                         f"{'' if e.info is None else e.info}")
    if len(lines) > limit:
        lines = [f"   ... {len(lines) - limit} earlier events not shown"] + lines[-limit:]
    return "\n".join(lines)
