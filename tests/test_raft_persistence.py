"""Raft across crashes and unreliable networks (Ongaro & Ousterhout 2014, Figure 2's
persistent state, §5.4.2 and Figure 8; 6.5840 lab 3C)."""

from __future__ import annotations

import pytest

from distlab.raft import RaftServer, run_scenario, scenarios, variants


def story(name: str, seed: int = 0, server_class=RaftServer):
    c = scenarios.SUITE[name].run(server_class=server_class, seed=seed)
    c.check_safety()
    return c


@pytest.mark.parametrize("name", ["persist1", "persist2", "persist3", "persist_vote",
                                  "figure8", "unreliable_agree", "figure8_unreliable",
                                  "reliable_churn", "unreliable_churn"])
def test_persistence_stories(name):
    """Figure 2 (persistent state), §5.4.2, §5.3 under loss: 6.5840's lab 3C stories."""
    story(name)


def test_crashes_lose_no_committed_entry_on_other_seeds():
    for name in ("persist1", "persist2", "persist3", "figure8", "unreliable_churn"):
        result = run_scenario(name, seed=5)
        assert result.passed, str(result)


def test_a_restarted_server_recovers_term_vote_and_log_from_storage():
    """Figure 2: currentTerm, votedFor and log[] survive; commitIndex does not (it is
    learned again from the leader)."""
    c = scenarios.Cluster(3, seed=2)
    for cmd in (1, 2, 3):
        c.one(cmd, 3)
    leader = c.check_one_leader()
    before = c.server(leader)
    term, log = before.current_term, list(before.log.entries)
    c.crash(leader)
    c.restart(leader)
    after = c.server(leader)
    assert (after.current_term, after.log.entries, after.voted_for) == (term, log, leader)
    assert after.commit_index == 0 and after.role == "follower"
    c.one(4, 3, retry=True)


def test_figure8_step_by_step():
    """§5.4.2: in (c) S1 has its term-2 entry on a majority but may not commit it; in
    (d) S5 overwrites it, which is safe because it was never committed."""
    c = story("figure8_paper")
    assert not [e for e in c.trace.outputs("commit") if e.msg == (2, 2)], \
        "index 2 must never be committed while it holds S1's term-2 entry"
    assert {e.msg[2] for e in c.trace.outputs("apply") if e.msg[0] == 2} == {"b: S5 term 3"}
    assert [e.msg for e in c.trace.outputs("truncate")], "S5 must overwrite index 2"


def test_committing_an_earlier_terms_entry_by_counting_is_unsafe():
    """§5.4.2: the variant that counts replicas of old-term entries commits S1's entry
    in (c); S5 then overwrites it in (d): two servers apply different commands at
    index 2, and the report points at the moment and the trace around it."""
    result = run_scenario("figure8_paper", variants.CommitPreviousTerms)
    assert not result.passed
    props = {f.property for f in result.findings}
    assert {"state machine safety", "leader completeness"} <= props, props
    assert "n1 commit" in " ".join(result.window.split()) and result.time is not None


def test_the_churn_commits_something_on_most_seeds():
    """The churn stories are not vacuous: commands commit during the churn."""
    busy = 0
    for seed in range(4):
        c = scenarios.SUITE["reliable_churn"].run(seed=seed)
        busy += bool(c.confirmed)
    assert busy >= 3, busy
