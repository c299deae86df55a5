"""Ballots and the messages of Paxos, named as in the papers.

A **ballot** (Lamport's "proposal number", the Part-Time Parliament's "ballot") is a
pair ``(round, proposer)``: proposers never share an id, so no two proposers ever use
the same ballot, and pairs compare round first, then id, so ballots are totally
ordered (Lamport 2001, §2.2: "different proposers choose their numbers from disjoint
sets"). ``ZERO`` is below every real ballot: an acceptor that has promised or
accepted nothing.

Single-decree Synod (Lamport 2001, §2.2; phase names 1a/1b/2a/2b from Lamport's
later papers): ``Prepare`` (1a), ``Promise`` (1b), ``Accept`` (2a), ``Accepted`` (2b),
plus ``Nack`` (the optimisation of §2.3: an acceptor tells a proposer it has promised
a higher ballot, so the proposer can give up at once) and the learners' catch-up,
``Query`` / ``Chosen``.

Multi-Paxos (van Renesse & Altinbuken 2015; Chandra, Griesemer & Redstone 2007):
``Command``, ``NOOP``, client ``Request`` / ``Reply`` / ``NotLeader``, the slot-carrying
``Prepare`` / ``Promise`` / ``Accept`` / ``Accepted`` of ``distlab.paxos.multipaxos``
(``P1a`` ... ``P2b`` there), ``Decide`` and the leader's ``Heartbeat`` /
``HeartbeatOk``.

Taught in notebook 2.4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Ballot", "ZERO", "Prepare", "Promise", "Accept", "Accepted", "Nack", "Query",
           "Chosen", "Heartbeat",
           "Command", "NOOP", "Request", "Reply", "NotLeader", "P1a", "P1b", "P2a", "P2b",
           "Reject", "Decide", "LeaderBeat", "BeatOk"]


@dataclass(frozen=True, slots=True, order=True)
class Ballot:
    """A ballot number ``(round, proposer)``; totally ordered, unique per proposer."""

    round: int
    proposer: str

    def __repr__(self) -> str:
        return "⊥" if self.round == 0 else f"{self.round}.{self.proposer}"

    def __str__(self) -> str:
        return repr(self)


#: Below every real ballot: "nothing promised / accepted yet".
ZERO = Ballot(0, "")


# --- single-decree Synod -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Prepare:
    """Phase 1a, proposer -> acceptors: "promise me ballot ``ballot``"."""

    ballot: Ballot


@dataclass(frozen=True, slots=True)
class Promise:
    """Phase 1b, acceptor -> proposer: a promise to ignore lower ballots, with the
    highest-numbered proposal the acceptor has accepted (``accepted=ZERO``: none)."""

    ballot: Ballot
    accepted: Ballot
    value: Any


@dataclass(frozen=True, slots=True)
class Accept:
    """Phase 2a, proposer -> acceptors: "accept ``value`` in ballot ``ballot``"."""

    ballot: Ballot
    value: Any


@dataclass(frozen=True, slots=True)
class Accepted:
    """Phase 2b, acceptor -> learners: "I accepted ``value`` in ``ballot``"."""

    ballot: Ballot
    value: Any


@dataclass(frozen=True, slots=True)
class Nack:
    """Acceptor -> proposer: ``ballot`` is too low, I promised ``promised``."""

    ballot: Ballot
    promised: Ballot


@dataclass(frozen=True, slots=True)
class Query:
    """An undecided learner asks the others whether they learned a value."""


@dataclass(frozen=True, slots=True)
class Chosen:
    """A learner that learned ``value`` tells another (the answer to ``Query``, or to a
    ``Prepare`` that arrives after the decision)."""

    value: Any


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A proposer is alive (for choosing a distinguished proposer, §2.4)."""


# --- Multi-Paxos ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Command:
    """A client's command: ``op`` is ``("get", key)``, ``("put", (key, value))`` or
    ``("append", (key, value))``; ``(client, req)`` identifies it (for at-most-once)."""

    client: str
    req: int
    op: tuple

    def __repr__(self) -> str:
        if self.client == "":
            return "noop"
        f, arg = self.op
        shown = arg if f == "get" else f"{arg[0]}={arg[1]!r}" if f == "put" else \
            f"{arg[0]}+={arg[1]!r}"
        return f"{self.client}#{self.req}:{f} {shown}"


#: What a new leader proposes for a slot nobody in its quorum accepted anything for.
NOOP = Command("", 0, ("noop", None))


@dataclass(frozen=True, slots=True)
class Request:
    """Client -> server: please run ``command``."""

    command: Command


@dataclass(frozen=True, slots=True)
class Reply:
    """Server -> client: request ``req`` ran, with ``result``."""

    req: int
    result: Any


@dataclass(frozen=True, slots=True)
class NotLeader:
    """Server -> client: I am not the leader; try ``leader`` (``None``: unknown)."""

    req: int
    leader: str | None


@dataclass(frozen=True, slots=True)
class P1a:
    """Phase 1a for every slot from ``low`` on: "promise me ballot ``ballot``"."""

    ballot: Ballot
    low: int


@dataclass(frozen=True, slots=True)
class P1b:
    """Phase 1b: a promise, with every ``(slot, ballot, command)`` the acceptor has
    accepted at slots ``>= low`` (the highest-numbered one per slot)."""

    ballot: Ballot
    accepted: tuple


@dataclass(frozen=True, slots=True)
class P2a:
    """Phase 2a: "accept ``command`` in slot ``slot`` at ballot ``ballot``"."""

    ballot: Ballot
    slot: int
    command: Command


@dataclass(frozen=True, slots=True)
class P2b:
    """Phase 2b, acceptor -> leader: "I accepted slot ``slot`` at ``ballot``"."""

    ballot: Ballot
    slot: int


@dataclass(frozen=True, slots=True)
class Reject:
    """Acceptor -> leader: ``ballot`` is too low, I promised ``promised``."""

    ballot: Ballot
    promised: Ballot


@dataclass(frozen=True, slots=True)
class Decide:
    """Leader -> replicas: slot ``slot`` holds ``command`` (it was chosen)."""

    slot: int
    command: Command


@dataclass(frozen=True, slots=True)
class LeaderBeat:
    """Leader -> followers: I lead with ``ballot``; slots below ``decided`` are chosen."""

    ballot: Ballot
    decided: int


@dataclass(frozen=True, slots=True)
class BeatOk:
    """Follower -> leader: my first slot without a decision is ``need``."""

    ballot: Ballot
    need: int
