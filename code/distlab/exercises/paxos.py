"""Checks for the exercises of notebook 2.4, "Paxos".

Each check first tries the learner's function on small cases (with the failing input,
expected and got, and a hint), then plugs it into the Synod protocol and runs it under
random faults: the rule is only right if agreement holds on every seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..paxos.checks import agreement, validity
from ..paxos.messages import ZERO, Ballot
from ..paxos.sweep import PAXOS_FAULTS_UNTIL, PAXOS_PLAN
from ..paxos.synod import SynodNode, build_synod
from ..sim import Exponential, FaultPlan, Network, NodeError, child_stream
from . import check_cases, expect, fail, passed

__all__ = ["check_choose_value", "check_acceptor_rules", "run_with_rules"]

B = Ballot


def _safe_under_faults(node: type, seeds: range, name: str, hint: str,
                       plan: FaultPlan = PAXOS_PLAN) -> None:
    """Run the Synod protocol with ``node`` on ``seeds``; fail on the first unsafe seed."""
    for seed in seeds:
        try:
            sim = run_with_rules(node, seed, plan)
        except NodeError as exc:
            cause = exc.__cause__ or exc
            fail(f"{name} raised {type(cause).__name__} inside the protocol (seed={seed}): "
                 f"{cause}", given=f"a run of the Synod protocol, seed={seed}",
                 got=type(cause).__name__, hint=hint)
        problems = agreement(sim) + validity(sim)
        expect(not problems, f"with your {name}, Paxos is unsafe on seed {seed}",
               given=f"three proposers (values v1, v2, v3), three acceptors, loss, crashes, "
                     f"partitions; seed={seed}",
               expected="every learner learns the same, proposed value",
               got=str(problems[0]) if problems else None, hint=hint)


def run_with_rules(node: type, seed: int, plan: FaultPlan = PAXOS_PLAN) -> Any:
    """One faulty single-decree run with the node class ``node`` (for the checks)."""
    rng = child_stream(seed, "exercise")
    starts = {p: round(rng.uniform(0, 200), 1) for p in ("p1", "p2", "p3")}
    sim = build_synod(seed=seed, proposals={"p1": "v1", "p2": "v2", "p3": "v3"},
                      starts=starts, network=Network(latency=Exponential(5, 1)), node=node)
    sim.apply(plan, until=PAXOS_FAULTS_UNTIL)
    sim.run(until=1000)
    return sim


def check_choose_value(choose: Callable[[list, Any], Any]) -> None:
    """``choose(promises, own)``: the value a proposer sends in phase 2."""
    hint = ("take the value of the promise with the highest accepted ballot; only if "
            "every promise says ZERO (nothing accepted) use your own value")
    cases = [
        (([(ZERO, None), (ZERO, None)], "mine"), "mine"),
        (([(ZERO, None), (B(1, "p2"), "Y")], "mine"), "Y"),
        (([(B(1, "p2"), "Y"), (B(3, "p1"), "X"), (ZERO, None)], "mine"), "X"),
        (([(B(2, "p1"), "X"), (B(2, "p3"), "Z")], "mine"), "Z"),
        (([(B(5, "p1"), "X"), (B(4, "p9"), "Z"), (B(5, "p1"), "X")], "mine"), "X"),
        (([(ZERO, None), (B(1, "p1"), 0)], "mine"), 0),
    ]
    n = check_cases(choose, cases, name="choose_value", hint=hint)

    class Yours(SynodNode):
        choose_value = staticmethod(choose)

    _safe_under_faults(Yours, range(40), "choose_value", hint)
    passed(f"choose_value picks the highest-numbered accepted value ({n} cases), and "
           f"Paxos stays safe with it on 40 faulty runs")


def check_acceptor_rules(may_promise: Callable[[Ballot, Ballot], bool],
                         may_accept: Callable[[Ballot, Ballot], bool]) -> None:
    """``may_promise(promised, ballot)`` and ``may_accept(promised, ballot)``."""
    promise_hint = ("promise unless you have already promised a HIGHER ballot; a repeated "
                    "Prepare with the same ballot (a duplicate) gets the same answer")
    accept_hint = ("accept unless you have promised a HIGHER ballot; accepting an Accept "
                   "for the ballot you promised is the whole point")
    b1, b1q, b2 = B(1, "p1"), B(1, "p2"), B(2, "p1")
    promise_cases = [((ZERO, b1), True), ((b1, b2), True), ((b2, b1), False),
                     ((b1, b1), True), ((b1q, b1), False), ((b1, b1q), True)]
    accept_cases = [((ZERO, b1), True), ((b1, b1), True), ((b2, b1), False),
                    ((b1, b2), True), ((b1q, b1), False)]
    n = check_cases(may_promise, promise_cases, name="may_promise", hint=promise_hint)
    n += check_cases(may_accept, accept_cases, name="may_accept", hint=accept_hint)

    class Yours(SynodNode):
        pass

    Yours.may_promise = staticmethod(may_promise)  # type: ignore[assignment]
    Yours.may_accept = staticmethod(may_accept)    # type: ignore[assignment]
    _safe_under_faults(Yours, range(40), "acceptor rules", promise_hint)
    passed(f"may_promise and may_accept follow Paxos ({n} cases), and the protocol stays "
           f"safe with them on 40 faulty runs")
