"""Checks for the exercises of notebooks 2.6–2.8, "Raft".

Each check first tries the learner's function (or handler) on small cases, with the
failing input, what was expected and what came back, and a hint; then it plugs it into
``RaftServer`` and runs the scenarios of ``distlab.raft.SUITE`` that a mistake in that
rule breaks, and a few seeds of the chaos sweep. A rule is only right if the stories
and the safety checkers agree.

2.6 ``check_up_to_date`` (the election restriction, §5.4.1) and
    ``check_backtracking`` (where a leader retries after a rejection, §5.3);
2.7 ``check_commit_rule`` (counting replicas, and Figure 8, §5.4.2) and
    ``check_majorities_intersect`` (when one configuration may follow another,
    Ongaro's thesis §4.2);
2.8 ``check_vote_handler`` and ``check_append_handler`` (the project's RequestVote and
    AppendEntries receivers, Figure 2) and ``check_story_catches`` (a scenario that
    catches a server that forgets its vote).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..raft import scenarios, variants
from ..raft.messages import AppendEntries, AppendEntriesReply, Entry, RequestVote, \
    RequestVoteReply
from ..raft.scenarios import Cluster, Scenario, ScenarioResult, run_scenario
from ..raft.server import RaftServer
from ..raft.sweep import sweep_class
from ..sim import NodeError
from . import check_cases, expect, fail, passed

__all__ = ["check_up_to_date", "check_backtracking", "check_commit_rule",
           "check_majorities_intersect", "check_vote_handler", "check_append_handler",
           "check_story_catches", "run_story", "UP_TO_DATE_CASES", "BACKTRACKING_CASES",
           "COMMIT_CASES"]

_STUB_HINT = "replace the `raise NotImplementedError()` line with your code"


# --- shared helpers -------------------------------------------------------------------------
def _need_callable(fn: Any, name: str, signature: str) -> None:
    if not callable(fn):
        fail(f"{name}: expected your function", expected=f"a function {signature}", got=fn,
             hint="define it in the cell above, run that cell, then this one")


def _need_class(cls: Any, name: str) -> None:
    if not (isinstance(cls, type) and issubclass(cls, RaftServer)):
        fail(f"{name}: expected your server class", expected="a subclass of RaftServer",
             got=cls, hint="define the class in the cell above, run that cell, then this one")


def _stub_in(exc: BaseException) -> bool:
    seen = exc
    while seen is not None:
        if isinstance(seen, NotImplementedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _trimmed(window: str, lines: int = 14) -> str:
    rows = window.splitlines()
    if len(rows) > lines:
        rows = ["    ..."] + rows[-lines:]
    return "\n".join("    " + r for r in rows)


def _scenarios_pass(cls: type[RaftServer], names: Sequence[str], seeds: Iterable[int],
                    what: str, hint: str) -> int:
    """Run ``names`` x ``seeds`` against ``cls``; fail on the first failure."""
    runs = 0
    for name in names:
        for seed in seeds:
            result = run_scenario(name, cls, seed)
            runs += 1
            if result.passed:
                continue
            if "NotImplementedError" in result.message:
                fail(f"{what} is not written yet (it raises NotImplementedError)",
                     got="NotImplementedError", hint=_STUB_HINT)
            story = scenarios.SUITE[name].story.split(". ")[0]
            fail(f"with your {what}, the scenario {name!r} fails on seed {seed} "
                 f"({scenarios.SUITE[name].section})\n  the story: {story}.\n"
                 f"  what went wrong at t={result.time}: {result.message}\n"
                 f"  the trace before it:\n{_trimmed(result.window)}",
                 given=f"run_scenario({name!r}, YourClass, seed={seed})",
                 expected="the story passes and every safety property holds",
                 got="FAIL", hint=hint)
    return runs


def _sweep_clean(cls: type[RaftServer], seeds: range, mode: str | None, what: str,
                 hint: str) -> None:
    report = sweep_class(cls, seeds, mode=mode, stop_after=1)
    if report.ok:
        return
    v = report.violations[0]
    if "NotImplementedError" in v.detail:
        fail(f"{what} is not written yet (it raises NotImplementedError)",
             got="NotImplementedError", hint=_STUB_HINT)
    fail(f"with your {what}, the chaos sweep finds a violation on seed {v.seed}\n"
         f"  {v.property}: {v.detail}\n"
         f"  the trace before it:\n{_trimmed(report.windows[0])}",
         given=f"sweep_class(YourClass, [{v.seed}], mode={mode!r})",
         expected="no violation", got=v.property, hint=hint)


# =============================================================================================
# 2.6: the election restriction (§5.4.1)
# =============================================================================================
#: ((my_last_index, my_last_term, cand_last_index, cand_last_term), grant?)
UP_TO_DATE_CASES: list[tuple[tuple[int, int, int, int], bool]] = [
    ((0, 0, 0, 0), True),      # two empty logs
    ((3, 2, 3, 2), True),      # identical ends
    ((3, 2, 5, 2), True),      # same last term, candidate longer
    ((5, 2, 3, 2), False),     # same last term, candidate shorter
    ((5, 2, 1, 3), True),      # candidate's last term is higher: length does not matter
    ((2, 3, 9, 2), False),     # candidate longer but with an older last term
    ((4, 1, 0, 0), False),     # candidate has nothing, I have entries
    ((0, 0, 7, 4), True),
]

_UP_TO_DATE_HINT = ("compare the last terms first: a higher last term wins whatever the "
                    "lengths; only if the last terms are equal does the longer log win "
                    "(equal logs are up to date too)")


def check_up_to_date(fn: Callable[[int, int, int, int], bool]) -> None:
    """``fn(my_last_index, my_last_term, cand_last_index, cand_last_term) -> bool``:
    grant the vote (as far as logs go)? Then Raft runs with it (notebook 2.6)."""
    _need_callable(fn, "up_to_date", "(my_last_index, my_last_term, cand_last_index, "
                                     "cand_last_term) -> bool")
    n = check_cases(fn, UP_TO_DATE_CASES, name="up_to_date", hint=_UP_TO_DATE_HINT,
                    same=lambda got, want: got in (True, False) and bool(got) == want)

    class Yours(RaftServer):
        def up_to_date(self, last_log_index: int, last_log_term: int) -> bool:
            return bool(fn(self.log.last_index, self.log.last_term, last_log_index,
                           last_log_term))

    runs = _scenarios_pass(Yours, ["initial_election", "many_elections", "persist2",
                                   "persist3", "figure8_unreliable"], (0,), "up_to_date",
                           _UP_TO_DATE_HINT)
    _sweep_clean(Yours, range(5), None, "up_to_date", _UP_TO_DATE_HINT)
    passed(f"up_to_date answers {n} cases right, and Raft with it passes {runs} scenarios "
           f"and 5 chaos seeds with every safety property intact")


# =============================================================================================
# 2.6: fast backtracking (§5.3)
# =============================================================================================
#: ((leader_terms, conflict_index, conflict_term), next_index); leader_terms[i - 1] is
#: the term of the leader's entry i.
BACKTRACKING_CASES: list[tuple[tuple[list[int], int, int | None], int]] = [
    (([1, 1, 1, 4, 4, 5, 5, 6, 6, 6], 7, None), 7),   # follower's log too short
    (([1, 1, 1, 4, 4, 5, 5, 6, 6, 6], 5, 4), 6),      # leader has term 4: after its last
    (([1, 1, 1, 4, 4, 5, 5, 6, 6, 6], 4, 2), 4),      # leader has no term 2: skip it all
    (([1, 1, 1, 4, 4, 4, 4], 2, 1), 4),               # leader's last entry of term 1 is 3
    (([1, 1, 2, 3], 3, 3), 5),                        # term 3 ends at the leader's last
    (([], 1, None), 1),
    (([2, 2, 2], 1, 1), 1),
]

_BACKTRACK_HINT = ("no conflict term (the follower's log is too short): retry at "
                   "conflict_index. Otherwise, if your log has entries of conflict_term, "
                   "retry just after your LAST entry of that term; if it has none, retry "
                   "at conflict_index (the follower's first entry of that term)")


def check_backtracking(fn: Callable[[list[int], int, int | None], int]) -> None:
    """``fn(leader_terms, conflict_index, conflict_term) -> next_index`` after a rejected
    AppendEntries (fast backtracking, §5.3); then the ``backup`` scenario counts the
    rejections it takes to repair long divergent logs (notebook 2.6)."""
    _need_callable(fn, "next_index", "(leader_terms, conflict_index, conflict_term) -> int")
    cases = [((list(terms), ci, ct), want) for (terms, ci, ct), want in BACKTRACKING_CASES]
    n = check_cases(fn, cases, name="next_index", hint=_BACKTRACK_HINT)

    class Yours(RaftServer):
        def next_index_after_conflict(self, m: AppendEntriesReply) -> int:
            log = self.log
            if log.snapshot_index:
                return super().next_index_after_conflict(m)
            terms = [e.term for e in log.entries]
            got = fn(terms, m.conflict_index, m.conflict_term)
            if isinstance(got, bool) or not isinstance(got, int):
                raise TypeError(f"next_index returned {got!r}, not an int")
            return got

    runs = _scenarios_pass(Yours, ["fail_agree", "rejoin", "backup", "figure8_unreliable",
                                   "unreliable_churn"], (0,), "next_index", _BACKTRACK_HINT)
    passed(f"next_index answers {n} cases right, and Raft with it repairs divergent logs "
           f"in few round trips ({runs} scenarios, including 'backup')")


# =============================================================================================
# 2.7: the commit rule (§5.3, §5.4.2, Figure 8)
# =============================================================================================
#: ((match_indexes, leader_terms, current_term, commit_index), new_commit_index)
COMMIT_CASES: list[tuple[tuple[list[int], list[int], int, int], int]] = [
    (([3, 3, 3], [1, 1, 1], 1, 0), 3),             # everyone has everything
    (([3, 2, 0], [1, 1, 1], 1, 0), 2),             # a majority has 1..2
    (([3, 0, 0], [1, 1, 1], 1, 0), 0),             # only the leader: nothing
    (([5, 4, 4, 2, 1], [1, 1, 2, 2, 2], 2, 1), 4),  # five voters: the 3rd highest is 4
    (([2, 2, 2, 1, 1], [1, 2], 4, 1), 1),          # Figure 8 (c): entry 2 (term 2) on a
                                                   # majority, current term 4: not yet
    (([3, 3, 2, 1, 1], [1, 2, 4], 4, 1), 1),       # entry 3 on two servers only; 2 is old
    (([3, 3, 3, 1, 1], [1, 2, 4], 4, 1), 3),       # Figure 8 (e): entry 3 of term 4 on a
                                                   # majority commits 3, and 2 with it
    (([4, 4, 4], [1, 1, 1, 1], 1, 4), 4),          # never goes backwards
    (([4, 2, 4], [1, 1, 3, 3], 3, 1), 4),
]

_COMMIT_HINT = ("sort the match indexes from high to low: the one at position quorum-1 "
                "(0-based) is stored on a majority. Commit up to it only if it is above "
                "commit_index AND the leader's entry there has the CURRENT term "
                "(Figure 8); otherwise keep commit_index")


def check_commit_rule(fn: Callable[[list[int], list[int], int, int], int]) -> None:
    """``fn(match_indexes, leader_terms, current_term, commit_index) -> commit_index``:
    the leader's new commit index (one match index per voter, its own included); then
    Raft runs with it, Figure 8 step by step included (notebook 2.7)."""
    _need_callable(fn, "new_commit_index",
                   "(match_indexes, leader_terms, current_term, commit_index) -> int")
    cases = [((list(m), list(t), term, ci), want) for (m, t, term, ci), want in COMMIT_CASES]
    n = check_cases(fn, cases, name="new_commit_index", hint=_COMMIT_HINT)

    class Yours(RaftServer):
        def advance_commit_index(self) -> None:
            config = self.config
            if self.role != "leader" or not config.voters or self.log.snapshot_index:
                return super().advance_commit_index()
            last = self.log.last_index
            matched = [last if v == self.id else self.match_index.get(v, 0)
                       for v in config.voters]
            terms = [e.term for e in self.log.entries]
            new = fn(matched, terms, self.current_term, self.commit_index)
            if isinstance(new, bool) or not isinstance(new, int) or new > last:
                raise ValueError(f"new_commit_index returned {new!r}: not an index of "
                                 f"the log (1..{last})")
            if new > self.commit_index:
                self.set_commit_index(new)

    runs = _scenarios_pass(Yours, ["basic_agree", "follower_failure", "fail_no_agree",
                                   "concurrent_starts", "figure8_paper", "figure8",
                                   "persist2"], (0,), "new_commit_index", _COMMIT_HINT)
    passed(f"new_commit_index answers {n} cases right, and Raft with it passes {runs} "
           f"scenarios, the paper's Figure 8 step by step among them")


# =============================================================================================
# 2.7: configurations whose majorities intersect (thesis §4.2)
# =============================================================================================
def _majorities(members: Sequence[str]) -> list[frozenset[str]]:
    q = len(members) // 2 + 1
    return [frozenset(c) for c in itertools.combinations(sorted(members), q)]


def _intersect(old: Sequence[str], new: Sequence[str]) -> bool:
    return all(a & b for a in _majorities(old) for b in _majorities(new))


def check_majorities_intersect(fn: Callable[[set[str], set[str]], bool]) -> None:
    """``fn(old, new) -> bool``: does every majority of ``old`` share a server with
    every majority of ``new``? Checked against brute force on every pair of
    configurations drawn from five servers (notebook 2.7)."""
    _need_callable(fn, "majorities_intersect", "(old: set, new: set) -> bool")
    hint = ("try it by hand: list the smallest majorities (size len//2 + 1) of each "
            "configuration and look for two that share no server; or think about the "
            "sizes: the two majorities together need more servers than old | new holds")
    names = ["a", "b", "c", "d", "e"]
    configs = [set(c) for k in range(1, 6) for c in itertools.combinations(names, k)]
    cases = [(({"a", "b", "c"}, {"a", "b", "c", "d"}), True),
             (({"a", "b", "c"}, {"a", "b", "c", "d", "e"}), False),
             (({"a", "b", "c"}, {"a", "b", "d"}), False),
             (({"a", "b", "c", "d"}, {"a", "b", "c"}), True)]
    cases += [((set(o), set(nw)), _intersect(sorted(o), sorted(nw)))
              for o in configs for nw in configs]
    n = check_cases(fn, [((set(a), set(b)), want) for (a, b), want in cases],
                    name="majorities_intersect", hint=hint,
                    same=lambda got, want: got in (True, False) and bool(got) == want)
    single = sum(1 for o in configs for nw in configs
                 if len(o ^ nw) == 1 and _intersect(sorted(o), sorted(nw)))
    passed(f"majorities_intersect agrees with brute force on {n} pairs of configurations; "
           f"all {single} single-server changes among them are safe")


# =============================================================================================
# 2.8: the project's handlers, probed one message at a time
# =============================================================================================
class _Probe:
    """Three servers of the learner's class with long election timeouts (nobody
    campaigns on their own); messages are sent to n1 as if from n2 or n3."""

    def __init__(self, cls: type[RaftServer], what: str) -> None:
        self.what = what
        try:
            self.c = Cluster(3, seed=0, server_class=cls, noop=False,
                             election_timeout=(5000.0, 9000.0))
        except NodeError as exc:
            self._raised(exc, "starting")

    def _raised(self, exc: BaseException, doing: str) -> None:
        if _stub_in(exc):
            fail(f"{self.what} is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError", hint=_STUB_HINT)
        cause = exc.__cause__ or exc
        fail(f"your {self.what} raised {type(cause).__name__} while {doing}: {cause}",
             given=doing, got=type(cause).__name__,
             hint="read the traceback above this message; the line of your code is in it")

    @property
    def n1(self) -> RaftServer:
        return self.c.sim.node("n1")

    def state(self) -> str:
        s = self.n1
        log = " ".join(f"{e.index}@t{e.term}" for e in s.log.entries) or "empty"
        return (f"n1 in term {s.current_term}, voted for {s.voted_for}, log [{log}], "
                f"commit {s.commit_index}")

    def send(self, src: str, msg: Any, reply_type: type) -> Any:
        """Deliver ``msg`` from ``src`` to n1; return n1's reply (or None)."""
        before = len(self.c.trace.events)
        self.c.sim.node(src).send("n1", msg)
        try:
            self.c.run(20.0)
        except NodeError as exc:
            self._raised(exc, f"handling {msg!r}")
        replies = [e.msg for e in self.c.trace.events[before:] if e.kind == "send"
                   and e.node == "n1" and e.peer == src and isinstance(e.msg, reply_type)]
        return replies[0] if replies else None


def check_vote_handler(cls: type[RaftServer]) -> None:
    """The project's ``on_request_vote`` (Figure 2, RequestVote receiver): probed with
    single messages, then run through the election and persistence scenarios and a
    few chaos seeds (notebook 2.8)."""
    _need_class(cls, "check_vote_handler")
    p = _Probe(cls, "on_request_vote")
    hint_reply = ("reply RequestVoteReply(self.current_term, granted) to the sender, "
                  "after adopting a higher term (become_follower)")

    def ask(src: str, msg: RequestVote, want: bool, why: str, term: int, *,
            about_log: bool = False) -> None:
        before = p.state()
        reply = p.send(src, msg, RequestVoteReply)
        expect(reply is not None, f"no RequestVoteReply came back to {src}",
               given=f"{msg!r} to {before}", expected="a RequestVoteReply", got=None,
               hint=hint_reply)
        expect(reply.vote_granted is want, f"wrong vote: {why}",
               given=f"{msg!r} to {before}",
               expected=f"vote_granted={want}", got=f"vote_granted={reply.vote_granted}",
               hint=_UP_TO_DATE_HINT if about_log else
               "grant only if the request's term is current, you have not voted for "
               "someone else in it, and the candidate's log is at least as up to date")
        expect(reply.term == term and p.n1.current_term == term,
               f"wrong term after {msg!r}", given=f"{msg!r} to {before}",
               expected=f"n1 in term {term}, replying with term {term}",
               got=f"n1 in term {p.n1.current_term}, reply term {reply.term}",
               hint="a request with a higher term makes you a follower in that term "
                    "(self.become_follower(m.term)) before you decide; reply with your "
                    "current term")

    ask("n2", RequestVote(1, "n2", 0, 0, True), True,
        "a candidate of a newer term whose log is as up to date should get the vote", 1)
    storage = p.c.sim.storage("n1")
    expect(storage.get("voted_for") == "n2" and storage.get("term") == 1,
           "the vote is not on disk: a restart would forget it",
           given="RequestVote(t1 n2) granted", expected="storage term=1, voted_for='n2'",
           got=f"term={storage.get('term')!r}, voted_for={storage.get('voted_for')!r}",
           hint="record the vote with self.set_term(self.current_term, m.candidate_id): "
                "it writes current_term and voted_for to self.storage")
    ask("n3", RequestVote(1, "n3", 0, 0, True), False,
        "n1 already voted for n2 in term 1: one vote per term", 1)
    ask("n2", RequestVote(1, "n2", 0, 0, True), True,
        "a repeated request from the candidate n1 voted for gets the same answer", 1)
    p.send("n2", AppendEntries(1, "n2", 0, 0, (Entry(1, 1, "a"), Entry(2, 1, "b")), 0),
           AppendEntriesReply)
    ask("n3", RequestVote(2, "n3", 1, 1, True), False,
        "the candidate's log (ends 1@t1) is behind n1's (ends 2@t1): refuse, even in a "
        "new term", 2, about_log=True)
    ask("n3", RequestVote(1, "n3", 9, 9, True), False,
        "a request from an older term is refused whatever the log", 2)
    ask("n3", RequestVote(3, "n3", 1, 2, True), True,
        "the candidate's last term (2) is higher than n1's (1): its log is more up to "
        "date although shorter", 3, about_log=True)
    p.c.crash("n1")
    p.c.restart("n1")
    p.c.run(1.0)
    ask("n2", RequestVote(3, "n2", 9, 9, True), False,
        "after a restart, n1 must remember that it voted for n3 in term 3", 3)
    hint = "compare your handler with Figure 2's 'RequestVote RPC: receiver implementation'"
    runs = _scenarios_pass(cls, ["initial_election", "re_election", "many_elections",
                                 "persist_vote", "persist2", "figure8"], (0,),
                           "on_request_vote", hint)
    _sweep_clean(cls, range(6), "basic", "on_request_vote", hint)
    passed(f"on_request_vote answers 7 probes as Figure 2 says, keeps its vote across a "
           f"restart, and passes {runs} scenarios and 6 chaos seeds")


def check_append_handler(cls: type[RaftServer]) -> None:
    """The project's ``on_append_entries`` (Figure 2, AppendEntries receiver): probed
    with single messages (stale terms, gaps, conflicts, late duplicates, the commit
    index), then run through the replication scenarios and chaos seeds (notebook 2.8)."""
    _need_class(cls, "check_append_handler")
    p = _Probe(cls, "on_append_entries")
    a, b, c = Entry(1, 1, "a"), Entry(2, 1, "b"), Entry(3, 1, "c")

    def tell(src: str, msg: AppendEntries, success: bool, why: str, *, match: int | None = None,
             log: list[str] | None = None, commit: int | None = None,
             conflict: tuple[int, int | None] | None = None, term: int | None = None) -> None:
        before = p.state()
        reply = p.send(src, msg, AppendEntriesReply)
        given = f"{msg!r} to {before}"
        expect(reply is not None, f"no AppendEntriesReply came back to {src}", given=given,
               expected="an AppendEntriesReply", got=None,
               hint="every AppendEntries gets a reply: success or not")
        expect(reply.success is success, f"wrong answer: {why}", given=given,
               expected=f"success={success}", got=f"success={reply.success}",
               hint="refuse a stale term; refuse if your log has no entry at prev_log_index "
                    "with prev_log_term (self.consistency_check); otherwise accept")
        if term is not None:
            expect(reply.term == term, "the reply carries the wrong term", given=given,
                   expected=term, got=reply.term, hint="reply with self.current_term, after "
                                                      "adopting a newer term")
        if match is not None:
            expect(reply.match_index == match, "wrong match_index in the reply", given=given,
                   expected=match, got=reply.match_index,
                   hint="match_index is prev_log_index + len(entries): what THIS request "
                        "vouched for, not your last index")
        if conflict is not None:
            got = (reply.conflict_index, reply.conflict_term)
            expect(got == conflict, "wrong conflict hint in the rejection", given=given,
                   expected=f"conflict_index, conflict_term = {conflict}", got=got,
                   hint="use self.conflict_hint(prev_log_index): it returns "
                        "(conflict_index, conflict_term)")
        if log is not None:
            have = [f"{e.index}@t{e.term}" for e in p.n1.log.entries]
            expect(have == log, f"wrong log after the request: {why}", given=given,
                   expected=log, got=have,
                   hint="delete an entry and all after it only if it CONFLICTS (same index, "
                        "different term); skip entries you already have; append the rest "
                        "(self.store_entries does exactly this)")
        if commit is not None:
            expect(p.n1.commit_index == commit, "wrong commit index after the request",
                   given=given, expected=commit, got=p.n1.commit_index,
                   hint="if leader_commit > commit_index: set_commit_index(min(leader_commit, "
                        "index of the last entry this request vouched for))")

    tell("n2", AppendEntries(1, "n2", 0, 0, (a, b), 0), True,
         "the first entries, after the empty log", match=2, log=["1@t1", "2@t1"], term=1)
    tell("n2", AppendEntries(1, "n2", 2, 1, (c,), 1), True, "one more entry; commit up to 1",
         match=3, log=["1@t1", "2@t1", "3@t1"], commit=1)
    tell("n3", AppendEntries(0, "n3", 0, 0, (Entry(1, 0, "z"),), 0), False,
         "a leader of an older term (0) must be refused", term=1, log=["1@t1", "2@t1", "3@t1"])
    tell("n2", AppendEntries(1, "n2", 5, 1, (Entry(6, 1, "f"),), 1), False,
         "n1 has no entry 5: there would be a gap", conflict=(4, None),
         log=["1@t1", "2@t1", "3@t1"])
    tell("n3", AppendEntries(2, "n3", 3, 2, (Entry(4, 2, "d"),), 1), False,
         "n1's entry 3 has term 1, not 2: the logs differ there", conflict=(1, 1), term=2,
         log=["1@t1", "2@t1", "3@t1"])
    x, y = Entry(2, 2, "x"), Entry(3, 2, "y")
    tell("n3", AppendEntries(2, "n3", 1, 1, (x, y), 1), True,
         "entries 2 and 3 of term 2 replace n1's conflicting entries of term 1", match=3,
         log=["1@t1", "2@t2", "3@t2"])
    tell("n3", AppendEntries(2, "n3", 1, 1, (x,), 1), True,
         "a late, shorter copy of an earlier request must not cut entry 3 off", match=2,
         log=["1@t1", "2@t2", "3@t2"])
    tell("n3", AppendEntries(2, "n3", 3, 2, (), 10), True,
         "a heartbeat with leader_commit=10: commit only what this request vouched for",
         match=3, commit=3)
    hint = "compare your handler with Figure 2's 'AppendEntries RPC: receiver implementation'"
    runs = _scenarios_pass(cls, ["basic_agree", "fail_agree", "fail_no_agree", "rejoin",
                                 "backup", "figure8", "unreliable_agree"], (0,),
                           "on_append_entries", hint)
    _sweep_clean(cls, range(6), "basic", "on_append_entries", hint)
    passed(f"on_append_entries answers 8 probes as Figure 2 says and passes {runs} "
           f"scenarios and 6 chaos seeds")


# =============================================================================================
# 2.8: a story that catches a forgetful voter
# =============================================================================================
def run_story(story: Callable[..., Cluster], server_class: type[RaftServer] = RaftServer,
              seed: int = 0, name: str = "your_story") -> ScenarioResult:
    """Run a scenario function ``story(server_class, seed) -> Cluster`` as the suite
    runs its own (safety checked afterwards; a failure comes back with the trace
    around it), without adding it to ``SUITE`` for good."""
    if not callable(story):
        raise TypeError(f"story must be a function (server_class, seed) -> Cluster, "
                        f"got {story!r}")
    if name in scenarios.SUITE:
        raise ValueError(f"name {name!r} is taken by a scenario of the suite")
    scenarios.SUITE[name] = Scenario(name, "yours", "", story)
    try:
        return run_scenario(name, server_class, seed)
    finally:
        del scenarios.SUITE[name]


def check_story_catches(story: Callable[..., Cluster], seeds: Sequence[int] = (0, 1, 2)) -> None:
    """``story(server_class, seed) -> Cluster``: a scenario that passes against
    ``RaftServer`` and fails against ``variants.ForgetfulVoter`` (a server that does
    not persist its vote), on each of ``seeds`` (notebook 2.8)."""
    _need_callable(story, "story", "(server_class, seed) -> Cluster")
    if story is scenarios.SUITE["persist_vote"].run:
        fail("that is the suite's own persist_vote: write your own story",
             expected="your function", got="scenarios.SUITE['persist_vote'].run")
    hint = ("let one server vote in a term, crash and restart it at once (same term), then "
            "make another candidate ask it for a vote in that same term (c.campaign, "
            "c.partition); finish with c.check_one_leader() or a c.one(...) so that the "
            "story also checks that Raft works")
    for seed in seeds:
        try:
            good = run_story(story, RaftServer, seed)
        except NotImplementedError:
            fail("your story is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError", hint=_STUB_HINT)
        if not good.passed:
            if "NotImplementedError" in good.message:
                fail("your story is not written yet (it raises NotImplementedError)",
                     got="NotImplementedError", hint=_STUB_HINT)
            fail(f"your story fails against the correct RaftServer on seed {seed}: it "
                 f"expects something Raft does not promise (or has a bug)\n"
                 f"  {good.message}\n{_trimmed(good.window, 10)}",
                 given=f"run_story(story, RaftServer, seed={seed})", expected="PASS",
                 got="FAIL", hint=hint)
        bad = run_story(story, variants.ForgetfulVoter, seed)
        expect(not bad.passed, f"your story does not catch ForgetfulVoter on seed {seed}",
               given=f"run_story(story, ForgetfulVoter, seed={seed})", expected="FAIL",
               got="PASS", hint=hint)
    passed(f"your story passes with RaftServer and catches ForgetfulVoter on seeds "
           f"{list(seeds)}: ({bad.message.split(' (and')[0][:90]})")
