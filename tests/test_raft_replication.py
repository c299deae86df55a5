"""Raft log replication (Ongaro & Ousterhout 2014, §5.3 and §5.4.2; 6.5840 lab 3B):
the suite's agreement stories, the AppendEntries rules one message at a time, fast
backtracking and RPC counts."""

from __future__ import annotations

import re

import pytest

from distlab.raft import (AppendEntries, AppendEntriesReply, RaftServer, RequestVoteReply,
                          run_scenario, scenarios, variants)
from distlab.raft.messages import Entry
from distlab.sim import Node, Simulation


def story(name: str, seed: int = 0, server_class=RaftServer):
    c = scenarios.SUITE[name].run(server_class=server_class, seed=seed)
    c.check_safety()
    return c


class Silent(Node):
    pass


def lone(terms=(), term=0, **kwargs):
    sim = Simulation(seed=0)
    sim.add_node("n1", RaftServer, members=["n1", "n2", "n3"], **kwargs)
    sim.add_nodes(["n2", "n3"], Silent)
    storage = sim.storage("n1")
    storage["term"] = term
    storage["log"] = [Entry(i + 1, t, f"c{i + 1}") for i, t in enumerate(terms)]
    sim.run(until=0)
    return sim, sim.node("n1")


def replies(sim):
    return [e.msg for e in sim.trace.events if e.kind == "send" and e.node == "n1"
            and isinstance(e.msg, AppendEntriesReply)]


# --- the suite's stories ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["basic_agree", "follower_failure", "leader_failure",
                                  "fail_agree", "fail_no_agree", "concurrent_starts", "rejoin",
                                  "count"])
def test_agreement_stories(name):
    """§5.3: the stories of 6.5840's lab 3B (see each scenario's docstring)."""
    story(name)


def test_agreement_stories_on_another_seed():
    for name in ("basic_agree", "follower_failure", "leader_failure", "fail_agree",
                 "fail_no_agree", "concurrent_starts", "rejoin", "count"):
        result = run_scenario(name, seed=3)
        assert result.passed, str(result)


def test_a_rejoining_leader_loses_its_uncommitted_entries():
    """§5.3: the old leader's three lonely entries are deleted (a 'truncate' in the
    trace) and replaced by the new leader's."""
    c = story("rejoin")
    truncated = [e.node for e in c.trace.outputs("truncate")]
    assert truncated, "the old leader should have deleted its uncommitted entries"


# --- AppendEntries, one message at a time ---------------------------------------------------
def test_the_consistency_check_reports_the_conflicting_term_and_its_first_index():
    """§5.3 (fast backtracking): the follower names the term at prev_log_index and the
    first index of that term; if its log is too short, just where it ends."""
    sim, n1 = lone(terms=[1, 1, 2, 2, 2], term=3)
    n1.on_message("n2", AppendEntries(3, "n2", 4, 3, (Entry(5, 3, "x"),), 0))
    n1.on_message("n2", AppendEntries(3, "n2", 7, 3, (), 0))
    r1, r2 = replies(sim)
    assert (r1.success, r1.conflict_term, r1.conflict_index) == (False, 2, 3)
    assert (r2.success, r2.conflict_term, r2.conflict_index) == (False, None, 6)
    assert n1.log.last_index == 5                          # nothing was changed


def test_conflicting_entries_are_deleted_but_matching_ones_are_kept():
    """Figure 2, receiver steps 3-4: delete from the first conflict and append; a late,
    shorter AppendEntries must not cut off entries that match."""
    sim, n1 = lone(terms=[1, 1, 2, 2], term=3)
    n1.on_message("n2", AppendEntries(3, "n2", 2, 1, (Entry(3, 3, "a"), Entry(4, 3, "b")), 0))
    assert [e.term for e in n1.log.entries] == [1, 1, 3, 3]
    n1.on_message("n2", AppendEntries(3, "n2", 2, 1, (Entry(3, 3, "a"),), 0))
    assert [e.term for e in n1.log.entries] == [1, 1, 3, 3]   # 4@t3 survives
    assert [r.match_index for r in replies(sim)] == [4, 3]


def test_the_commit_index_follows_the_leader_but_only_up_to_what_was_checked():
    """Figure 2, step 5: commitIndex = min(leaderCommit, index of last new entry)."""
    sim, n1 = lone(terms=[1, 1, 2, 2, 2], term=2)
    n1.on_message("n2", AppendEntries(2, "n2", 2, 1, (), leader_commit=5))
    assert n1.commit_index == 2 and n1.last_applied == 2
    n1.on_message("n2", AppendEntries(2, "n2", 5, 2, (), leader_commit=4))
    assert n1.commit_index == 4
    applied = [e.msg[0] for e in sim.trace.outputs("apply")]
    assert applied == [1, 2, 3, 4]


def test_persist_before_send_for_appended_entries():
    """Figure 2: the follower's new entries are durable before its reply leaves."""
    sim, n1 = lone(terms=[1], term=1)
    n1.on_message("n2", AppendEntries(1, "n2", 1, 1, (Entry(2, 1, "x"),), 0))
    kinds = [(e.kind, e.info) for e in sim.trace.events if e.node == "n1"][-3:]
    assert kinds.index(("persist", "log")) < kinds.index(("send", None))
    assert [e.term for e in sim.storage("n1")["log"]] == [1, 1]


def test_the_leader_skips_a_whole_term_per_rejection():
    """§5.3: with the conflict term in the reply, the leader retries just after its
    own last entry of that term (or at the conflict index if it has none)."""
    sim, n1 = lone(terms=[1, 1, 3, 3, 3], term=3)
    n1.become_candidate()
    for p in ("n2", "n3"):
        n1.on_message(p, RequestVoteReply(4, True))
    assert n1.role == "leader"
    assert n1.next_index_after_conflict(AppendEntriesReply(4, False, 0, 2, 1)) == 3
    assert n1.next_index_after_conflict(AppendEntriesReply(4, False, 0, 3, 2)) == 3
    assert n1.next_index_after_conflict(AppendEntriesReply(4, False, 0, 4, None)) == 4


def test_fast_backtracking_needs_few_rejections_where_one_by_one_needs_many():
    """§5.3 and 6.5840's TestBackup: the same divergent logs are repaired with a
    handful of rejected AppendEntries, against about one per wrong entry."""
    def rejections(c):
        return sum(1 for e in c.trace.events if e.kind == "send"
                   and isinstance(e.msg, AppendEntriesReply) and not e.msg.success)
    fast = rejections(story("backup"))
    result = run_scenario("backup", variants.OneByOneBacktracking)
    assert not result.passed and "not fast" in result.message
    slow = int(re.search(r"took (\d+) rejected", result.message).group(1))
    assert fast <= 30 < 100 <= slow, (fast, slow)


def test_an_idle_leader_only_sends_heartbeats():
    """§5.2: one AppendEntries per follower per heartbeat interval, no more."""
    c = scenarios.Cluster(3, seed=4)
    c.one(1, 3)
    before = c.rpc_count()
    c.run(1000)
    assert 2 * 19 <= c.rpc_count() - before <= 2 * 21
