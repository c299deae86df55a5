"""Checks for the exercises of notebook 2.3, "Two-phase and three-phase commit".

1. ``check_recovery``: a 2PC participant's recovery decision from its log;
2. ``check_atomicity_checker``: an atomicity checker over decisions;
3. ``check_termination_rule``: Skeen's termination rule for 3PC.

Each compares the learner's function with the book's on scripted cases, then runs it
inside the protocol (or on real traces) under faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..commit import (Abort, DoCommit, LogRecord, PreCommit, ThreePhaseParticipant,
                      TwoPhaseParticipant, check_atomicity, check_commit, decisions,
                      three_phase, two_phase)
from ..commit.sweep import run_3pc
from ..sim import Constant, Envelope, FaultPlan, Network, NodeError, Simulation
from . import call, expect, fail, passed

__all__ = ["check_recovery", "check_atomicity_checker", "check_termination_rule",
           "RECOVERY_CASES", "TERMINATION_CASES"]


def _call(fn: Callable, args: tuple, name: str, shown: str, hint: str) -> Any:
    return call(fn, name, args, shown=shown, given=shown, hint=hint)


def _need_function(fn: Any, name: str, signature: str) -> None:
    if not callable(fn):
        fail(f"{name}: expected your function", expected=f"a function {signature}", got=fn,
             hint="define the function in the cell above, run that cell, then this one")


# --- exercise 1: the participant's recovery decision -------------------------------------

#: (kinds of the log records of one transaction, expected action)
RECOVERY_CASES: list[tuple[list[str], str]] = [
    ([], "abort"),
    (["prepared"], "ask"),
    (["prepared", "commit"], "commit"),
    (["abort"], "abort"),
    (["prepared", "abort"], "abort"),
]

_RECOVERY_HINT = ("read the records in order: a decision (commit or abort) is final; "
                  "'prepared' alone means it voted yes and must ask; no record at all "
                  "means it never voted yes (presumed abort)")


def check_recovery(fn: Callable[[list[LogRecord]], str]) -> None:
    """``fn(records) -> "commit" | "abort" | "ask"`` must be a correct recovery rule.

    Compared with the book's rule on every kind of log, then plugged into 2PC
    participants that crash and restart under random faults: atomicity must hold and
    every participant must decide once everything has recovered.
    """
    _need_function(fn, "check_recovery", "(records) -> 'commit' | 'abort' | 'ask'")
    for kinds, want in RECOVERY_CASES:
        records = [LogRecord("T1", k, "c", ("p1", "p2")) for k in kinds]
        shown = repr(records)
        got = _call(fn, (records,), "recover", shown, _RECOVERY_HINT)
        expect(got == want, "a wrong recovery decision", given=f"recover({shown})",
               expected=want, got=got, hint=_RECOVERY_HINT)
    # In a system: participants with this rule, crashing and restarting.
    yours = type("YourParticipant", (TwoPhaseParticipant,), {"recovery": staticmethod(fn)})
    plan = FaultPlan(loss=0.05, crash_every=40, restart_after=(10, 60), max_crashed=2)
    for seed in range(12):
        sim = two_phase(seed, transactions=(("T1", 0.0), ("T2", 30.0), ("T3", 70.0)),
                        vote_no={"p2": ["T3"]}, participant_class=yours)
        sim.apply(plan, until=300)
        try:
            sim.run(until=900)
        except NodeError as exc:
            cause = exc.__cause__ or exc
            fail(f"seed={seed}: a participant using your rule raised "
                 f"{type(cause).__name__}: {cause}", got=type(cause).__name__,
                 hint="return one of the strings 'commit', 'abort' or 'ask'")
        bad = check_commit(sim, termination="all")
        expect(not bad, f"seed={seed}: with your rule, 2PC went wrong under crashes",
               expected="no violation", got=[str(v) for v in bad],
               hint="replay: two_phase(seed, ...) with crashes, and read "
                    "sim.trace.dump(kinds=['crash', 'restart', 'output'])")
    passed("the recovery rule is right on every kind of log, and 2PC participants that "
           "use it\n  stay atomic and all decide, in 12 seeds of crashes and restarts")


# --- exercise 2: an atomicity checker ---------------------------------------------------

_ATOMICITY_CASES: list[tuple[str, list[tuple[str, str, str]], list[str]]] = [
    ("nobody decided", [], []),
    ("everyone committed", [("c", "T1", "commit"), ("p1", "T1", "commit"),
                            ("p2", "T1", "commit")], []),
    ("one participant aborted, another committed",
     [("c", "T1", "commit"), ("p1", "T1", "commit"), ("p2", "T1", "abort")], ["T1"]),
    ("one node decided both (it changed its mind)",
     [("p1", "T1", "abort"), ("p1", "T1", "commit")], ["T1"]),
    ("a decision repeated after a restart is fine",
     [("p1", "T1", "commit"), ("p1", "T1", "commit"), ("p2", "T1", "commit")], []),
    ("two transactions, only T2 broken",
     [("p1", "T1", "abort"), ("p2", "T2", "commit"), ("p2", "T1", "abort"),
      ("p3", "T2", "abort")], ["T2"]),
    ("different transactions may end differently",
     [("p1", "T1", "commit"), ("p1", "T2", "abort"), ("p2", "T2", "abort")], []),
]

_ATOMICITY_HINT = ("group the decisions by transaction id; a transaction violates "
                   "atomicity when both 'commit' and 'abort' occur for it (at any nodes); "
                   "return the txids sorted")


def check_atomicity_checker(fn: Callable[[list[tuple[str, str, str]]], list[str]]) -> None:
    """``fn(decisions) -> sorted txids violating atomicity``, for ``decisions`` a list of
    ``(node, txid, outcome)``. Checked on scripted cases, then on real traces of 2PC and
    of 3PC under partitions, against ``distlab.commit.check_atomicity``."""
    _need_function(fn, "check_atomicity_checker", "(decisions) -> list of txids")
    for story, cases, want in _ATOMICITY_CASES:
        got = _call(fn, (list(cases),), "violations", repr(cases), _ATOMICITY_HINT)
        try:
            got = sorted(got)
        except TypeError:
            fail("your checker must return a list of txids", given=story, expected=want,
                 got=got, hint=_ATOMICITY_HINT)
        expect(got == want, f"wrong verdict ({story})", given=repr(cases), expected=want,
               got=got, hint=_ATOMICITY_HINT)
    found = 0
    for seed in range(40):
        sim = run_3pc(seed, "partitions")
        ds = [(d.node, d.txid, d.outcome) for d in decisions(sim)]
        want = sorted({v.txid for v in check_atomicity(sim)})
        got = _call(fn, (ds,), "violations", f"the {len(ds)} decisions of seed {seed}",
                    _ATOMICITY_HINT)
        expect(sorted(got) == want, f"seed={seed}: wrong verdict on a real 3PC trace",
               given=f"decisions of run_3pc({seed}, 'partitions')", expected=want,
               got=sorted(got), hint=_ATOMICITY_HINT)
        found += bool(want)
    passed(f"your checker agrees with the book's on {len(_ATOMICITY_CASES)} scripted cases "
           f"and on 40 real 3PC runs\n  under partitions ({found} of them violate "
           f"atomicity)")


# --- exercise 3: the 3PC termination rule --------------------------------------------------

class _LoseThenCrash:
    """Drop every ``msg_type`` that ``src`` sends to p2 or p3; crash ``src`` just after
    the first one (the message reached p1 only, then its sender died)."""

    def __init__(self, sim: Simulation, src: str, msg_type: type, crash: bool = True) -> None:
        self.sim, self.src, self.msg_type, self.crash = sim, src, msg_type, crash
        self.fired = False
        sim.network.add_hook(self)

    def __call__(self, env: Envelope) -> bool | None:
        if env.src != self.src or not isinstance(env.msg, self.msg_type) \
                or env.dst not in ("p2", "p3"):
            return None
        if self.crash and not self.fired:
            self.sim.crash(self.src, at=self.sim.now + 0.5)
        self.fired = True
        return False


#: (states reached by the new coordinator, expected verdict)
TERMINATION_CASES: list[tuple[list[str], str]] = [
    (["w"], "abort"),
    (["w", "w", "w"], "abort"),
    (["p"], "precommit"),
    (["w", "p", "w"], "precommit"),
    (["p", "p", "p"], "precommit"),
    (["w", "c"], "commit"),
    (["p", "c", "w"], "commit"),
    (["w", "a", "w"], "abort"),
    (["a"], "abort"),
    (["c"], "commit"),
]

_RULE_HINT = ("an aborted participant forces abort; a committed one forces commit; "
              "if everyone reached is uncertain, nobody can have committed: abort; "
              "otherwise someone is committable: pre-commit the others, then commit")


def check_termination_rule(fn: Callable[[list[str]], str]) -> None:
    """``fn(states) -> "abort" | "commit" | "precommit"``: Skeen's termination rule.

    Compared with the book's on every kind of state set, then plugged into 3PC
    participants whose coordinator crashes at different moments: every run must stay
    atomic and every participant must decide.
    """
    _need_function(fn, "check_termination_rule", "(states) -> 'abort'|'commit'|'precommit'")
    for states, want in TERMINATION_CASES:
        got = _call(fn, (list(states),), "rule", repr(states), _RULE_HINT)
        expect(got == want, "a wrong termination decision", given=f"rule({states!r})",
               expected=want, got=got, hint=_RULE_HINT)
    yours = type("YourParticipant", (ThreePhaseParticipant,), {"rule": staticmethod(fn)})
    # Latency 5: CanCommit arrives at 5, votes at 10, PreCommit at 15, acks at 20,
    # DoCommit at 25. Crash the coordinator in each phase (and the first backup too),
    # then three stories where a message reaches some participants only.
    stories: list[tuple[str, float | None, float | None, Any]] = [
        (f"the coordinator crashes at t={at}" + (f", p1 at t={at + 1}" if both else ""),
         at, at + 1 if both else None, None)
        for at in (8, 12, 17, 22) for both in (False, True)]
    stories += [
        ("DoCommit reaches p1 only, then the coordinator crashes, and p1 at t=27",
         None, 27, ("c", DoCommit, {})),
        ("p1 votes no; the coordinator's Abort reaches p1 only, then it crashes, and p1 "
         "at t=16", None, 16, ("c", Abort, {"p1": ["T1"]})),
        ("PreCommit reaches p1 only, then the coordinator crashes; p1 takes over, and its "
         "own decision reaches nobody before it crashes", 12, None, ("p1", DoCommit, {})),
    ]
    for story, c_at, p1_at, lose in stories:
        sim = three_phase(0, network=Network(latency=Constant(5.0)), participant_class=yours,
                          vote_no=lose[2] if lose else None)
        if lose:
            _LoseThenCrash(sim, lose[0], lose[1])
            if lose[0] == "p1":
                _LoseThenCrash(sim, "c", PreCommit, crash=False)
        if c_at is not None:
            sim.crash("c", at=c_at)
        if p1_at is not None:
            sim.crash("p1", at=p1_at)
        try:
            sim.run(until=1500)
        except NodeError as exc:
            cause = exc.__cause__ or exc
            fail(f"{story}: a participant using your rule raised "
                 f"{type(cause).__name__}: {cause}", got=type(cause).__name__,
                 hint="return one of 'abort', 'commit', 'precommit'")
        bad = check_commit(sim, termination="up")
        expect(not bad, f"{story}: 3PC went wrong with your rule",
               expected="atomic, and every live participant decides",
               got=[str(v) for v in bad], hint=_RULE_HINT)
    passed("the termination rule is right on every kind of state set, and 3PC with it\n"
           f"  terminates atomically in {len(stories)} crash stories (coordinator, backup, "
           "lost messages)")
