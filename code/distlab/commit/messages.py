"""Messages and log records of the atomic commit protocols.

Names follow the papers. Two-phase commit (Gray 1978; Bernstein, Hadzilacos & Goodman
1987, §7.4; Mohan, Lindsay & Obermarck 1986): the coordinator sends
``Prepare`` (BHG's VOTE-REQ), each participant answers with a ``Vote`` (YES or NO),
the coordinator sends ``Commit`` or ``Abort`` and a committed participant returns an
``Ack``. A participant in doubt sends a ``DecisionRequest`` (BHG's DECISION-REQ, R*'s
inquiry). Three-phase commit (Skeen 1981; BHG §7.5) adds a round between the vote and
the decision: ``CanCommit`` asks for votes, ``PreCommit`` moves every participant to
the committable state, each answers ``PreCommitAck``, then ``DoCommit``; its
termination protocol uses ``Elect``, ``StateReq`` and ``StateReply`` (BHG's STATE-REQ
and STATE-REPLY).

A ``LogRecord`` is what a node force-writes to its durable log before it sends the
message that depends on it (the trace shows each write as a ``persist`` event).

Taught in notebook 2.3 ("Two-phase and three-phase commit").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Prepare", "Vote", "Commit", "Abort", "Ack", "DecisionRequest",
           "CanCommit", "PreCommit", "PreCommitAck", "DoCommit", "Elect", "StateReq",
           "StateReply", "LogRecord", "STATES"]

#: A participant's states in Skeen's (1981) finite-state model of commit protocols:
#: q initial (knows nothing yet), w uncertain (voted yes, waiting), p committable
#: (pre-committed, 3PC only), c committed, a aborted.
STATES = {"q": "initial", "w": "uncertain", "p": "committable", "c": "committed",
          "a": "aborted"}


# --- two-phase commit -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Prepare:
    """Phase 1: the coordinator asks every participant to vote on ``txid``."""

    txid: str
    participants: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Prepare({self.txid})"


@dataclass(frozen=True, slots=True)
class Vote:
    """A participant's vote on ``txid``: ``yes`` (it has prepared) or not."""

    txid: str
    yes: bool

    def __repr__(self) -> str:
        return f"Vote({self.txid}: {'yes' if self.yes else 'no'})"


@dataclass(frozen=True, slots=True)
class Commit:
    """Phase 2 of 2PC: the decision is commit."""

    txid: str

    def __repr__(self) -> str:
        return f"Commit({self.txid})"


@dataclass(frozen=True, slots=True)
class Abort:
    """The decision is abort (both protocols)."""

    txid: str

    def __repr__(self) -> str:
        return f"Abort({self.txid})"


@dataclass(frozen=True, slots=True)
class Ack:
    """A participant has logged the commit; the coordinator may forget ``txid``."""

    txid: str

    def __repr__(self) -> str:
        return f"Ack({self.txid})"


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """A participant in doubt asks what was decided (BHG §7.4; R*'s inquiry)."""

    txid: str

    def __repr__(self) -> str:
        return f"DecisionRequest({self.txid})"


# --- three-phase commit -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CanCommit:
    """Phase 1 of 3PC: may ``txid`` commit? (Skeen's "xact", BHG's VOTE-REQ)."""

    txid: str
    participants: tuple[str, ...]

    def __repr__(self) -> str:
        return f"CanCommit({self.txid})"


@dataclass(frozen=True, slots=True)
class PreCommit:
    """Phase 2 of 3PC: everyone voted yes; become committable. ``round`` 0 is the
    original coordinator, round k ≥ 1 the k-th coordinator of the termination protocol."""

    txid: str
    round: int = 0

    def __repr__(self) -> str:
        return f"PreCommit({self.txid}, r{self.round})"


@dataclass(frozen=True, slots=True)
class PreCommitAck:
    """A participant is committable (it logged the pre-commit)."""

    txid: str
    round: int = 0

    def __repr__(self) -> str:
        return f"PreCommitAck({self.txid}, r{self.round})"


@dataclass(frozen=True, slots=True)
class DoCommit:
    """Phase 3 of 3PC: the decision is commit."""

    txid: str

    def __repr__(self) -> str:
        return f"DoCommit({self.txid})"


@dataclass(frozen=True, slots=True)
class Elect:
    """Termination protocol: "you are the coordinator of round ``round``, take over"."""

    txid: str
    round: int

    def __repr__(self) -> str:
        return f"Elect({self.txid}, r{self.round})"


@dataclass(frozen=True, slots=True)
class StateReq:
    """Termination protocol: the round's coordinator asks for every participant's state."""

    txid: str
    round: int

    def __repr__(self) -> str:
        return f"StateReq({self.txid}, r{self.round})"


@dataclass(frozen=True, slots=True)
class StateReply:
    """A participant's state for ``txid``: one of ``"w"``, ``"p"``, ``"c"``, ``"a"``."""

    txid: str
    round: int
    state: str

    def __repr__(self) -> str:
        return f"StateReply({self.txid}, r{self.round}: {self.state})"


# --- the log ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LogRecord:
    """One record of a node's durable log: ``kind`` of ``txid`` (``prepared``,
    ``precommit``, ``commit``, ``abort``, ``end``), with the transaction's
    ``coordinator`` and ``participants`` where recovery needs them."""

    txid: str
    kind: str
    coordinator: str | None = None
    participants: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<{self.kind} {self.txid}>"
