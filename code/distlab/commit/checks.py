"""Checkers for atomic commitment, reading only the trace.

The properties are those of Bernstein, Hadzilacos & Goodman (1987, §7.3), AC1–AC5:

- **atomicity** (AC1, AC2): all processes that decide reach the same decision, and no
  process changes its mind (never both commit and abort for one transaction);
- **validity** (AC3, AC4): commit only if every participant voted yes; if all voted
  yes and nothing failed, the decision is commit;
- **termination** (AC5 and its non-blocking strengthening): where the protocol
  promises it, every participant that voted yes eventually decides.

Checkers read the ``output`` events the protocols put in the trace (``begin``,
``vote``, ``decide``), crashes, drops and partitions, and ``send``/``persist`` events
for the persist-before-send rule. They never look inside a node. Being in doubt is not
a violation in 2PC: ``in_doubt`` lists each participant's uncertain stretch, and
``blocked`` those that had to ask for the outcome, an expected outcome of 2PC under
coordinator crashes.

Taught in notebook 2.3 ("Two-phase and three-phase commit").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim.trace import Trace, TraceEvent
from .messages import (Ack, Commit, DecisionRequest, DoCommit, Elect, PreCommit,
                       PreCommitAck, Vote)

__all__ = ["Violation", "Decision", "InDoubt", "begins", "votes", "decisions", "outcomes",
           "check_atomicity", "check_validity", "check_termination",
           "check_persist_before_send", "check_commit", "in_doubt", "blocked", "had_faults"]


@dataclass(frozen=True)
class Violation:
    """A property of atomic commitment that failed on a trace."""

    property: str
    txid: str
    detail: str
    nodes: tuple[str, ...] = ()
    time: float | None = None

    def __str__(self) -> str:
        return f"{self.property} ({self.txid}): {self.detail}"


@dataclass(frozen=True)
class Decision:
    """``node`` decided ``outcome`` (``"commit"`` or ``"abort"``) on ``txid`` at ``time``."""

    node: str
    txid: str
    outcome: str
    time: float


@dataclass(frozen=True)
class InDoubt:
    """``node`` voted yes on ``txid`` at ``since`` and was uncertain until ``until``
    (``None``: still at the end of the trace). ``asked``: how many requests for the
    outcome it sent meanwhile (DecisionRequest, Elect)."""

    node: str
    txid: str
    since: float
    until: float | None
    asked: int = 0

    @property
    def duration(self) -> float | None:
        return None if self.until is None else self.until - self.since


def _events(trace: Any) -> list[TraceEvent]:
    if isinstance(trace, Trace):
        return trace.events
    if hasattr(trace, "trace") and isinstance(trace.trace, Trace):  # a Simulation
        return trace.trace.events
    if isinstance(trace, list) and all(isinstance(e, TraceEvent) for e in trace):
        return trace
    raise TypeError(f"the checkers read a Trace, a Simulation or a list of TraceEvent; "
                    f"got {type(trace).__name__}")


def _t(time: float) -> str:
    return f"{round(time, 2):g}"


def begins(trace: Any) -> dict[str, tuple[str, ...]]:
    """``{txid: participants}`` from the coordinators' ``begin`` outputs."""
    out: dict[str, tuple[str, ...]] = {}
    for e in _events(trace):
        if e.kind == "output" and e.info == "begin":
            txid, participants = e.msg
            out.setdefault(txid, tuple(participants))
    return out


def votes(trace: Any) -> dict[str, dict[str, tuple[str, float]]]:
    """``{txid: {participant: (vote, time)}}``: each participant's first vote."""
    out: dict[str, dict[str, tuple[str, float]]] = {}
    for e in _events(trace):
        if e.kind == "output" and e.info == "vote":
            txid, vote = e.msg
            out.setdefault(txid, {}).setdefault(e.node, (vote, e.time))
    return out


def decisions(trace: Any) -> list[Decision]:
    """Every ``decide`` output, in trace order (a node may repeat itself)."""
    return [Decision(e.node, e.msg[0], e.msg[1], e.time) for e in _events(trace)
            if e.kind == "output" and e.info == "decide"]


def outcomes(trace: Any) -> dict[str, str]:
    """``{txid: "commit" | "abort" | "mixed" | "undecided"}`` over every begun transaction."""
    seen: dict[str, set[str]] = {txid: set() for txid in begins(trace)}
    for d in decisions(trace):
        seen.setdefault(d.txid, set()).add(d.outcome)
    return {txid: ("undecided" if not s else "mixed" if len(s) > 1 else next(iter(s)))
            for txid, s in seen.items()}


def check_atomicity(trace: Any) -> list[Violation]:
    """All processes that decide decide the same; none decides both (AC1, AC2)."""
    first: dict[str, dict[str, Decision]] = {}
    for d in decisions(trace):
        first.setdefault(d.txid, {}).setdefault(d.outcome, d)
    out = []
    for txid, by_outcome in first.items():
        if len(by_outcome) > 1:
            c, a = by_outcome["commit"], by_outcome["abort"]
            nodes_c = sorted({d.node for d in decisions(trace)
                              if d.txid == txid and d.outcome == "commit"})
            nodes_a = sorted({d.node for d in decisions(trace)
                              if d.txid == txid and d.outcome == "abort"})
            out.append(Violation(
                "atomicity", txid,
                f"commit at {', '.join(nodes_c)} (first {c.node}, t={_t(c.time)}), "
                f"abort at {', '.join(nodes_a)} (first {a.node}, t={_t(a.time)})",
                tuple(sorted(set(nodes_c) | set(nodes_a))), min(c.time, a.time)))
    return out


def had_faults(trace: Any) -> bool:
    """Did anything fail: a crash, a dropped message or a partition?"""
    return any(e.kind in ("crash", "drop", "partition") for e in _events(trace))


def check_validity(trace: Any, *, require_commit: bool | None = None) -> list[Violation]:
    """Commit only if every participant voted yes (AC3); if all voted yes and nothing
    failed, commit (AC4). ``require_commit``: judge AC4 (default: when the trace has no
    crash, drop or partition)."""
    events = _events(trace)
    parts, cast = begins(events), votes(events)
    if require_commit is None:
        require_commit = not had_faults(events)
    out = []
    decided: dict[str, list[Decision]] = {}
    for d in decisions(events):
        decided.setdefault(d.txid, []).append(d)
    for txid, ds in decided.items():
        commits = [d for d in ds if d.outcome == "commit"]
        if not commits:
            continue
        first = commits[0]
        if txid not in parts:
            out.append(Violation("validity", txid, f"{first.node} committed a transaction "
                                 f"that was never begun", (first.node,), first.time))
            continue
        for p in parts[txid]:
            vote = cast.get(txid, {}).get(p)
            if vote is None or vote[0] != "yes" or vote[1] > first.time:
                why = ("never voted" if vote is None else
                       f"voted {vote[0]}" if vote[0] != "yes" else
                       f"voted yes only at t={_t(vote[1])}")
                out.append(Violation("validity", txid,
                                     f"{first.node} committed at t={_t(first.time)} but "
                                     f"{p} {why}", (first.node, p), first.time))
    if require_commit:
        for txid, ps in parts.items():
            if all(cast.get(txid, {}).get(p, ("",))[0] == "yes" for p in ps):
                got = {d.node: d.outcome for d in decided.get(txid, [])}
                missing = [n for n in ps if got.get(n) != "commit"]
                if missing:
                    out.append(Violation("validity", txid,
                                         f"all voted yes and nothing failed, yet "
                                         f"{', '.join(missing)} did not commit",
                                         tuple(missing)))
    return out


def in_doubt(trace: Any) -> list[InDoubt]:
    """Each participant's uncertain stretch: from its yes vote to its first decision."""
    events = _events(trace)
    since: dict[tuple[str, str], float] = {}
    asked: dict[tuple[str, str], int] = {}
    done: dict[tuple[str, str], float] = {}
    for e in events:
        if e.kind == "output" and e.info == "vote" and e.msg[1] == "yes":
            since.setdefault((e.node, e.msg[0]), e.time)
        elif e.kind == "output" and e.info == "decide":
            done.setdefault((e.node, e.msg[0]), e.time)
        elif e.kind == "send" and isinstance(e.msg, (DecisionRequest, Elect)):
            key = (e.node, e.msg.txid)
            if key in since and key not in done:
                asked[key] = asked.get(key, 0) + 1
    return [InDoubt(node, txid, t, done.get((node, txid)), asked.get((node, txid), 0))
            for (node, txid), t in since.items()]


def blocked(trace: Any) -> list[InDoubt]:
    """The in-doubt stretches in which the participant had to ask for the outcome
    (it timed out waiting for it): blocked, for as long as nobody could tell it."""
    return [d for d in in_doubt(trace) if d.asked > 0]


def check_termination(trace: Any, *, exclude_crashed: bool = False) -> list[Violation]:
    """Every participant that voted yes has decided by the end of the trace.

    With ``exclude_crashed``, only participants that did not crash after their vote
    are judged (3PC promises termination to the sites that stay up).
    """
    events = _events(trace)
    crashes: dict[str, list[float]] = {}
    for e in events:
        if e.kind == "crash":
            crashes.setdefault(e.node, []).append(e.time)
    out = []
    for d in in_doubt(events):
        if d.until is not None:
            continue
        if exclude_crashed and any(t >= d.since for t in crashes.get(d.node, [])):
            continue
        out.append(Violation("termination", d.txid,
                             f"{d.node} voted yes at t={_t(d.since)} and never decided",
                             (d.node,), d.since))
    return out


#: Messages that announce something the sender must have logged first.
_DEPENDENT = (Vote, PreCommitAck, Ack)
_COORDINATOR = (Commit, PreCommit, DoCommit)


def check_persist_before_send(trace: Any) -> list[Violation]:
    """The first yes vote, ack and pre-commit ack a node sends for a transaction, and
    the coordinator's first ``Commit``/``PreCommit``/``DoCommit``, come right after a
    log write at that node (same instant, earlier in the trace)."""
    events = _events(trace)
    coordinators = {e.node for e in events if e.kind == "output" and e.info == "begin"}
    last_persist: dict[str, float] = {}
    seen: set[tuple[str, str, str]] = set()
    out = []
    for e in events:
        if e.kind == "persist":
            last_persist[e.node] = e.time
        elif e.kind == "send":
            m = e.msg
            if (isinstance(m, Vote) and not m.yes) or (isinstance(m, PreCommitAck)
                                                       and m.round != 0):
                continue   # a no needs no record; a later round's ack may repeat one
            if not (isinstance(m, _DEPENDENT) or
                    (isinstance(m, _COORDINATOR) and e.node in coordinators)):
                continue
            key = (e.node, type(m).__name__, m.txid)
            if key in seen:
                continue
            seen.add(key)
            if last_persist.get(e.node) != e.time:
                out.append(Violation("persist before send", m.txid,
                                     f"{e.node} sent {m!r} at t={_t(e.time)} without "
                                     f"writing its log first", (e.node,), e.time))
    return out


def check_commit(trace: Any, *, termination: str | None = "all") -> list[Violation]:
    """Atomicity, validity and (``termination``: ``"all"`` participants, ``"up"``: those
    that did not crash after voting, ``None``: not judged) termination."""
    if termination not in ("all", "up", None):
        raise ValueError(f"termination must be 'all', 'up' or None, got {termination!r}")
    events = _events(trace)
    out = check_atomicity(events) + check_validity(events)
    if termination is not None:
        out += check_termination(events, exclude_crashed=termination == "up")
    return out
