"""What the Raft notebooks (2.6–2.8) stand on besides ``distlab.raft``: the exercise
checks (``distlab.exercises.raft``), the RaftScope-like explorer
(``distlab.widgets.raft``) and the pictures of ``distlab.viz.raft`` that
``test_raft_viz.py`` does not draw.

A check must accept the notebooks' own solutions, reject a classic mistake with a
message that says what failed and how to fix it, and say so when the learner's stub
still raises ``NotImplementedError``. The explorer is driven through its methods, as
its buttons do, and judged by the simulation it leaves behind.
"""

from __future__ import annotations

import ast
from collections import Counter

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks must not do this (it drops figures)


import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle  # noqa: E402

from distlab.exercises import CheckFailed  # noqa: E402
from distlab.exercises import raft as ex  # noqa: E402
from distlab.raft import (AppendEntriesReply, Cluster, RaftServer,  # noqa: E402
                          RequestVoteReply, checks, scenarios, variants)
from distlab.raft.messages import (AppendEntries, Configuration, Entry,  # noqa: E402
                                   InstallSnapshot, RequestVote, Snapshot)
from distlab.raft.sweep import judge, run_chaos  # noqa: E402
from distlab.sim import Constant, Network, Node, Simulation, Trace, TraceEvent  # noqa: E402
from distlab.viz import raft as vr  # noqa: E402
from distlab.viz.style import CRASH_COLOR  # noqa: E402
from distlab.widgets.raft import RaftExplorer, drop_in_flight  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# =============================================================================================
# The notebooks' solutions (the cells between ### BEGIN SOLUTION and ### END SOLUTION)
# =============================================================================================
def my_up_to_date(my_last_index, my_last_term, cand_last_index, cand_last_term):   # 2.6
    if cand_last_term != my_last_term:
        return cand_last_term > my_last_term
    return cand_last_index >= my_last_index


def my_next_index(leader_terms, conflict_index, conflict_term):                   # 2.6
    if conflict_term is not None:
        last = None
        for index, term in enumerate(leader_terms, start=1):
            if term == conflict_term:
                last = index
        if last is not None:
            return last + 1
    return conflict_index


def my_new_commit_index(match_indexes, leader_terms, current_term, commit_index):  # 2.7
    quorum = len(match_indexes) // 2 + 1
    stored = sorted(match_indexes, reverse=True)[quorum - 1]
    if stored > commit_index and leader_terms[stored - 1] == current_term:
        return stored
    return commit_index


def my_majorities_intersect(old, new):                                             # 2.7
    return (len(old) // 2 + 1) + (len(new) // 2 + 1) > len(old | new)


class MyElection(RaftServer):                                                      # 2.8
    def on_request_vote(self, src, m):
        if self.disruption_guard and not m.transfer and self.leader_alive():
            self.send(src, RequestVoteReply(self.current_term, False))
            return
        if m.term > self.current_term:
            self.become_follower(m.term)
        granted = (m.term == self.current_term
                   and self.voted_for in (None, m.candidate_id)
                   and self.up_to_date(m.last_log_index, m.last_log_term))
        if granted:
            self.set_term(self.current_term, m.candidate_id)
            self.output("vote", (m.candidate_id, self.current_term))
            self.reset_election_timer()
        self.send(src, RequestVoteReply(self.current_term, granted))


class MyReplication(MyElection):                                                   # 2.8
    def on_append_entries(self, src, m):
        if m.term < self.current_term:
            self.send(src, AppendEntriesReply(self.current_term, False, round=m.round))
            return
        if self.role == "leader" and m.term == self.current_term:
            return
        self.become_follower(m.term, m.leader_id)
        self.heard_from_leader()
        prev_index, prev_term, entries = m.prev_log_index, m.prev_log_term, m.entries
        if prev_index < self.log.snapshot_index:
            entries = entries[self.log.snapshot_index - prev_index:]
            prev_index, prev_term = self.log.snapshot_index, self.log.snapshot_term
        if not self.consistency_check(prev_index, prev_term):
            index, term = self.conflict_hint(prev_index)
            self.send(src, AppendEntriesReply(self.current_term, False, 0, index, term,
                                              m.round))
            return
        self.store_entries(prev_index, entries)
        match = prev_index + len(entries)
        if m.leader_commit > self.commit_index:
            new = min(m.leader_commit, match)
            if new > self.commit_index:
                self.set_commit_index(new)
        self.send(src, AppendEntriesReply(self.current_term, True, match, round=m.round))


def forgotten_vote(server_class, seed):                                            # 2.8
    c = Cluster(3, seed=seed, server_class=server_class, noop=False,
                election_timeout=(2000.0, 4000.0))
    n1, n2, n3 = c.ids
    c.partition([n1, n2], [n3])
    c.elect(n1)
    c.crash(n2)
    c.restart(n2)
    c.partition([n2, n3], [n1])
    c.campaign(n3)
    c.run(50)
    c.heal()
    c.one("after", 3, retry=True)
    return c


def stub(*args):
    """What the student version of every function exercise holds."""
    raise NotImplementedError()


def failure(check, answer) -> str:
    with pytest.raises(CheckFailed) as info:
        check(answer)
    return str(info.value)


# =============================================================================================
# distlab.exercises.raft: the four rules (2.6, 2.7)
# =============================================================================================
@pytest.mark.parametrize("check, answer, verdict", [
    (ex.check_up_to_date, my_up_to_date, "up_to_date answers 8 cases right"),
    (ex.check_backtracking, my_next_index, "next_index answers 7 cases right"),
    (ex.check_commit_rule, my_new_commit_index, "new_commit_index answers 9 cases right"),
    (ex.check_majorities_intersect, my_majorities_intersect,
     "all 150 single-server changes among them are safe"),
])
def test_the_notebook_solutions_pass(check, answer, verdict, capsys):
    check(answer)
    out = capsys.readouterr().out
    assert out.startswith("✔ ") and verdict in out


@pytest.mark.parametrize("check, name", [
    (ex.check_up_to_date, "up_to_date"), (ex.check_backtracking, "next_index"),
    (ex.check_commit_rule, "new_commit_index"),
    (ex.check_majorities_intersect, "majorities_intersect"),
])
def test_a_stub_is_told_it_is_not_written_yet(check, name):
    text = failure(check, stub)
    assert text.startswith(f"{name} is not written yet (it raises NotImplementedError)")
    assert "replace the `raise NotImplementedError()` line" in text


@pytest.mark.parametrize("check, name", [
    (ex.check_up_to_date, "up_to_date"), (ex.check_commit_rule, "new_commit_index"),
])
def test_something_that_is_not_a_function_is_refused_by_name(check, name):
    text = failure(check, my_up_to_date(0, 0, 0, 0))      # called it instead of passing it
    assert text.startswith(f"{name}: expected your function")
    assert "got:      True" in text and "define it in the cell above" in text


def test_up_to_date_that_compares_only_terms_is_caught():
    def only_terms(my_last_index, my_last_term, cand_last_index, cand_last_term):
        return cand_last_term >= my_last_term
    text = failure(ex.check_up_to_date, only_terms)
    assert "up_to_date gave a wrong answer" in text
    assert "up_to_date(5, 2, 3, 2)" in text                   # same last term, shorter
    assert "expected: False" in text and "got:      True" in text
    assert "only if the last terms are equal does the longer log win" in text


def test_up_to_date_that_compares_only_lengths_is_caught():
    def only_lengths(my_last_index, my_last_term, cand_last_index, cand_last_term):
        return cand_last_index >= my_last_index
    text = failure(ex.check_up_to_date, only_lengths)
    assert "up_to_date(5, 2, 1, 3)" in text                   # higher last term, shorter
    assert "expected: True" in text and "got:      False" in text


def test_up_to_date_must_answer_true_or_false():
    text = failure(ex.check_up_to_date, lambda *a: "yes" if my_up_to_date(*a) else "no")
    assert "gave a wrong answer" in text and "got:      'yes'" in text


def test_up_to_date_right_on_the_table_but_wrong_elsewhere_fails_a_story():
    """The second half of the check: the rule inside Raft, against the suite's stories."""
    table = {args: want for args, want in ex.UP_TO_DATE_CASES}

    def memorised(*args):                  # the table's answers, VoteForAnyLog elsewhere
        return table.get(args, True)
    text = failure(ex.check_up_to_date, memorised)
    assert text.startswith("with your up_to_date, the scenario ")
    assert "leader completeness" in text                      # what broke, from the checker
    assert "the trace before it:" in text and "run_scenario(" in text
    assert "compare the last terms first" in text


def test_backtracking_off_by_one_is_caught():
    def retry_at_last_entry(leader_terms, conflict_index, conflict_term):
        if conflict_term in leader_terms:     # forgets the + 1: resends an entry it has
            return max(i for i, t in enumerate(leader_terms, start=1) if t == conflict_term)
        return conflict_index
    text = failure(ex.check_backtracking, retry_at_last_entry)
    assert "next_index gave a wrong answer" in text
    assert "expected: 6" in text and "got:      5" in text
    assert "retry just after your LAST entry of that term" in text


def test_backtracking_that_ignores_the_conflict_term_is_caught():
    text = failure(ex.check_backtracking, lambda terms, index, term: index)
    assert "next_index([1, 1, 1, 4, 4, 5, 5, 6, 6, 6], 5, 4)" in text
    assert "expected: 6" in text and "got:      5" in text


def test_commit_rule_without_the_current_term_test_is_figure8():
    def count_replicas_only(match_indexes, leader_terms, current_term, commit_index):
        quorum = len(match_indexes) // 2 + 1
        return max(commit_index, sorted(match_indexes, reverse=True)[quorum - 1])
    text = failure(ex.check_commit_rule, count_replicas_only)
    assert "new_commit_index([2, 2, 2, 1, 1], [1, 2], 4, 1)" in text     # Figure 8 (c)
    assert "expected: 1" in text and "got:      2" in text
    assert "the CURRENT term (Figure 8)" in text


def test_commit_rule_that_raises_shows_the_exception_and_the_case():
    def term_off_by_one(match_indexes, leader_terms, current_term, commit_index):
        stored = sorted(match_indexes, reverse=True)[len(match_indexes) // 2]
        # entry i's term is leader_terms[i - 1]: this reads past the end
        if stored > commit_index and leader_terms[stored] == current_term:
            return stored
        return commit_index
    text = failure(ex.check_commit_rule, term_off_by_one)
    assert text.startswith("new_commit_index([3, 3, 3], [1, 1, 1], 1, 0) raised IndexError")
    assert "expected: 3" in text and "got:      'IndexError'" in text


def test_commit_rule_right_on_the_table_fails_figure8_step_by_step():
    table = {(tuple(m), tuple(t), term, ci): want for (m, t, term, ci), want in ex.COMMIT_CASES}

    def memorised(match_indexes, leader_terms, current_term, commit_index):
        key = (tuple(match_indexes), tuple(leader_terms), current_term, commit_index)
        if key in table:
            return table[key]
        quorum = len(match_indexes) // 2 + 1
        return max(commit_index, sorted(match_indexes, reverse=True)[quorum - 1])
    text = failure(ex.check_commit_rule, memorised)
    assert text.startswith("with your new_commit_index, the scenario 'figure8_paper' fails "
                           "on seed 0")
    assert "committed values do not match" in text
    assert "run_scenario('figure8_paper', YourClass, seed=0)" in text


@pytest.mark.parametrize("wrong, first_wrong", [
    (lambda old, new: bool(old & new), ({"a", "b", "c"}, {"a", "b", "c", "d", "e"})),
    (lambda old, new: abs(len(old) - len(new)) <= 1, ({"a", "b", "c"}, {"a", "b", "d"})),
    (lambda old, new: old <= new or new <= old, ({"a", "b", "c"}, {"a", "b", "c", "d", "e"})),
])
def test_majorities_intersect_plausible_shortcuts_are_caught(wrong, first_wrong):
    text = failure(ex.check_majorities_intersect, wrong)
    assert text.startswith("majorities_intersect gave a wrong answer")
    assert "expected: False" in text and "got:      True" in text
    assert "list the smallest majorities" in text
    given = text.splitlines()[1]
    prefix = "  input:    majorities_intersect("
    assert given.startswith(prefix)
    # sets print in hash order: read the pair back instead of comparing text
    assert ast.literal_eval("(" + given[len(prefix):]) == first_wrong


# =============================================================================================
# distlab.exercises.raft: the project's handlers (2.8)
# =============================================================================================
def test_the_notebook_handlers_pass(capsys):
    ex.check_vote_handler(MyElection)
    ex.check_append_handler(MyReplication)
    out = capsys.readouterr().out
    assert "✔ on_request_vote answers 7 probes" in out
    assert "✔ on_append_entries answers 8 probes" in out


class ForgetsToPersist(MyElection):
    """Records the vote in memory only (``self.voted_for = ...``, not ``set_term``)."""

    def on_request_vote(self, src, m):
        if m.term > self.current_term:
            self.become_follower(m.term)
        granted = (m.term == self.current_term and self.voted_for in (None, m.candidate_id)
                   and self.up_to_date(m.last_log_index, m.last_log_term))
        if granted:
            self.voted_for = m.candidate_id
        self.send(src, RequestVoteReply(self.current_term, granted))


class VotesTwice(MyElection):
    """Forgets the 'not voted for someone else in this term' condition."""

    def on_request_vote(self, src, m):
        if m.term > self.current_term:
            self.become_follower(m.term)
        granted = (m.term == self.current_term
                   and self.up_to_date(m.last_log_index, m.last_log_term))
        if granted:
            self.set_term(self.current_term, m.candidate_id)
        self.send(src, RequestVoteReply(self.current_term, granted))


class KeepsItsTerm(MyElection):
    """Never adopts the candidate's newer term."""

    def on_request_vote(self, src, m):
        granted = m.term == self.current_term and self.voted_for in (None, m.candidate_id)
        self.send(src, RequestVoteReply(self.current_term, granted))


class NeverReplies(MyElection):
    def on_request_vote(self, src, m):
        if m.term > self.current_term:
            self.become_follower(m.term)


class Typo(MyElection):
    def on_request_vote(self, src, m):
        self.send(src, RequestVoteReply(self.current_term, m.candidate))   # no such field


def test_a_vote_that_is_not_persisted_is_caught():
    text = failure(ex.check_vote_handler, ForgetsToPersist)
    assert text.startswith("the vote is not on disk: a restart would forget it")
    assert "expected: \"storage term=1, voted_for='n2'\"" in text
    assert "voted_for=None" in text and "self.set_term(self.current_term, m.candidate_id)" in text


def test_two_votes_in_one_term_are_caught():
    text = failure(ex.check_vote_handler, VotesTwice)
    assert "wrong vote: n1 already voted for n2 in term 1: one vote per term" in text
    assert "expected: 'vote_granted=False'" in text and "got:      'vote_granted=True'" in text


def test_a_voter_that_keeps_its_old_term_is_caught():
    text = failure(ex.check_vote_handler, KeepsItsTerm)
    assert "wrong vote: a candidate of a newer term" in text
    assert "n1 in term 0, voted for None, log [empty]" in text        # the state it was in
    assert "grant only if the request's term is current" in text


def test_a_handler_with_no_reply_or_an_exception_is_explained():
    text = failure(ex.check_vote_handler, NeverReplies)
    assert text.startswith("no RequestVoteReply came back to n2")
    assert "reply RequestVoteReply(self.current_term, granted)" in text
    text = failure(ex.check_vote_handler, Typo)
    assert text.startswith("your on_request_vote raised AttributeError while handling "
                           "RequestVote(")
    assert "candidate" in text and "read the traceback" in text


class AnswersWithItsLastIndex(MyReplication):
    """match_index = its own last index, not what this request vouched for."""

    def on_append_entries(self, src, m):
        if m.term < self.current_term:
            self.send(src, AppendEntriesReply(self.current_term, False, round=m.round))
            return
        self.become_follower(m.term, m.leader_id)
        self.heard_from_leader()
        if not self.consistency_check(m.prev_log_index, m.prev_log_term):
            index, term = self.conflict_hint(m.prev_log_index)
            self.send(src, AppendEntriesReply(self.current_term, False, 0, index, term,
                                              m.round))
            return
        self.store_entries(m.prev_log_index, m.entries)
        if m.leader_commit > self.commit_index:
            self.set_commit_index(min(m.leader_commit, self.log.last_index))
        self.send(src, AppendEntriesReply(self.current_term, True, self.log.last_index,
                                          round=m.round))


class TruncatesOnEveryRequest(MyReplication):
    """Cuts the log after prev_log_index before appending: a late, short copy of an old
    request deletes newer entries."""

    def store_entries(self, prev_index, entries):
        if entries and self.log.last_index > prev_index:
            self.log.truncate_from(prev_index + 1)
            self.output("truncate", prev_index + 1)
        if entries:
            self.output("append", (prev_index, self.log.term_at(prev_index), tuple(entries)))
            self.log.append(tuple(entries))


class AcceptsStaleLeaders(MyReplication):
    """Forgets step 1 ("reply false if term < currentTerm"): follows any leader."""

    def on_append_entries(self, src, m):
        self.become_follower(max(m.term, self.current_term), m.leader_id)
        self.heard_from_leader()
        if not self.consistency_check(m.prev_log_index, m.prev_log_term):
            index, term = self.conflict_hint(m.prev_log_index)
            self.send(src, AppendEntriesReply(self.current_term, False, 0, index, term,
                                              m.round))
            return
        self.store_entries(m.prev_log_index, m.entries)
        match = m.prev_log_index + len(m.entries)
        if min(m.leader_commit, match) > self.commit_index:
            self.set_commit_index(min(m.leader_commit, match))
        self.send(src, AppendEntriesReply(self.current_term, True, match, round=m.round))


def test_the_append_handler_mistakes_are_named():
    text = failure(ex.check_append_handler, AnswersWithItsLastIndex)
    assert text.startswith("wrong match_index in the reply")
    assert "expected: 2" in text and "got:      3" in text
    assert "what THIS request vouched for" in text

    text = failure(ex.check_append_handler, TruncatesOnEveryRequest)
    assert "must not cut entry 3 off" in text
    assert "expected: ['1@t1', '2@t2', '3@t2']" in text and "got:      ['1@t1', '2@t2']" in text

    text = failure(ex.check_append_handler, variants.TrustingFollower)
    assert text.startswith("wrong answer: n1's entry 3 has term 1, not 2")
    assert "self.consistency_check" in text

    text = failure(ex.check_append_handler, AcceptsStaleLeaders)
    assert text.startswith("wrong answer: a leader of an older term (0) must be refused")
    assert "expected: 'success=False'" in text and "got:      'success=True'" in text
    assert "refuse a stale term" in text


def test_handler_checks_want_a_raft_server_class_and_recognise_stubs():
    for check in (ex.check_vote_handler, ex.check_append_handler):
        text = failure(check, MyElection())                  # an instance, not the class
        assert f"{check.__name__}: expected your server class" in text
        assert "a subclass of RaftServer" in text

    class StubVote(RaftServer):
        def on_request_vote(self, src, m):
            raise NotImplementedError()

    class StubAppend(MyElection):
        def on_append_entries(self, src, m):
            raise NotImplementedError()
    assert failure(ex.check_vote_handler, StubVote).startswith(
        "on_request_vote is not written yet (it raises NotImplementedError)")
    assert failure(ex.check_append_handler, StubAppend).startswith(
        "on_append_entries is not written yet (it raises NotImplementedError)")


# =============================================================================================
# distlab.exercises.raft: a story of one's own (2.8)
# =============================================================================================
def one_command(server_class, seed):
    """Correct, but it never puts a restarted voter in front of a second candidate."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.check_one_leader()
    c.one("x", 3)
    return c


def no_partition_first(server_class, seed):
    """The classic near miss: without cutting n3 off first, n3 learns term 1 and its
    campaign asks for votes in term 2, where a fresh vote is allowed."""
    c = Cluster(3, seed=seed, server_class=server_class, noop=False,
                election_timeout=(2000.0, 4000.0))
    n1, n2, n3 = c.ids
    c.elect(n1)
    c.crash(n2)
    c.restart(n2)
    c.partition([n2, n3], [n1])
    c.campaign(n3)
    c.run(50)
    c.heal()
    c.one("after", 3, retry=True)
    return c


def expects_no_leader(server_class, seed):
    c = Cluster(3, seed=seed, server_class=server_class)
    c.run(1000)
    c.check_no_leader()                  # Raft elects one: this story is wrong
    return c


def test_run_story_runs_a_story_like_the_suite_and_leaves_the_suite_alone():
    before = list(scenarios.SUITE)
    good = ex.run_story(forgotten_vote, RaftServer, seed=1)
    assert good.passed and good.name == "your_story" and good.seed == 1 and good.events > 0
    bad = ex.run_story(forgotten_vote, variants.ForgetfulVoter, seed=1)
    assert not bad.passed
    assert "two leaders in term 1" in bad.message and bad.window
    assert list(scenarios.SUITE) == before
    with pytest.raises(TypeError, match="server_class must be RaftServer"):
        ex.run_story(forgotten_vote, object)
    assert list(scenarios.SUITE) == before              # removed even when it raised


def test_run_story_rejects_what_is_not_a_story():
    with pytest.raises(TypeError, match="story must be a function"):
        ex.run_story("forgotten_vote")
    with pytest.raises(ValueError, match="'persist_vote' is taken"):
        ex.run_story(forgotten_vote, name="persist_vote")


def test_the_notebook_story_catches_the_forgetful_voter(capsys):
    ex.check_story_catches(forgotten_vote)
    out = capsys.readouterr().out
    assert "catches ForgetfulVoter on seeds [0, 1, 2]" in out
    assert "two leaders in term 1" in out


def test_stories_that_catch_nothing_or_blame_raft_are_refused():
    text = failure(ex.check_story_catches, one_command)
    assert text.startswith("your story does not catch ForgetfulVoter on seed 0")
    assert "expected: 'FAIL'" in text and "got:      'PASS'" in text
    assert "crash and restart it at once (same term)" in text
    text = failure(ex.check_story_catches, no_partition_first)
    assert "does not catch ForgetfulVoter" in text
    text = failure(ex.check_story_catches, expects_no_leader)
    assert text.startswith("your story fails against the correct RaftServer on seed 0")
    assert "run_story(story, RaftServer, seed=0)" in text


def test_the_suites_own_story_and_non_functions_are_refused():
    text = failure(ex.check_story_catches, scenarios.SUITE["persist_vote"].run)
    assert "write your own story" in text
    text = failure(ex.check_story_catches, None)
    assert text.startswith("story: expected your function")


def test_a_story_stub_is_told_it_is_not_written_yet():
    def story_stub(server_class, seed):       # the student version of the cell
        raise NotImplementedError()
    text = failure(ex.check_story_catches, story_stub)
    assert text.startswith("your story is not written yet (it raises NotImplementedError)")
    assert "replace the `raise NotImplementedError()` line" in text
    assert "your_story" not in scenarios.SUITE


# =============================================================================================
# distlab.widgets.raft: the explorer, driven without a display
# =============================================================================================
def roles(exp: RaftExplorer) -> dict[str, tuple[str, int] | None]:
    return {s: (exp.sim.node(s).role, exp.sim.node(s).current_term)
            if exp.sim.is_up(s) else None for s in exp.servers}


def test_explorer_rejects_bad_arguments():
    for servers in (0, 10, True, "5"):
        with pytest.raises(ValueError, match="servers must be an int from 1 to 9"):
            RaftExplorer(servers)
    with pytest.raises(TypeError, match="server_class must be RaftServer"):
        RaftExplorer(3, server_class=object)
    with pytest.raises(TypeError, match="build must be callable"):
        RaftExplorer(3, build=42)
    with pytest.raises(TypeError, match="must return a Cluster"):
        RaftExplorer(3, build=lambda seed: Simulation(seed=seed))


def test_a_forced_timeout_starts_an_election_that_server_wins():
    exp = RaftExplorer(3, seed=0)
    assert exp.sim.now == 0 and set(roles(exp).values()) == {("follower", 0)}
    exp.timeout("n3")
    assert exp.error == ""
    assert exp.log[-1] == "sim.node('n3').election_timeout_elapsed()   # force a timeout"
    assert roles(exp)["n3"] == ("candidate", 1)
    flying = exp.in_flight()
    assert sorted((src, dst) for _, src, dst, _ in flying) == [("n3", "n1"), ("n3", "n2")]
    assert all(isinstance(m, RequestVote) and m.term == 1 for *_, m in flying)
    exp.advance(40)                       # well before anyone's own timeout (>= 150)
    assert exp.leader() == "n3" and roles(exp)["n3"] == ("leader", 1)
    rows = {r["server"]: r for r in exp.state_rows()}
    assert rows["n3"]["role"] == "leader" and rows["n1"]["voted for"] == "n3"
    assert rows["n1"]["term"] == 1 and rows["n1"]["log"] == "1:t1"           # the no-op
    # A timeout at a follower while n3 leads: a later term, and still one leader per term.
    exp.timeout("n1")
    assert roles(exp)["n1"] == ("candidate", 2)
    exp.advance(1000)
    leader = exp.leader()
    assert leader is not None and exp.sim.node(leader).current_term >= 2
    assert checks.check_all(exp.sim) == []


def test_requests_go_to_the_leader_and_stopped_servers_refuse_everything():
    exp = RaftExplorer(3, seed=0)
    exp.request("x=1")
    assert exp.error.startswith("no server leads right now") and exp.requests == 0
    exp.timeout("n3")
    exp.advance(40)
    n_log = len(exp.log)
    exp.request("x=1", node="n1")                 # a follower refuses
    assert "n1 is not a leader (it follows n3" in exp.error and len(exp.log) == n_log
    exp.request("x=1")
    assert exp.error == "" and exp.requests == 1
    assert exp.log[-1] == "sim.node('n3').start('x=1')   # -> index 2, term 1"
    exp.request()                                 # a default command
    assert exp.log[-1].startswith("sim.node('n3').start('v2')")
    exp.advance(100)
    applied = {e.msg[2] for e in exp.sim.trace.outputs("apply") if e.node == "n1"}
    assert {"x=1", "v2"} <= applied

    exp.stop("n3")
    assert not exp.sim.is_up("n3") and exp.log[-1] == "sim.crash('n3')"
    row = next(r for r in exp.state_rows() if r["server"] == "n3")
    assert row["status"] == "stopped" and row["role"] == "-"
    exp.timeout("n3")
    assert exp.error == "n3 is stopped: resume it before it can time out"
    exp.timeout("n7")
    assert "'n7' is not a server" in exp.error
    exp.resume("n3")
    assert exp.sim.is_up("n3") and exp.log[-1] == "sim.restart('n3')" and exp.error == ""
    exp.advance(600)
    assert exp.leader() is not None and checks.check_all(exp.sim) == []


def test_dropping_a_message_in_flight_loses_it():
    exp = RaftExplorer(3, seed=0)
    exp.drop()
    assert exp.error == "no message is in flight right now"
    exp.timeout("n1")
    (to_n2,) = [mid for mid, _, dst, _ in exp.in_flight() if dst == "n2"]
    exp.drop(999)
    assert exp.error.startswith("message 999 is not in flight")
    exp.drop(to_n2)
    assert exp.error == "" and exp.log[-1].startswith(f"drop_in_flight(sim, {to_n2})   # n1 -> n2")
    assert [d for _, _, d, _ in exp.in_flight()] == ["n3"]
    assert exp.sim.stats["dropped_manual"] == 1
    exp.advance(40)
    trace = exp.sim.trace
    fate = [e.kind for e in trace.events if e.msg_id == to_n2]
    assert fate == ["send", "drop"]                  # never delivered
    assert [e.info for e in trace.events if e.msg_id == to_n2 and e.kind == "drop"] == ["manual"]
    assert [e.node for e in trace.outputs("vote")] == ["n3"]    # only n3 heard n1
    assert exp.leader() == "n1"                                # 2 of 3 votes suffice


class Pinger(Node):
    def on_start(self):
        if self.id == "a":
            self.send("b", "ping")


def test_drop_in_flight_removes_every_copy_and_only_messages_in_flight():
    sim = Simulation(seed=1, network=Network(latency=Constant(5.0), duplicate=1.0))
    sim.add_nodes(["a", "b"], Pinger)
    sim.run(until=1.0)
    (send,) = sim.trace.of_kind("send")
    assert sim.stats["duplicated"] == 1                   # two copies on their way
    assert drop_in_flight(sim, send.msg_id) is True
    assert drop_in_flight(sim, send.msg_id) is False      # already gone
    assert drop_in_flight(sim, 12345) is False
    sim.run(until=20.0)
    assert sim.stats["delivered"] == 0 and sim.stats["dropped"] == 1

    sim = Simulation(seed=1, network=Network(latency=Constant(5.0)))
    sim.add_nodes(["a", "b"], Pinger)
    sim.run(until=20.0)
    (send,) = sim.trace.of_kind("send")
    assert drop_in_flight(sim, send.msg_id) is False      # delivered already
    assert sim.stats["dropped"] == 0


def test_partition_then_heal():
    exp = RaftExplorer(3, seed=0)
    exp.timeout("n3")
    exp.advance(40)
    exp.partition("n9 | n1")
    assert "'n9' is not a node" in exp.error
    exp.partition("n3 | n1,n2")
    assert exp.error == "" and exp.log[-1] == "sim.partition(['n3'], ['n1', 'n2'])"
    exp.advance(800)
    new = exp.leader()
    assert new in ("n1", "n2") and exp.sim.node(new).current_term >= 2
    assert roles(exp)["n3"] == ("leader", 1)                 # stale, alone, unaware
    exp.heal()
    assert exp.log[-1] == "sim.heal()"
    exp.advance(200)
    r = roles(exp)
    assert r["n3"][0] == "follower" and len({term for _, term in r.values()}) == 1
    assert exp.leader() == new and checks.check_all(exp.sim) == []


def test_the_ring_shows_a_partition_the_moment_it_is_made_and_healed():
    exp = RaftExplorer(3, seed=0)
    exp.advance(40)

    def halos_and_caption():
        ring = exp.draw().axes[0]
        circles = [p for p in ring.patches if isinstance(p, Circle)]
        caption = [t.get_text() for t in ring.texts if t.get_text().startswith("partition")]
        plt.close("all")
        return len(circles) - 3, caption
    exp.partition("n3 | n1,n2")          # drawn at once, before time moves on
    assert halos_and_caption() == (3, ["partition: n3 | n1,n2"])
    exp.advance(5)
    assert halos_and_caption() == (3, ["partition: n3 | n1,n2"])
    exp.heal()
    assert halos_and_caption() == (0, [])


def test_scrubbing_shows_the_past_and_reset_starts_again():
    exp = RaftExplorer(3, seed=0, window=100.0)
    exp.timeout("n2")
    exp.advance(300)
    now = exp.sim.now
    exp.scrub(0.0)
    assert exp.time == 0.0 and exp.sim.now == now              # nothing re-run
    at_zero = {r["server"]: (r["role"], r["term"]) for r in exp.state_rows()}
    assert at_zero == {"n1": ("follower", 0), "n2": ("candidate", 1), "n3": ("follower", 0)}
    fig = exp.draw()
    assert len(fig.axes) == 3
    assert fig.axes[0].get_title(loc="left") == f"t = 0.0  (looking back; now is {now:.1f})"
    exp.scrub(now + 1)
    assert exp.error.startswith("time must be between 0 and now") and exp.time == 0.0
    exp.live()
    assert exp.time == now
    assert {r["role"] for r in exp.state_rows()} == {"follower", "leader"}
    exp.reset(seed=5)
    assert exp.sim.now == 0 and exp.seed == 5 and exp.requests == 0
    assert exp.log == ["sim = Cluster(3, seed=5).sim"]


def test_server_options_and_prepared_stories_reach_the_cluster():
    exp = RaftExplorer(3, seed=2, snapshot_threshold=4)
    assert {exp.sim.node(s).snapshot_threshold for s in exp.servers} == {4}

    def story(seed):
        c = Cluster(5, seed=seed, server_class=variants.VoteForAnyLog)
        c.run(400)
        return c
    exp = RaftExplorer(3, build=story, seed=7)                 # servers= is not used
    assert exp.servers == ["n1", "n2", "n3", "n4", "n5"] and exp.sim.now == 400
    assert isinstance(exp.sim.node("n1"), variants.VoteForAnyLog)
    exp.reset()
    assert exp.log == ["sim = build(seed=7).sim"] and exp.sim.now == 400


def test_the_widget_shows_what_the_actions_did():
    exp = RaftExplorer(3, seed=0, title="three servers")
    box = exp.widget()
    assert exp.widget() is box
    assert exp.log == ["sim = Cluster(3, seed=0).sim"]
    assert "seed 0" in exp._clock.value
    assert exp._flying.options == (("(nothing in flight)", None),)
    exp.timeout("n1")
    labels = [label for label, _ in exp._flying.options]
    assert labels == ["#1 n1→n2 RV t1", "#2 n1→n3 RV t1"]
    assert "election_timeout_elapsed()" in exp._code.value
    assert "candidate" in exp._table.value and "<b>t = 0.0</b>" in exp._clock.value
    exp.timeout("n9")
    assert "'n9' is not a server" in exp._err.value
    exp.advance(40)
    exp.scrub(10.0)
    assert exp._slider.value == 10.0 and "(showing t = 10.0)" in exp._clock.value
    assert plt.get_fignums() == []           # each refresh closed its figure


# =============================================================================================
# distlab.viz.raft: labels, colours, and the pictures test_raft_viz.py does not draw
# =============================================================================================
def test_message_kinds_labels_and_term_colours():
    e1, e3 = Entry(1, 1, "a"), Entry(3, 2, "c")
    cases = [
        (RequestVote(3, "n1", 0, 0), "RequestVote", "RV t3"),
        (RequestVoteReply(3, True), "vote reply", "yes"),
        (RequestVoteReply(3, False), "vote reply", "no"),
        (AppendEntries(2, "n1", 0, 0, (e1,), 0), "AppendEntries", "AE 1"),
        (AppendEntries(2, "n1", 0, 0, (e1, Entry(2, 1, "b"), e3), 0), "AppendEntries",
         "AE 1..3"),
        (AppendEntries(2, "n1", 3, 2, (), 3), "heartbeat", None),
        (AppendEntriesReply(2, True, 6), "AE reply", "ok 6"),
        (AppendEntriesReply(2, False, 0, 4, 1), "AE reply", "no →4"),
        (InstallSnapshot(2, "n1", Snapshot(20, 2, Configuration(("n1",)), {})),
         "InstallSnapshot", "snap ≤20"),
        ("hello", "str", None),
    ]
    for msg, kind, label in cases:
        assert vr.message_kind(msg) == kind and vr.raft_label(msg) == label, msg
    assert vr.term_color(0) == vr.term_color(-1) == "#bdbdbd"
    colours = [vr.term_color(t) for t in range(1, 8)]
    assert len(set(colours)) == 7 and "#000000" not in colours     # no black entries
    assert vr.term_color(8) == vr.term_color(1)                       # the palette cycles


def test_raft_outputs_marks_elections_and_commits_only():
    def out(name, value):
        return TraceEvent(1.0, "output", "n1", None, value, None, name)
    assert vr.raft_outputs(out("role", ("leader", 4))) == "leader t4"
    assert vr.raft_outputs(out("role", ("candidate", 3))) == "cand. t3"
    assert vr.raft_outputs(out("role", ("follower", 3))) is None
    assert vr.raft_outputs(out("commit", (7, 2))) == "commit 7"
    assert vr.raft_outputs(out("apply", (7, 2, "x"))) is None


@pytest.fixture(scope="module")
def story():
    """Notebook 2.6's story: an election, a command, the leader crashes and returns."""
    c = Cluster(5, seed=3)
    c.run(250)
    c.start("n2", "x=1")
    c.run(150)
    c.crash("n2")
    c.run(300)
    c.restart("n2")
    c.run(50)
    c.start("n5", "y=2")
    c.run(100)
    return c


def arrows_of(ax):
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def test_raft_spacetime_hides_heartbeats_and_labels_raft_messages(story):
    trace = story.trace
    # What heartbeats=False must hide: empty AppendEntries, and successful replies
    # whose match index a follower already reported to that leader.
    hidden, acked = set(), {}
    for e in trace.events:
        if e.kind != "send":
            continue
        if isinstance(e.msg, AppendEntries) and not e.msg.entries:
            hidden.add(e.msg_id)
        elif isinstance(e.msg, AppendEntriesReply) and e.msg.success:
            if acked.get((e.node, e.peer)) == e.msg.match_index:
                hidden.add(e.msg_id)
            acked[(e.node, e.peer)] = e.msg.match_index
    delivered = [e for e in trace.events if e.kind == "deliver"]
    everything = vr.raft_spacetime(story)
    quiet = vr.raft_spacetime(story, heartbeats=False)
    assert len(arrows_of(everything)) == len(delivered)
    assert len(arrows_of(quiet)) == len([e for e in delivered if e.msg_id not in hidden])
    assert 0 < len(arrows_of(quiet)) < len(delivered) - 30
    legend = [t.get_text() for t in quiet.get_legend().get_texts()]
    assert "heartbeat" not in legend and "RequestVote" in legend
    assert "heartbeat" in [t.get_text() for t in everything.get_legend().get_texts()]
    window = vr.raft_spacetime(story, heartbeats=False, start=150, end=185)
    texts = {t.get_text() for t in window.texts}
    assert {"RV t1", "yes", "leader t1", "commit 1"} <= texts
    assert [t.get_text() for t in window.get_yticklabels()] == list(story.sim.node_ids)


def test_raft_spacetime_keeps_each_kinds_colour_in_every_window(story):
    """MESSAGE_COLORS promises one colour per kind in every picture: a diagram that
    starts after the election must still draw AppendEntries in its own colour."""
    for window in [dict(start=150, end=185), dict(start=248, end=276)]:
        ax = vr.raft_spacetime(story, heartbeats=False, **window)
        legend = ax.get_legend()
        shown = {t.get_text(): to_hex(h.get_color())
                 for t, h in zip(legend.get_texts(), legend.legend_handles)}
        assert "AppendEntries" in shown
        assert shown == {k: vr.MESSAGE_COLORS[k].lower() for k in shown}, window


def test_in_flight_lists_messages_sent_and_not_yet_arrived(story):
    trace = story.trace
    rv = next(e for e in trace.events if e.kind == "send" and isinstance(e.msg, RequestVote))
    flying = vr.in_flight(story, rv.time)
    sent_then = [e for e in trace.events if e.kind == "send" and e.time == rv.time]
    assert {e.msg_id for e, _ in flying} == {e.msg_id for e in sent_then}
    arrivals = {e.msg_id: e.time for e in trace.events if e.kind in ("deliver", "drop")}
    assert all(end == arrivals[e.msg_id] and end > rv.time for e, end in flying)
    # A heartbeat on its way is in flight, unless heartbeats are hidden.
    beat = next(e for e in trace.events if e.kind == "send" and e.time > 300
                and isinstance(e.msg, AppendEntries) and not e.msg.entries)
    assert beat.msg_id in {e.msg_id for e, _ in vr.in_flight(story, beat.time)}
    assert beat.msg_id not in {e.msg_id for e, _ in vr.in_flight(story, beat.time,
                                                                 heartbeats=False)}
    assert beat.msg_id not in {e.msg_id for e, _ in vr.in_flight(story, arrivals[beat.msg_id])}
    # A trace that ends before the arrival does not know when it will arrive.
    cut = Trace([e for e in trace.events if e.time <= beat.time])
    assert (beat.msg_id, None) in {(e.msg_id, end) for e, end in vr.in_flight(cut)}


def ring_parts(ax):
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    crosses = [line for line in ax.lines if line.get_marker() == "X"]
    return circles, dots, crosses


def test_raft_cluster_draws_roles_votes_messages_and_crashes():
    c = Cluster(3, seed=0)
    c.campaign("n1")
    t0 = c.now
    c.run(40)
    c.crash("n3")
    c.partition(["n1"], ["n2", "n3"])
    c.run(10)
    ax = vr.raft_cluster(c, time=t0)        # n1 a candidate, asking for votes
    circles, dots, crosses = ring_parts(ax)
    assert len(circles) == 3 and not crosses
    face = {to_hex(p.get_facecolor()) for p in circles}
    assert vr.ROLE_COLORS["candidate"].lower() in face
    texts = [t.get_text() for t in ax.texts]
    assert sorted(t for t in texts if t.startswith("t")) == ["t0", "t0", "t1"]
    assert len(dots) == len(vr.in_flight(c, t0)) == 2 and texts.count("RV t1") == 2

    leading = next(e.time for e in c.trace.outputs("role") if e.msg == ("leader", 1))
    ax = vr.raft_cluster(c, time=leading, messages=False)
    circles, dots, _ = ring_parts(ax)
    assert not dots
    assert vr.ROLE_COLORS["leader"].lower() in {to_hex(p.get_facecolor()) for p in circles}
    voters = [t.get_text() for t in ax.texts if "→n1" in t.get_text()]
    assert voters and all(v.split("\n")[1] == "→n1" for v in voters)

    ax = vr.raft_cluster(c)                 # the end: n3 down, n1 cut off
    circles, _, crosses = ring_parts(ax)
    assert len(crosses) == 1 and len(circles) == 3 + 3          # servers plus halos
    assert "partition: n1 | n2,n3" in [t.get_text() for t in ax.texts]
    down = [p for p in circles if to_hex(p.get_edgecolor()) == CRASH_COLOR]
    assert len(down) == 1 and to_hex(down[0].get_facecolor()) == "#ffffff"
    with pytest.raises(ValueError, match="nothing to draw"):
        vr.raft_cluster(Trace([]))


class Frames:
    """Stands in for ``viz.animate``: draws each frame on a figure and keeps what is on
    it (no PNG rendering), so a test can read the frames of an animation."""

    def __init__(self):
        self.figs = []

    def __call__(self, draw, frames, *, figsize, **kwargs):
        for i in range(frames):
            fig = plt.figure(figsize=figsize)
            draw(fig, i)
            self.figs.append(fig)
        return self


def test_animate_cluster_frames_show_the_ring_the_logs_and_the_caption(story, monkeypatch):
    frames = Frames()
    monkeypatch.setattr(vr, "animate", frames)
    vr.animate_cluster(story, heartbeats=False, times=[155.5, 400.0],
                       captions=["n2 asks for votes", "n2 has crashed"], timeline=True)
    first, second = frames.figs
    assert [t.get_text() for t in first.texts] == ["t = 156:  n2 asks for votes"]
    assert len(first.axes) == len(second.axes) == 3            # ring, logs, roles strip
    ring, logs, strip = first.axes
    assert [t.get_text() for t in logs.get_yticklabels()] == story.servers
    assert ring.get_legend().get_title().get_text() == "in flight"
    kinds = [t.get_text() for t in ring.get_legend().get_texts()]
    assert kinds == ["RequestVote"]
    assert strip.get_xlim()[1] == 400.0                        # the strip spans every frame
    _, _, crosses = ring_parts(second.axes[0])
    assert len(crosses) == 1                                   # n2 is down at t = 400
    frames.figs.clear()
    vr.animate_cluster(story, times=[600.0])
    assert len(frames.figs[0].axes) == 2                       # no strip without timeline
    for bad in (dict(times=[]), dict(times=[1.0, 2.0], captions=["one"])):
        with pytest.raises(ValueError, match="times|captions"):
            vr.animate_cluster(story, **bad)


def test_animate_logs_puts_runs_side_by_side(monkeypatch):
    good = vr.replay_scenario("figure8_paper", RaftServer)
    bad = vr.replay_scenario("figure8_paper", variants.CommitPreviousTerms)
    frames = Frames()
    monkeypatch.setattr(vr, "animate", frames)
    vr.animate_logs({"Raft": good, "CommitPreviousTerms": bad}, times=[495.0],
                    captions=["(c) entry 2 on a majority"])
    (fig,) = frames.figs
    assert [t.get_text() for t in fig.texts] == ["(c) entry 2 on a majority"]
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Raft", "CommitPreviousTerms"]

    def solid_term2(ax):      # committed entries of term 2, drawn filled with its colour
        return [p for p in ax.patches if isinstance(p, Rectangle)
                and to_hex(p.get_facecolor()) == vr.term_color(2).lower()]
    assert not solid_term2(fig.axes[0]) and solid_term2(fig.axes[1])   # Figure 8 (c)
    with pytest.raises(ValueError, match="non-empty dict"):
        vr.animate_logs([good], times=[1.0])
    with pytest.raises(ValueError, match="captions"):
        vr.animate_logs({"a": good}, times=[1.0], captions=[])


def test_an_animation_renders_every_frame_deterministically(story):
    a = vr.animate_cluster(story, times=[160.0, 175.0], heartbeats=False)
    b = vr.animate_cluster(story, times=[160.0, 175.0], heartbeats=False)
    assert a.frames == 2 and a.html == b.html
    assert a.html.count("data:image/png;base64,") == 3       # two frames and the poster
    assert 'alt="Raft cluster, step by step"' in a.html


def test_role_transitions_count_figure4_edges():
    def role(t, node, r, term):
        return TraceEvent(t, "output", node, None, (r, term), None, "role")
    trace = Trace([role(0, "n1", "follower", 0), role(0, "n2", "follower", 0),
                   role(1, "n1", "candidate", 1), role(2, "n1", "candidate", 2),
                   role(3, "n1", "leader", 2), role(4, "n2", "follower", 2),
                   TraceEvent(5, "crash", "n1"), TraceEvent(6, "restart", "n1", info=1),
                   role(6, "n1", "follower", 2), role(7, "n2", "candidate", 3),
                   role(8, "n2", "follower", 3)])
    assert vr.role_transitions(trace) == Counter({
        ("start", "follower"): 3, ("follower", "candidate"): 2,
        ("candidate", "candidate"): 1, ("candidate", "leader"): 1,
        ("follower", "follower"): 1, ("candidate", "follower"): 1})
    assert vr.role_transitions([trace, trace]) == Counter(
        {k: 2 * v for k, v in vr.role_transitions(trace).items()})


def test_role_diagram_draws_figure4_with_counts():
    c = scenarios.SUITE["re_election"].run(seed=0)
    counts = vr.role_transitions(c)
    leaders = sum(1 for e in c.trace.outputs("role") if e.msg[0] == "leader")
    assert counts[("candidate", "leader")] == leaders
    ax = vr.role_diagram(c, title="Figure 4")
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == 3 and len(arrows) == len(vr.TRANSITION_RULES) == 6
    texts = [t.get_text() for t in ax.texts]
    assert {"follower", "candidate", "leader"} <= set(texts)
    won = next(t for t in texts if t.startswith("receives votes"))
    assert won.endswith(f"×{leaders}")
    assert ax.get_title(loc="left") == "Figure 4"
    bare = vr.role_diagram()
    assert not any("×" in t.get_text() for t in bare.texts)


@pytest.fixture(scope="module")
def caught():
    c = run_chaos(6, variants.VoteForAnyLog, mode="basic")     # notebook 2.8's example
    return c, judge(c)


def test_violation_figure_shows_the_moment_of_the_violation(caught):
    c, findings = caught
    first = findings[0]
    assert first.property == "leader completeness"
    fig = vr.violation_figure(c, first)
    timeline, messages, logs = fig.axes[:3]
    assert len(fig.axes) == 3
    head = str(first)
    assert timeline.get_title(loc="left") == (head if len(head) < 120 else head[:117] + "…")
    marks = [line for ax in (timeline, messages) for line in ax.lines
             if to_hex(line.get_color()) == CRASH_COLOR and list(line.get_xdata()) ==
             [first.time, first.time]]
    assert len(marks) == 2
    assert messages.get_title(loc="left") == "the messages just before (heartbeats hidden)"
    assert logs.get_title(loc="left") == f"the logs at t = {first.time:g}"
    assert [t.get_text() for t in logs.get_yticklabels()] == c.ids
    assert "probe" not in [t.get_text() for t in messages.get_yticklabels()]
    with_clients = vr.violation_figure(c, first, clients=True)
    assert "probe" in [t.get_text() for t in with_clients.axes[1].get_yticklabels()]
    # A violation given as text: the time is read from its "t=...".
    fig = vr.violation_figure(c, f"leader completeness: something (t={first.time:g}, n2)")
    assert fig.axes[2].get_title(loc="left") == f"the logs at t = {first.time:g}"
    with pytest.raises(ValueError, match="give the violation's time"):
        vr.violation_figure(c, "no time here")


def test_replay_scenario_returns_the_cluster_even_when_the_story_fails():
    bad = vr.replay_scenario("figure8_paper", variants.CommitPreviousTerms)
    assert isinstance(bad, Cluster) and bad.server_class is variants.CommitPreviousTerms
    result = scenarios.run_scenario("figure8_paper", variants.CommitPreviousTerms)
    assert not result.passed and "committed values do not match" in result.message
    found = {f.property for f in checks.check_all(bad.sim)}
    assert found == {"leader completeness", "state machine safety"}
    assert scenarios._made is None                       # the hook is put back
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        vr.replay_scenario("nope")
    with pytest.raises(TypeError, match="server_class must be RaftServer"):
        vr.replay_scenario("figure8_paper", object)
