"""Variants of ``RaftServer`` with one rule changed: what learners try, and what the
scenario suite and the chaos sweep must catch.

Each overrides one of the small methods of ``RaftServer`` (``can_commit``,
``up_to_date``, ``consistency_check``, ``next_index_after_conflict``, ``set_term``),
exactly as a learner's subclass would:

- ``CommitPreviousTerms``: the leader commits any entry stored on a majority, whatever
  its term: the mistake of the paper's Figure 8 (§5.4.2). Unsafe.
- ``VoteForAnyLog``: voters skip the up-to-date check on the candidate's log (§5.4.1):
  a leader may lack committed entries. Unsafe.
- ``TrustingFollower``: a follower accepts AppendEntries whenever its log is long
  enough, without comparing the term at ``prev_log_index`` (§5.3). Unsafe.
- ``ForgetfulVoter``: ``voted_for`` is kept in memory only, so a server that crashes
  and restarts may vote twice in one term (Figure 2, persistent state). Unsafe.
- ``OneByOneBacktracking``: on a rejection the leader steps back one entry at a
  time, as in the paper's basic algorithm: safe, but slow to repair long divergent
  logs (§5.3; compare the RPC counts in the ``backup`` scenario).

Taught in notebooks 2.6–2.8 (the exercises); used by ``tests/test_raft_*.py``.
"""

from __future__ import annotations

from .messages import AppendEntriesReply
from .server import RaftServer

__all__ = ["CommitPreviousTerms", "VoteForAnyLog", "TrustingFollower", "ForgetfulVoter",
           "OneByOneBacktracking", "UNSAFE", "VARIANTS"]


class CommitPreviousTerms(RaftServer):
    """Commits an entry of an earlier term by counting replicas (the Figure 8 bug)."""

    def can_commit(self, index: int) -> bool:
        return self.log.term_at(index) is not None


class VoteForAnyLog(RaftServer):
    """Grants votes without the election restriction of §5.4.1."""

    def up_to_date(self, last_log_index: int, last_log_term: int) -> bool:
        return True


class TrustingFollower(RaftServer):
    """Checks only that an entry exists at ``prev_log_index``, not its term."""

    def consistency_check(self, prev_log_index: int, prev_log_term: int) -> bool:
        return prev_log_index <= self.log.last_index


class ForgetfulVoter(RaftServer):
    """Persists the term but not the vote: after a restart it may vote again."""

    def set_term(self, term: int, voted_for: str | None = None) -> None:
        if term != self.current_term:
            self.current_term = term
            self.storage["term"] = term
            self.output("term", term)
        self.voted_for = voted_for          # volatile: lost on a crash

    def on_start(self) -> None:
        super().on_start()
        self.voted_for = None


class OneByOneBacktracking(RaftServer):
    """Ignores the conflict hint: next_index decreases by one per rejection."""

    def next_index_after_conflict(self, m: AppendEntriesReply) -> int:
        return 0   # clamped to match_index + 1 below; see on_append_entries_reply

    def on_append_entries_reply(self, src: str, m: AppendEntriesReply) -> None:
        if not m.success and m.term == self.current_term and self.role == "leader" \
                and src in self.next_index:
            self.next_index[src] = max(self.match_index[src] + 1, self.next_index[src] - 1)
            self.acked(src, m.round)
            self.send_append_entries(src)
            return
        super().on_append_entries_reply(src, m)


UNSAFE = (CommitPreviousTerms, VoteForAnyLog, TrustingFollower, ForgetfulVoter)
VARIANTS = (*UNSAFE, OneByOneBacktracking)
