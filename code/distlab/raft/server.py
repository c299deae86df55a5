"""A Raft server: Figure 2 of Ongaro & Ousterhout (2014) in full, as a sans-IO ``Node``.

State (Figure 2). *Persistent* on all servers, written to ``self.storage`` inside the
handler that changes it, so the simulator makes it durable before the handler's
messages leave (persist before send): ``current_term``, ``voted_for`` and the ``log``
(plus the latest snapshot, §7). *Volatile* on all servers: ``commit_index``,
``last_applied``. *Volatile* on leaders: ``next_index`` and ``match_index`` per
follower. A restart rebuilds the volatile state from the durable one.

Roles change only through ``become_follower``, ``become_candidate`` and
``become_leader`` (STYLE.md, after etcd's ``raft.go``). The rules, with the section
that states each:

- **Elections** (§5.2): a follower that hears nothing for a randomised election
  timeout becomes a candidate, votes for itself and asks the voters for theirs; a
  majority makes it leader; it then sends heartbeats every ``heartbeat_interval``.
- **Voting** (§5.4.1): one vote per term, only for a candidate whose log is at least
  as up to date (``up_to_date``: a higher last term, or the same last term and a log
  at least as long).
- **Replication** (§5.3): ``AppendEntries`` carries the entry before the new ones; a
  follower rejects it unless its log matches there (``consistency_check``), deletes
  conflicting entries and appends. On a rejection it tells the leader the *conflict
  term* and *conflict index* (``conflict_hint``) so the leader skips back a whole term
  per round trip (§5.3, last paragraphs; 6.5840's hints).
- **Commitment** (§5.3, §5.4.2): the leader commits the highest index stored on a
  majority of voters *only if that entry is from its current term* (``can_commit``:
  the Figure 8 rule); earlier entries are then committed indirectly.
- **Any message with a higher term** makes the receiver a follower in that term (§5.1).

Beyond Figure 2: a new leader appends a no-op (§8) so that it commits an entry of its
term promptly; clients reach the leader through redirection and are served exactly
once (sessions in the state machine, thesis §6.3); reads are linearizable by **read
index** (thesis §6.4, see ``serve_reads``); membership changes one server at a time
(``config.py``, thesis §4); snapshots and InstallSnapshot (``snapshot.py``, §7); and a
server ignores RequestVote while it believes a leader is alive (paper §6, thesis
§4.2.3), so a removed or partitioned server cannot depose a healthy leader.

Every role change, term change, vote, append, truncation, commit and apply is reported
with ``self.output`` so the checkers (``checks.py``) and pictures read the trace:

=========== ======================================== ===================================
name        value                                    when
=========== ======================================== ===================================
role        ``(role, term)``                         (re)start and every role change
term        ``term``                                 current_term changes
vote        ``(candidate, term)``                    a vote is granted
append      ``(prev_index, prev_term, entries)``     entries are appended to the log
truncate    ``index``                                entries from ``index`` are deleted
commit      ``(commit_index, term_of_that_entry)``   commit_index advances
apply       ``(index, term, command)``               an entry is applied
config      ``(index, voters, learners)``            the configuration in force changes
snapshot    ``(last_included_index, term)``          the server compacts its log
install     ``(last_included_index, term)``          the server installs a leader's snapshot
read        ``(read_index, key, value)``             a read is served (read index)
=========== ======================================== ===================================

The small methods named above (``up_to_date``, ``consistency_check``, ``conflict_hint``,
``next_index_after_conflict``, ``can_commit``) are the places a learner overrides in a
subclass to try a variant; ``scenarios.run_suite`` and ``sweep.sweep_class`` then
test it. Taught in notebooks 2.6 (elections), 2.7 (log replication, clients) and
2.8 (failures, snapshots, membership).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..sim import Node
from .config import MembershipMixin
from .kv import KVStateMachine
from .log import RaftLog
from .messages import (NOT_LEADER, NOOP, OK, AddServer, AppendEntries, AppendEntriesReply,
                       ClientQuery, ClientReply, ClientRequest, Command, Configuration, Entry,
                       InstallSnapshot, InstallSnapshotReply, NoOp, RemoveServer, RequestVote,
                       RequestVoteReply, Snapshot)
from .snapshot import SnapshotMixin

__all__ = ["RaftServer", "FOLLOWER", "CANDIDATE", "LEADER", "READ_MODES"]

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"

#: How a ``get`` is served: ``"read_index"`` (thesis §6.4: linearizable, no log
#: write), ``"log"`` (the read goes through the log like a write: linearizable,
#: slower) or ``"leader_local"`` (the leader answers from its own state at once:
#: NOT linearizable, a deposed leader serves stale values; for the notebooks).
READ_MODES = ("read_index", "log", "leader_local")


class _Read:
    """A read waiting at the leader for its read index (thesis §6.4)."""

    __slots__ = ("client", "client_id", "seq", "key", "read_index", "round")

    def __init__(self, client: str, client_id: str, seq: int, key: str) -> None:
        self.client, self.client_id, self.seq, self.key = client, client_id, seq, key
        self.read_index: int | None = None
        self.round = 0


class RaftServer(MembershipMixin, SnapshotMixin, Node):
    """One Raft server.

    Parameters
    ----------
    members
        The bootstrap configuration: the ids of the initial voters (every initial
        server gets the same list). A server that will be added later starts with
        ``()`` and waits to be contacted.
    election_timeout
        ``(low, high)``: each election timeout is drawn uniformly from it (§5.2).
    heartbeat_interval
        How often a leader sends AppendEntries to every follower.
    state_machine
        A factory for the replicated state machine (default ``KVStateMachine``).
    snapshot_threshold
        Snapshot after this many applied entries (``None``: never).
    reads
        One of ``READ_MODES``.
    noop
        Append a no-op entry when becoming leader (§8). Turn it off only for stories
        that must control the log exactly (Figure 8).
    disruption_guard
        Ignore RequestVote while a leader is believed alive (§6; thesis §4.2.3).
    catch_up_timeout
        How long a new server may take to catch up before it is dropped (thesis §4.2.1).
    """

    _HANDLERS: dict[type, str] = {
        RequestVote: "on_request_vote",
        RequestVoteReply: "on_request_vote_reply",
        AppendEntries: "on_append_entries",
        AppendEntriesReply: "on_append_entries_reply",
        InstallSnapshot: "on_install_snapshot",
        InstallSnapshotReply: "on_install_snapshot_reply",
        ClientRequest: "on_client_request",
        ClientQuery: "on_client_query",
        AddServer: "on_add_server",
        RemoveServer: "on_remove_server",
    }

    def __init__(self, members: Sequence[str] = (), *,
                 election_timeout: tuple[float, float] = (150.0, 300.0),
                 heartbeat_interval: float = 50.0,
                 state_machine: Callable[[], Any] = KVStateMachine,
                 snapshot_threshold: int | None = None, reads: str = "read_index",
                 noop: bool = True, disruption_guard: bool = True,
                 catch_up_timeout: float = 1000.0) -> None:
        if isinstance(members, str):
            raise TypeError(f"members must be a list of server ids, not the string {members!r}")
        try:
            low, high = election_timeout
        except (TypeError, ValueError):
            raise TypeError(f"election_timeout must be a (low, high) pair, "
                            f"got {election_timeout!r}") from None
        if not 0 < low <= high:
            raise ValueError(f"election_timeout must satisfy 0 < low <= high, "
                             f"got {election_timeout!r}")
        if not 0 < heartbeat_interval < low:
            raise ValueError(f"heartbeat_interval must be > 0 and below the election timeout's "
                             f"low end {low}, got {heartbeat_interval!r}")
        if snapshot_threshold is not None and (isinstance(snapshot_threshold, bool) or
                                               not isinstance(snapshot_threshold, int)
                                               or snapshot_threshold < 1):
            raise ValueError(f"snapshot_threshold must be a positive int or None, "
                             f"got {snapshot_threshold!r}")
        if reads not in READ_MODES:
            raise ValueError(f"reads must be one of {READ_MODES}, got {reads!r}")
        if not callable(state_machine):
            raise TypeError(f"state_machine must be a factory (e.g. KVStateMachine), "
                            f"got {state_machine!r}")
        self.initial_config = Configuration(tuple(members))
        self.election_timeout = (float(low), float(high))
        self.heartbeat_interval = float(heartbeat_interval)
        self.snapshot_threshold = snapshot_threshold
        self.reads = reads
        self.noop = bool(noop)
        self.disruption_guard = bool(disruption_guard)
        self.catch_up_timeout = float(catch_up_timeout)
        self._state_machine_factory = state_machine
        self.role = FOLLOWER

    # --- (re)start: recover the durable state -------------------------------------------
    def on_start(self) -> None:
        storage = self.storage
        self.current_term: int = storage.get("term", 0)
        self.voted_for: str | None = storage.get("voted_for")
        self.snapshot: Snapshot | None = storage.get("snapshot")
        self.state_machine = self._state_machine_factory()
        if self.snapshot is not None:
            s = self.snapshot
            self.log = RaftLog.load(storage, s.last_included_index, s.last_included_term)
            self.state_machine.restore(s.state)
        else:
            self.log = RaftLog.load(storage)
        self.commit_index = self.last_applied = self.log.snapshot_index
        self.role = FOLLOWER
        self.leader_id: str | None = None
        self.votes: set[str] = set()
        self.last_heard = -math.inf
        # leader state
        self.next_index: dict[str, int] = {}
        self.match_index: dict[str, int] = {}
        self.sent_upto: dict[str, int] = {}
        self.round = 0
        self.acked_round: dict[str, int] = {}
        self.pending_reads: list[_Read] = []
        self.proposed: dict[tuple[str, int], int] = {}
        self.change = None
        # client replies owed by this server, by (client_id, seq)
        self.waiters: dict[tuple[str, int], str] = {}
        self.config = None
        self.config_index = -1
        self.refresh_config()
        self._election_deadline = 0.0
        self._election_timer_due: float | None = None
        self.output("role", (FOLLOWER, self.current_term))
        self.reset_election_timer()

    # --- dispatch -------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        name = self._HANDLERS.get(type(msg))
        if name is not None:
            getattr(self, name)(src, msg)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "election":
            self._on_election_timer(payload)
        elif name == "heartbeat":
            if self.role == LEADER and payload == self.current_term:
                self.broadcast_append_entries()
                self.set_timer(self.heartbeat_interval, "heartbeat", self.current_term)
        elif name == "catch_up":
            self.on_catch_up_timeout(payload)

    # --- terms and roles ------------------------------------------------------------------
    def set_term(self, term: int, voted_for: str | None = None) -> None:
        """Adopt ``term`` (and a vote), durably: Figure 2's persistent state."""
        if term != self.current_term:
            self.current_term = term
            self.storage["term"] = term
            self.output("term", term)
        if voted_for != self.voted_for:
            self.voted_for = voted_for
            self.storage["voted_for"] = voted_for

    def become_follower(self, term: int, leader_id: str | None = None) -> None:
        """Follow (possibly in a newer term, with no vote cast in it yet)."""
        if term > self.current_term:
            self.set_term(term, None)
        self.leader_id = leader_id
        if self.role != FOLLOWER:
            was = self.role
            self.role = FOLLOWER
            self.output("role", (FOLLOWER, self.current_term))
            if was == LEADER:
                self.stepped_down()

    def become_candidate(self, transfer: bool = False) -> None:
        """Start an election: new term, vote for self, ask the other voters (§5.2)."""
        self.role = CANDIDATE
        self.set_term(self.current_term + 1, self.id)
        self.leader_id = None
        self.votes = {self.id}
        self.output("role", (CANDIDATE, self.current_term))
        self.reset_election_timer()
        request = RequestVote(self.current_term, self.id, self.log.last_index,
                              self.log.last_term, transfer)
        for v in self.config.voters:
            if v != self.id:
                self.send(v, request)
        self._check_election_won()

    def become_leader(self) -> None:
        """Won the election: initialise next_index/match_index, append a no-op (§8),
        send heartbeats at once and every ``heartbeat_interval`` (§5.2)."""
        self.role = LEADER
        self.leader_id = self.id
        self.output("role", (LEADER, self.current_term))
        last = self.log.last_index
        peers = [p for p in self.config.members if p != self.id]
        self.next_index = {p: last + 1 for p in peers}
        self.match_index = {p: 0 for p in peers}
        self.sent_upto = {}
        self.round = 0
        self.acked_round = {}
        self.pending_reads = []
        self.proposed = {}
        self.change = None
        if self.noop:
            self.append_new(NOOP)
        self.broadcast_append_entries()
        self.set_timer(self.heartbeat_interval, "heartbeat", self.current_term)
        self.advance_commit_index()

    def stepped_down(self) -> None:
        """A leader became a follower: pending reads and changes go back to the clients."""
        for r in self.pending_reads:
            self.send(r.client, ClientReply(r.client_id, r.seq, NOT_LEADER, None, None))
        self.pending_reads = []
        self.abandon_change()

    # --- election timer (randomised, §5.2) ------------------------------------------------
    def reset_election_timer(self) -> None:
        """Draw a new election timeout from ``election_timeout``, counting from now."""
        now = self.clock()
        self._election_deadline = now + self.rng.uniform(*self.election_timeout)
        due = self._election_timer_due
        if due is None or self._election_deadline < due - 1e-9:
            self._election_timer_due = self._election_deadline
            self.set_timer(self._election_deadline - now, "election", self._election_deadline)

    def _on_election_timer(self, due: float) -> None:
        # One pending timer at most fires "early" after a reset pushed the deadline
        # later: it re-arms for the new deadline instead of starting an election.
        if due == self._election_timer_due:
            self._election_timer_due = None
        now = self.clock()
        if now + 1e-9 >= self._election_deadline:
            self.election_timeout_elapsed()
        elif self._election_timer_due is None:
            self._election_timer_due = self._election_deadline
            self.set_timer(self._election_deadline - now, "election", self._election_deadline)

    def election_timeout_elapsed(self) -> None:
        """No word from a leader for a whole timeout: campaign, if this server votes."""
        if self.role == LEADER or self.id not in self.config.voters:
            self.reset_election_timer()
            return
        self.become_candidate()

    def heard_from_leader(self) -> None:
        """A valid AppendEntries/InstallSnapshot from the current leader arrived."""
        self.last_heard = self.clock()
        self.reset_election_timer()

    def leader_alive(self) -> bool:
        """Does this server believe a leader is alive (heard within the minimum
        election timeout)? Then it ignores RequestVote (§6, thesis §4.2.3)."""
        if self.role == LEADER:
            return True
        return (self.leader_id is not None
                and self.clock() - self.last_heard < self.election_timeout[0])

    # --- RequestVote (§5.2, §5.4.1) -------------------------------------------------------
    def up_to_date(self, last_log_index: int, last_log_term: int) -> bool:
        """Is a candidate's log at least as up to date as ours? (§5.4.1)"""
        my_term = self.log.last_term
        return last_log_term > my_term or (last_log_term == my_term
                                           and last_log_index >= self.log.last_index)

    def on_request_vote(self, src: str, m: RequestVote) -> None:
        if self.disruption_guard and not m.transfer and self.leader_alive():
            self.send(src, RequestVoteReply(self.current_term, False))
            return
        if m.term > self.current_term:
            self.become_follower(m.term)
        granted = (m.term == self.current_term
                   and self.voted_for in (None, m.candidate_id)
                   and self.up_to_date(m.last_log_index, m.last_log_term))
        if granted:
            self.set_term(self.current_term, m.candidate_id)   # durable before the reply
            self.output("vote", (m.candidate_id, self.current_term))
            self.reset_election_timer()
        self.send(src, RequestVoteReply(self.current_term, granted))

    def on_request_vote_reply(self, src: str, m: RequestVoteReply) -> None:
        if m.term > self.current_term:
            self.become_follower(m.term)
            return
        if self.role != CANDIDATE or m.term != self.current_term or not m.vote_granted:
            return
        self.votes.add(src)
        self._check_election_won()

    def _check_election_won(self) -> None:
        voters = self.config.voters
        if self.role == CANDIDATE and voters and \
                sum(1 for v in voters if v in self.votes) >= self.config.quorum:
            self.become_leader()

    # --- AppendEntries: the follower's side (§5.3) ----------------------------------------
    def consistency_check(self, prev_log_index: int, prev_log_term: int) -> bool:
        """Does our log contain an entry at ``prev_log_index`` whose term is
        ``prev_log_term``? (Figure 2, AppendEntries receiver step 2.)"""
        return self.log.matches(prev_log_index, prev_log_term)

    def conflict_hint(self, prev_log_index: int) -> tuple[int, int | None]:
        """After a failed consistency check: ``(conflict_index, conflict_term)``.

        A log too short: ``(last_index + 1, None)``. Otherwise the term of our entry at
        ``prev_log_index`` and the first index we hold with that term, so the leader
        can skip the whole term at once."""
        if prev_log_index > self.log.last_index:
            return self.log.last_index + 1, None
        return self.log.first_index_of_term(prev_log_index), self.log.term_at(prev_log_index)

    def on_append_entries(self, src: str, m: AppendEntries) -> None:
        if m.term < self.current_term:
            self.send(src, AppendEntriesReply(self.current_term, False, round=m.round))
            return
        if self.role == LEADER and m.term == self.current_term:
            return  # two leaders in one term cannot happen (Election Safety)
        self.become_follower(m.term, m.leader_id)
        self.heard_from_leader()
        prev_index, prev_term, entries = m.prev_log_index, m.prev_log_term, m.entries
        if prev_index < self.log.snapshot_index:
            # Entries up to our snapshot are committed, hence the leader's too (§7).
            entries = entries[self.log.snapshot_index - prev_index:]
            prev_index, prev_term = self.log.snapshot_index, self.log.snapshot_term
        if not self.consistency_check(prev_index, prev_term):
            index, term = self.conflict_hint(prev_index)
            self.send(src, AppendEntriesReply(self.current_term, False, 0, index, term, m.round))
            return
        self.store_entries(prev_index, entries)
        match = prev_index + len(entries)
        if m.leader_commit > self.commit_index:
            # min with the last entry this request vouched for, not our last entry.
            new = min(m.leader_commit, match)
            if new > self.commit_index:
                self.set_commit_index(new)
        self.send(src, AppendEntriesReply(self.current_term, True, match, round=m.round))

    def store_entries(self, prev_index: int, entries: Sequence[Entry]) -> None:
        """Delete conflicting entries and append the new ones (Figure 2, receiver
        steps 3 and 4). Entries already present are left alone, so a late, shorter
        AppendEntries cannot cut off newer entries."""
        log = self.log
        for k, e in enumerate(entries):
            have = log.term_at(e.index)
            if have == e.term:
                continue
            changed_config = False
            if have is not None:
                changed_config = any(isinstance(x.command, Configuration)
                                     for x in log.entries_from(e.index))
                log.truncate_from(e.index)
                self.output("truncate", e.index)
            new = tuple(entries[k:])
            self.output("append", (e.index - 1, log.term_at(e.index - 1), new))
            log.append(new)
            if changed_config or any(isinstance(x.command, Configuration) for x in new):
                self.refresh_config()
            return

    # --- AppendEntries: the leader's side -------------------------------------------------
    def append_new(self, command: Any) -> int:
        """Leader: append ``command`` to the own log in the current term; its index."""
        log = self.log
        entry = Entry(log.last_index + 1, self.current_term, command)
        self.output("append", (log.last_index, log.last_term, (entry,)))
        log.append((entry,))
        if isinstance(command, Configuration):
            self.refresh_config()
        return entry.index

    def start(self, command: Any) -> tuple[int, int, bool]:
        """Propose ``command`` (6.5840's ``Start``): ``(index, term, is_leader)``.

        Returns at once; the command is committed later, if at all."""
        if self.role != LEADER:
            return -1, self.current_term, False
        index = self.append_new(command)
        self.broadcast_append_entries()
        self.advance_commit_index()
        return index, self.current_term, True

    def send_append_entries(self, peer: str) -> None:
        """Leader: send ``peer`` every entry from its ``next_index`` (or the snapshot)."""
        ni = self.next_index[peer]
        if ni <= self.log.snapshot_index:
            self.send_snapshot(peer)
            return
        prev = ni - 1
        entries = self.log.entries_from(ni)
        self.send(peer, AppendEntries(self.current_term, self.id, prev, self.log.term_at(prev),
                                      entries, self.commit_index, self.round))
        self.sent_upto[peer] = prev + len(entries)

    def broadcast_append_entries(self) -> None:
        """Leader: AppendEntries (a heartbeat if there is nothing new) to every member."""
        for p in self.config.members:
            if p != self.id:
                self.send_append_entries(p)

    def next_index_after_conflict(self, m: AppendEntriesReply) -> int:
        """Leader: where to retry after a rejection (fast backtracking, §5.3)."""
        if m.conflict_term is not None:
            last = self.log.last_index_of_term(m.conflict_term)
            if last is not None:
                return last + 1
        return m.conflict_index

    def acked(self, peer: str, round_: int) -> None:
        if round_ > self.acked_round.get(peer, 0):
            self.acked_round[peer] = round_

    def on_append_entries_reply(self, src: str, m: AppendEntriesReply) -> None:
        if m.term > self.current_term:
            self.become_follower(m.term)
            return
        if self.role != LEADER or m.term != self.current_term or src not in self.next_index:
            return
        self.acked(src, m.round)
        if m.success:
            if m.match_index > self.match_index[src]:
                self.match_index[src] = m.match_index
            if self.next_index[src] <= self.match_index[src]:
                self.next_index[src] = self.match_index[src] + 1
            self.advance_commit_index()
            self.progress_membership()
            # More to send, and nothing beyond what is acknowledged in flight: send now.
            if self.next_index[src] <= self.log.last_index and \
                    self.sent_upto.get(src, 0) <= self.match_index[src]:
                self.send_append_entries(src)
        else:
            nxt = self.next_index_after_conflict(m)
            self.next_index[src] = max(self.match_index[src] + 1,
                                       min(nxt, self.log.last_index + 1))
            self.send_append_entries(src)
        self.serve_reads()

    # --- commitment and applying (§5.3, §5.4.2) -------------------------------------------
    def can_commit(self, index: int) -> bool:
        """May the leader commit ``index`` by counting replicas? Only an entry of its
        current term (§5.4.2, Figure 8)."""
        return self.log.term_at(index) == self.current_term

    def advance_commit_index(self) -> None:
        """Leader: commit the highest index stored on a majority of voters, if allowed."""
        config = self.config
        if self.role != LEADER or not config.voters:
            return
        last = self.log.last_index
        matched = sorted((last if v == self.id else self.match_index.get(v, 0)
                          for v in config.voters), reverse=True)
        n = matched[config.quorum - 1]
        if n > self.commit_index and self.can_commit(n):
            self.set_commit_index(n)

    def set_commit_index(self, index: int) -> None:
        """Advance ``commit_index`` and apply what is now committed."""
        self.commit_index = index
        self.output("commit", (index, self.log.term_at(index)))
        self.apply_committed()
        if self.role == LEADER:
            self.progress_membership()

    def apply_committed(self) -> None:
        """Apply entries ``last_applied+1 .. commit_index`` in order, answer waiting
        clients, then maybe snapshot and serve reads."""
        log, sm, waiters = self.log, self.state_machine, self.waiters
        while self.last_applied < self.commit_index:
            index = self.last_applied + 1
            entry = log.entry(index)
            self.last_applied = index
            command = entry.command
            if isinstance(command, (NoOp, Configuration)):
                response = None
            else:
                response = sm.apply(command)
            self.output("apply", (index, entry.term, command))
            if isinstance(command, Command):
                client = waiters.pop((command.client_id, command.seq), None)
                if client is not None:
                    self.send(client, ClientReply(command.client_id, command.seq, OK, response))
        self.maybe_snapshot()
        self.serve_reads()

    # --- clients (thesis §6) --------------------------------------------------------------
    def on_client_request(self, src: str, m: ClientRequest) -> None:
        """A command: the leader appends it (once per term) and answers when it is
        applied; a follower redirects the client to the leader it knows (§8)."""
        if self.role != LEADER:
            self.send(src, ClientReply(m.client_id, m.seq, NOT_LEADER, None, self.leader_id))
            return
        command = m.command
        found, response = self.state_machine.cached(m.client_id, m.seq)
        if found:                          # applied already: the same answer again
            self.send(src, ClientReply(m.client_id, m.seq, OK, response))
            return
        if m.seq < self.state_machine.applied_seq(m.client_id):
            return                         # an abandoned operation's late copy
        key = (m.client_id, m.seq)
        self.waiters[key] = src
        index = self.proposed.get(key)
        if index is not None and index > self.log.snapshot_index and \
                index <= self.log.last_index and self.log.entry(index).command == command:
            return                         # already in the log in this term: wait
        self.proposed[key] = self.start(command)[0]

    def on_client_query(self, src: str, m: ClientQuery) -> None:
        """A read. By read index (thesis §6.4) unless ``reads`` says otherwise."""
        if self.role != LEADER:
            self.send(src, ClientReply(m.client_id, m.seq, NOT_LEADER, None, self.leader_id))
            return
        if self.reads == "log":
            self.on_client_request(src, ClientRequest(
                m.client_id, m.seq, Command(m.client_id, m.seq, "get", m.key)))
            return
        if self.reads == "leader_local":   # unsafe: a deposed leader answers stale data
            self.send(src, ClientReply(m.client_id, m.seq, OK, self.state_machine.query(m.key)))
            return
        self.pending_reads.append(_Read(src, m.client_id, m.seq, m.key))
        self.serve_reads()

    def serve_reads(self) -> None:
        """Read index (Ongaro's thesis §6.4), for every pending read:

        1. once the leader has committed an entry of its current term (its no-op),
           record ``read_index = commit_index``;
        2. start a new heartbeat round; when a majority of voters has answered an
           AppendEntries of that round, no newer leader existed when the read arrived;
        3. wait until ``last_applied >= read_index``, then answer from the state machine.

        No log write is needed, unlike a read through the log. (Leases, §6.4.1, would
        save the round trip but rely on bounded clock drift; not done here.)
        """
        if self.role != LEADER or not self.pending_reads:
            return
        committed_in_term = self.log.term_at(self.commit_index) == self.current_term
        new_round = False
        for r in self.pending_reads:
            if r.read_index is None and committed_in_term:
                r.read_index = self.commit_index
                r.round = self.round + 1
                new_round = True
        if new_round:
            self.round += 1
            self.broadcast_append_entries()
        waiting = []
        for r in self.pending_reads:
            if r.read_index is not None and self.last_applied >= r.read_index \
                    and self._round_confirmed(r.round):
                value = self.state_machine.query(r.key)
                self.output("read", (r.read_index, r.key, value))
                self.send(r.client, ClientReply(r.client_id, r.seq, OK, value))
            else:
                waiting.append(r)
        self.pending_reads = waiting

    def _round_confirmed(self, round_: int) -> bool:
        config = self.config
        acks = sum(1 for v in config.voters
                   if v == self.id or self.acked_round.get(v, 0) >= round_)
        return acks >= config.quorum

    # --- for state tables and tests -------------------------------------------------------
    @property
    def is_leader(self) -> bool:
        return self.role == LEADER

    def state(self) -> dict[str, Any]:
        """What a state table shows (role, term, vote, log, commit, applied)."""
        if not hasattr(self, "log"):
            return {"role": self.role}
        tail = self.log.entries[-4:]
        log = ("… " if len(self.log) > 4 or self.log.snapshot_index else "") + \
            " ".join(f"{e.index}:t{e.term}" for e in tail)
        return {"role": self.role, "term": self.current_term, "voted_for": self.voted_for,
                "leader": self.leader_id, "log": log or "(empty)",
                "commit": self.commit_index, "applied": self.last_applied}
