"""Log compaction with snapshots, and InstallSnapshot (Ongaro & Ousterhout 2014, §7).

Each server snapshots on its own: when ``snapshot_threshold`` entries have been
applied since its last snapshot, it saves the state machine's state (which includes
the duplicate-detection sessions, thesis §6.3), the index and term of the last entry
the snapshot covers (``last_included_index``, ``last_included_term``) and the latest
configuration as of that index, then discards the log up to that index (Figure 12).

A leader that must send a follower an entry it has already compacted sends its
snapshot instead (``InstallSnapshot``, Figure 13). The follower:

1. replies at once if ``term < currentTerm``;
2. ignores a snapshot that is not newer than what it has committed (a late or
   duplicated message must never roll its state back: the MIT 6.5840 hint);
3. if its log has an entry at ``last_included_index`` with ``last_included_term``, keeps
   the entries that follow it (they may be newer than the snapshot); otherwise
   discards the whole log;
4. resets its state machine from the snapshot, and its commit and apply indices to
   ``last_included_index``.

The snapshot travels whole in one message (Figure 13's chunking by ``offset`` is left
out). ``SnapshotMixin`` is part of ``RaftServer``; it is kept here so that each
mechanism reads on its own. Taught in notebook 2.8.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import config_at
from .messages import InstallSnapshot, InstallSnapshotReply, Snapshot

if TYPE_CHECKING:  # pragma: no cover
    from .server import RaftServer

__all__ = ["SnapshotMixin"]


class SnapshotMixin:
    """Snapshots and InstallSnapshot, for ``RaftServer``."""

    def maybe_snapshot(self: "RaftServer") -> None:
        """Snapshot if ``snapshot_threshold`` entries were applied since the last one."""
        threshold = self.snapshot_threshold
        if threshold is not None and self.last_applied - self.log.snapshot_index >= threshold:
            self.take_snapshot()

    def take_snapshot(self: "RaftServer") -> Snapshot | None:
        """Snapshot the state machine at ``last_applied`` and compact the log (§7)."""
        index = self.last_applied
        if index <= self.log.snapshot_index:
            return None
        term = self.log.term_at(index)
        base = self.snapshot.config if self.snapshot is not None else self.initial_config
        snap = Snapshot(index, term, config_at(self.log, index, base),
                        self.state_machine.snapshot())
        self.storage["snapshot"] = snap        # durable before the log loses its prefix
        self.snapshot = snap
        self.log.compact(index)
        self.output("snapshot", (index, term))
        return snap

    def send_snapshot(self: "RaftServer", peer: str) -> None:
        """Leader: send ``peer`` the latest snapshot (its next entry is compacted away)."""
        self.send(peer, InstallSnapshot(self.current_term, self.id, self.snapshot, self.round))
        self.sent_upto[peer] = self.snapshot.last_included_index

    def on_install_snapshot(self: "RaftServer", src: str, m: InstallSnapshot) -> None:
        """Follower: Figure 13's receiver implementation (one chunk)."""
        if m.term < self.current_term:
            self.send(src, InstallSnapshotReply(self.current_term, 0, m.round))
            return
        if self.role == "leader" and m.term == self.current_term:
            return  # two leaders in one term cannot happen (Election Safety)
        self.become_follower(m.term, m.leader_id)
        self.heard_from_leader()
        snap = m.snapshot
        index, term = snap.last_included_index, snap.last_included_term
        if index > self.commit_index:
            self.storage["snapshot"] = snap
            self.snapshot = snap
            self.log.compact(index, term)   # keeps the entries after it if they match
            self.state_machine.restore(snap.state)
            self.commit_index = self.last_applied = index
            self.output("install", (index, term))
            self.refresh_config()
        self.send(src, InstallSnapshotReply(self.current_term, index, m.round))

    def on_install_snapshot_reply(self: "RaftServer", src: str, m: InstallSnapshotReply) -> None:
        """Leader: the follower now holds everything up to the snapshot."""
        if m.term > self.current_term:
            self.become_follower(m.term)
            return
        if self.role != "leader" or m.term != self.current_term or src not in self.next_index:
            return
        self.acked(src, m.round)
        if m.last_included_index > self.match_index[src]:
            self.match_index[src] = m.last_included_index
        if self.next_index[src] <= self.match_index[src]:
            self.next_index[src] = self.match_index[src] + 1
        self.advance_commit_index()
        self.progress_membership()
        if self.next_index[src] <= self.log.last_index:
            self.send_append_entries(src)
        self.serve_reads()
