"""Raft's messages and log entries, named as in Ongaro & Ousterhout (2014), Figure 2.

Server-to-server RPCs (Figure 2, Figure 13):

- ``RequestVote`` / ``RequestVoteReply``: a candidate asks for votes (§5.2, §5.4.1);
- ``AppendEntries`` / ``AppendEntriesReply``: the leader replicates entries and sends
  heartbeats (§5.3); a failed reply carries the *conflict term* and *conflict index*
  that let the leader skip back a whole term at a time (§5.3, last paragraphs; the
  MIT 6.5840 hints);
- ``InstallSnapshot`` / ``InstallSnapshotReply``: the leader sends its snapshot to a
  follower whose missing entries it has already compacted away (§7). The snapshot
  travels in one message (Figure 13's ``offset``/``done`` chunking is left out: the
  simulated network has no message size limit).

Client-to-server messages follow Ongaro's thesis (2014), Figure 6.1 and §4.1:
``ClientRequest`` (a command, with the client id and sequence number used for
duplicate detection), ``ClientQuery`` (a read-only query), ``ClientReply`` (status,
response, leader hint), ``AddServer`` / ``RemoveServer`` and ``MembershipReply``.

Two fields are not in the paper's Figure 2, and say so: ``RequestVote.transfer`` (the
vote request of a leadership transfer, which the "disruptive server" rule of §6 must
not ignore; etcd calls it ``campaignTransfer``) and ``round`` in ``AppendEntries`` and
its reply (the heartbeat round a read index waits for, thesis §6.4).

Everything here is a frozen, slotted dataclass with a short ``repr``, because
learners print them. Taught in notebooks 2.6–2.8 (the Raft project).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Entry", "Command", "NoOp", "NOOP", "Configuration", "Snapshot",
           "RequestVote", "RequestVoteReply", "AppendEntries", "AppendEntriesReply",
           "InstallSnapshot", "InstallSnapshotReply",
           "ClientRequest", "ClientQuery", "ClientReply",
           "AddServer", "RemoveServer", "MembershipReply",
           "OK", "NOT_LEADER", "BUSY", "TIMEOUT", "STATUSES", "describe_command"]

# Reply statuses (thesis Figure 6.1 and Figure 4.1, in lower case).
OK = "ok"
NOT_LEADER = "not_leader"
BUSY = "busy"          # a membership change is already in progress: retry later
TIMEOUT = "timeout"    # a new server did not catch up in time (thesis §4.2.1)
STATUSES = (OK, NOT_LEADER, BUSY, TIMEOUT)


# --- what the log holds ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Command:
    """A key-value command from client ``client_id`` with sequence number ``seq``.

    ``op`` is ``"get"``, ``"put"`` or ``"append"``. The pair (client_id, seq) is what
    the state machine uses to apply each command at most once (thesis §6.3).
    """

    client_id: str
    seq: int
    op: str
    key: str
    value: str | None = None

    def __repr__(self) -> str:
        arg = f" {self.key!r}" + ("" if self.value is None else f" {self.value!r}")
        return f"{self.op}{arg} ({self.client_id}#{self.seq})"


@dataclass(frozen=True, slots=True)
class NoOp:
    """The blank entry a new leader appends at the start of its term (§8; thesis §6.4)."""

    def __repr__(self) -> str:
        return "no-op"


NOOP = NoOp()


@dataclass(frozen=True, slots=True)
class Configuration:
    """A cluster configuration: the voting members and the non-voting learners.

    As a log entry it *is* the membership change: a server uses the latest
    configuration in its log, committed or not (thesis §4.1). Learners receive the
    log but neither vote nor count for commitment (thesis §4.2.1).
    """

    voters: tuple[str, ...]
    learners: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "voters", tuple(sorted(self.voters)))
        object.__setattr__(self, "learners", tuple(sorted(self.learners)))
        if set(self.voters) & set(self.learners):
            raise ValueError(f"a server cannot be both voter and learner: "
                             f"{sorted(set(self.voters) & set(self.learners))}")

    @property
    def members(self) -> tuple[str, ...]:
        """Voters and learners: every server the leader replicates to."""
        return tuple(sorted(self.voters + self.learners))

    @property
    def quorum(self) -> int:
        """How many voters make a majority."""
        return len(self.voters) // 2 + 1

    def __repr__(self) -> str:
        text = "config{" + ",".join(self.voters)
        if self.learners:
            text += " +learners " + ",".join(self.learners)
        return text + "}"


def describe_command(command: Any) -> str:
    """A short text for any command a log entry may hold."""
    return repr(command)


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry: its ``index``, the ``term`` it was created in, its ``command``."""

    index: int
    term: int
    command: Any

    def __repr__(self) -> str:
        return f"{self.index}@t{self.term} {describe_command(self.command)}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A snapshot (§7, Figure 12): the state machine's state after applying every entry
    up to ``last_included_index`` (whose term is ``last_included_term``) and the latest
    configuration as of that index. The state includes the duplicate-detection table
    (thesis §6.3), so a command applied before the snapshot is still applied once."""

    last_included_index: int
    last_included_term: int
    config: Configuration
    state: Any

    def __repr__(self) -> str:
        return (f"Snapshot(upto {self.last_included_index}@t{self.last_included_term}, "
                f"{self.config!r})")


# --- server-to-server RPCs (Figure 2) ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class RequestVote:
    """Candidate -> server: vote for me in ``term`` (§5.2); my log ends at
    (``last_log_index``, ``last_log_term``) (§5.4.1)."""

    term: int
    candidate_id: str
    last_log_index: int
    last_log_term: int
    transfer: bool = False

    def __repr__(self) -> str:
        extra = " transfer" if self.transfer else ""
        return (f"RequestVote(t{self.term} {self.candidate_id} "
                f"last={self.last_log_index}@t{self.last_log_term}{extra})")


@dataclass(frozen=True, slots=True)
class RequestVoteReply:
    """Server -> candidate: ``vote_granted`` in ``term`` (the voter's current term)."""

    term: int
    vote_granted: bool

    def __repr__(self) -> str:
        return f"RequestVoteReply(t{self.term} {'yes' if self.vote_granted else 'no'})"


@dataclass(frozen=True, slots=True)
class AppendEntries:
    """Leader -> follower: append ``entries`` after (``prev_log_index``,
    ``prev_log_term``); the leader has committed up to ``leader_commit`` (§5.3).
    With no entries it is a heartbeat (§5.2)."""

    term: int
    leader_id: str
    prev_log_index: int
    prev_log_term: int
    entries: tuple[Entry, ...] = ()
    leader_commit: int = 0
    round: int = 0

    def __repr__(self) -> str:
        if not self.entries:
            body = "heartbeat"
        elif len(self.entries) <= 2:
            body = "[" + ", ".join(map(repr, self.entries)) + "]"
        else:
            body = f"[{self.entries[0].index}..{self.entries[-1].index}]"
        return (f"AppendEntries(t{self.term} {self.leader_id} "
                f"prev={self.prev_log_index}@t{self.prev_log_term} {body} "
                f"commit={self.leader_commit})")


@dataclass(frozen=True, slots=True)
class AppendEntriesReply:
    """Follower -> leader. On success ``match_index`` is the last index the request
    vouched for (so a late or duplicated reply cannot be misread). On failure,
    ``conflict_term`` is the term of the follower's entry at ``prev_log_index`` (``None``
    if the follower's log is too short) and ``conflict_index`` the first index the
    leader should try next (fast backtracking, §5.3)."""

    term: int
    success: bool
    match_index: int = 0
    conflict_index: int = 0
    conflict_term: int | None = None
    round: int = 0

    def __repr__(self) -> str:
        if self.success:
            return f"AppendEntriesReply(t{self.term} ok match={self.match_index})"
        ct = "-" if self.conflict_term is None else f"t{self.conflict_term}"
        return (f"AppendEntriesReply(t{self.term} no conflict={self.conflict_index}"
                f"/{ct})")


@dataclass(frozen=True, slots=True)
class InstallSnapshot:
    """Leader -> follower: replace your state with ``snapshot`` (§7, Figure 13)."""

    term: int
    leader_id: str
    snapshot: Snapshot = field(repr=False)
    round: int = 0

    @property
    def last_included_index(self) -> int:
        return self.snapshot.last_included_index

    @property
    def last_included_term(self) -> int:
        return self.snapshot.last_included_term

    def __repr__(self) -> str:
        return (f"InstallSnapshot(t{self.term} {self.leader_id} upto "
                f"{self.last_included_index}@t{self.last_included_term})")


@dataclass(frozen=True, slots=True)
class InstallSnapshotReply:
    """Follower -> leader: my current ``term``; I now hold everything up to
    ``last_included_index``."""

    term: int
    last_included_index: int
    round: int = 0

    def __repr__(self) -> str:
        return f"InstallSnapshotReply(t{self.term} upto {self.last_included_index})"


# --- clients (thesis Chapter 6) ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ClientRequest:
    """Client -> server: commit ``command`` (a ``Command``) through the log."""

    client_id: str
    seq: int
    command: Any

    def __repr__(self) -> str:
        return f"ClientRequest({self.command!r})"


@dataclass(frozen=True, slots=True)
class ClientQuery:
    """Client -> server: a read-only query of ``key`` (served by read index, §6.4)."""

    client_id: str
    seq: int
    key: str

    def __repr__(self) -> str:
        return f"ClientQuery(get {self.key!r} ({self.client_id}#{self.seq}))"


@dataclass(frozen=True, slots=True)
class ClientReply:
    """Server -> client: ``status`` (``"ok"`` or ``"not_leader"``), the ``response`` and,
    when not the leader, ``leader_hint`` (the leader this server believes in, or None)."""

    client_id: str
    seq: int
    status: str
    response: Any = None
    leader_hint: str | None = None

    def __repr__(self) -> str:
        if self.status == OK:
            return f"ClientReply(#{self.seq} ok {self.response!r})"
        return f"ClientReply(#{self.seq} {self.status} hint={self.leader_hint})"


@dataclass(frozen=True, slots=True)
class AddServer:
    """Admin -> leader: add ``server`` to the cluster (thesis §4.1, Figure 4.1)."""

    server: str
    seq: int = 0

    def __repr__(self) -> str:
        return f"AddServer({self.server})"


@dataclass(frozen=True, slots=True)
class RemoveServer:
    """Admin -> leader: remove ``server`` from the cluster (thesis §4.1, Figure 4.1)."""

    server: str
    seq: int = 0

    def __repr__(self) -> str:
        return f"RemoveServer({self.server})"


@dataclass(frozen=True, slots=True)
class MembershipReply:
    """Leader -> admin: the change of ``server`` finished with ``status``."""

    seq: int
    server: str
    status: str
    leader_hint: str | None = None

    def __repr__(self) -> str:
        return f"MembershipReply({self.server} {self.status})"
