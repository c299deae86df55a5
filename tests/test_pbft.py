"""Byzantine fault tolerance: the generals and OM(m), quorums, PBFT (notebook 2.5).

Scenario tests cite the paper section they check: Lamport, Shostak & Pease 1982
("LSP §n"), Castro & Liskov 1999 ("PBFT §n"). Seed sweeps run under random faults with
one Byzantine replica, and every failure message names its seed.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.chaos import Violation, sweep
from distlab.pbft import (BEHAVIOURS, NULL_DIGEST, AmnesiacReplica, Commit, Group, NewView,
                          PBFTClient, PBFTReplica, Prepare, PrePrepare, Request,
                          ScriptedByzantine, ViewChange, build, canonical,
                          check_agreement, check_client_results, check_exactly_once,
                          check_order, check_run, completion, digest, exhaustive, forge,
                          intersection, majority, om_messages, prepared_certificate,
                          reproposals, run_om, sign, tamper, verify)
from distlab.pbft.checks import Problem
from distlab.pbft.generals import check_generals, decisions
from distlab.pbft.replica import Execution
from distlab.pbft.sweep import check_pbft, sweep_run
from distlab.sim import Constant, Network, Simulation, Uniform

REPLICAS = ("r0", "r1", "r2", "r3")
GROUP = Group.make(REPLICAS)


def executed(sim, node):
    return [e.msg for e in sim.trace.outputs("execute", node=node)]


def sent(sim, kind):
    return [e.msg for e in sim.trace.of_kind("send") if isinstance(e.msg, kind)]


# --- the Byzantine generals (LSP 1982) -------------------------------------------------------
def test_om1_with_four_generals_survives_every_single_traitor():
    """LSP §3, Theorem 1 (m = 1): with n = 4 > 3m, OM(1) meets IC1 and IC2 whatever one
    traitor says, whether it is the commander or a lieutenant: every one of its
    strategies (each message: attack, retreat or nothing) is tried."""
    for traitor in ("C", "L1", "L3"):
        outcomes = exhaustive(4, 1, traitor)
        assert len(outcomes) == 3 ** (3 if traitor == "C" else 2)
        bad = [o for o in outcomes if o.problems]
        assert not bad, f"traitor {traitor}: {bad[0]}"


def test_three_generals_cannot_both_agree_and_obey():
    """LSP §2: with three generals and one traitor no algorithm works. OM(1)'s two tie
    rules each lose one requirement to some traitor."""
    retreat_on_tie = exhaustive(3, 1, "L2", tie="retreat")
    assert any(p.startswith("IC2") for o in retreat_on_tie for p in o.problems)
    trust_commander = exhaustive(3, 1, "C", tie="commander")
    assert any(p.startswith("IC1") for o in trust_commander for p in o.problems)
    # ... while the other kind of traitor is harmless to each rule
    assert not any(o.problems for o in exhaustive(3, 1, "C", tie="retreat"))
    assert not any(o.problems for o in exhaustive(3, 1, "L2", tie="commander"))


def test_the_split_commander_story_of_the_notebook():
    """LSP §2, figure 2: the traitor commander tells L1 attack and L2 retreat."""
    sim = run_om(3, 1, {"C": "split"}, tie="commander")
    assert decisions(sim) == {"L1": "attack", "L2": "retreat"}
    assert check_generals(sim) == ["IC1: loyal lieutenants disagree (L1 attacks, L2 retreats)"]
    sim4 = run_om(4, 1, {"C": "split"})
    assert len(set(decisions(sim4).values())) == 1 and check_generals(sim4) == []


@pytest.mark.parametrize("traitors", [{"L1": "flip", "L4": "split"},
                                      {"C": "split", "L5": "flip"},
                                      {"C": "silent", "L2": "split"},
                                      {"L3": "silent", "L6": "flip"}])
def test_om2_with_seven_generals_tolerates_two_traitors(traitors):
    """LSP §3, Theorem 1 (m = 2): 7 > 3·2 generals, two traitors."""
    sim = run_om(7, 2, traitors, order="retreat")
    assert check_generals(sim, "retreat") == []


@pytest.mark.parametrize("n, m", [(3, 1), (4, 1), (5, 1), (7, 2), (6, 3)])
def test_om_sends_the_messages_the_formula_counts(n, m):
    """LSP §3: OM(m) costs (n-1) + (n-1)(n-2) + ... messages, m+1 terms."""
    assert run_om(n, m).stats["sent"] == om_messages(n, m)


@settings(deadline=None)
@given(st.lists(st.sampled_from(["attack", "retreat"]), min_size=1, max_size=9))
def test_majority_returns_a_strict_majority_and_breaks_ties_by_rule(values):
    counts = {v: values.count(v) for v in set(values)}
    strict = [v for v, c in counts.items() if 2 * c > len(values)]
    if strict:
        assert majority(values) == strict[0] == majority(values, tie="commander")
    else:
        assert majority(values) == "retreat"
        assert majority(values, tie="commander") == values[0]


# --- quorums ------------------------------------------------------------------------------------
@settings(deadline=None)
@given(st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=12))
def test_default_quorums_intersect_in_an_honest_replica_and_stay_live(f, extra):
    """PBFT §4.5.1: two quorums share at least f+1 replicas, so one honest one; and a
    quorum is small enough to form without the f faulty replicas."""
    n = 3 * f + 1 + extra
    group = Group.make([f"r{i}" for i in range(n)], f)
    assert intersection(n, group.quorum) >= f + 1
    assert group.quorum <= n - f
    if extra == 0:
        assert group.quorum == 2 * f + 1


def test_below_the_bound_no_quorum_is_both_safe_and_live():
    """With n = 3f, a quorum that survives f silent replicas (2f) may intersect another
    only in f replicas, all possibly Byzantine."""
    for f in range(1, 6):
        n = 3 * f
        live = n - f
        assert intersection(n, live) == f
    with pytest.raises(ValueError, match="needs n >= 3f\\+1 = 4"):
        Group.make(("r0", "r1", "r2"), 1)
    assert Group.make(("r0", "r1", "r2"), 1, quorum=2).quorum == 2   # on purpose only


# --- authentication and digests ------------------------------------------------------------------
def test_signatures_catch_alteration_and_forgery():
    """PBFT §2: faulty nodes cannot forge the signature of an honest one."""
    p = sign(Prepare(0, 1, "d" * 16, "r1"))
    assert verify(p)
    assert not verify(dataclasses.replace(p, digest="e" * 16))     # altered in flight
    assert not verify(forge(dataclasses.replace(p, replica="r2"), by="r1"))   # r1 posing as r2
    assert verify(forge(p, by="r1"))                                # signing as oneself is fine
    assert not verify(Prepare(0, 1, "d" * 16, "r1"))                # unsigned


def test_request_digest_is_the_same_in_every_interpreter():
    """Digests hash a canonical encoding, never hash() or a set's order."""
    req = Request(("write", 3), 7, "c1")
    code = ("from distlab.pbft import digest, Request\n"
            "print(digest(Request(('write', 3), 7, 'c1')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}, check=True)
    assert out.stdout.strip() == digest(req)


values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                      lambda inner: st.tuples(inner, inner) | st.lists(inner, max_size=3)
                      .map(tuple), max_leaves=6)


@settings(max_examples=80, deadline=None)
@given(values, values)
def test_canonical_encoding_is_injective_on_plain_values(a, b):
    def norm(v):  # True == 1 in Python, but the encoding keeps them apart, as it should
        return (type(v).__name__, tuple(norm(x) for x in v)) if isinstance(v, tuple) \
            else (type(v).__name__, v)
    assert (canonical(a) == canonical(b)) == (norm(a) == norm(b))


def test_the_prepared_predicate():
    """PBFT §4.2: prepared(m, v, n, i) iff the log holds the pre-prepare and 2f prepares
    from different backups that match it."""
    req = sign(Request(("write", 1), 1, "c1"))
    d = digest(req)
    pp = sign(PrePrepare(0, 1, d, "r0", req))
    p1, p2, p3 = (sign(Prepare(0, 1, d, r)) for r in ("r1", "r2", "r3"))
    assert prepared_certificate([pp, p1, p2], 0, 1, GROUP) is not None
    assert prepared_certificate([pp, p1], 0, 1, GROUP) is None                   # one short
    assert prepared_certificate([pp, p1, p1], 0, 1, GROUP) is None               # same backup
    assert prepared_certificate([pp, p1, sign(Prepare(0, 1, d, "r0"))], 0, 1, GROUP) is None
    assert prepared_certificate([pp, p1, sign(Prepare(0, 1, "x" * 16, "r2"))], 0, 1,
                                GROUP) is None                                  # other digest
    assert prepared_certificate([pp, p1, forge(Prepare(0, 1, d, "r2"), by="r0")], 0, 1,
                                GROUP) is None                                  # forged
    assert prepared_certificate([p1, p2, p3], 0, 1, GROUP) is None               # no pre-prepare
    wrong = sign(PrePrepare(0, 1, digest("other"), "r0", req))                  # digest ≠ D(m)
    assert prepared_certificate([wrong, sign(Prepare(0, 1, wrong.digest, "r1")),
                                 sign(Prepare(0, 1, wrong.digest, "r2"))], 0, 1, GROUP) is None
    assert prepared_certificate([pp, p1, p2], 1, 1, GROUP) is None               # other view


def test_reproposals_take_the_highest_view_and_fill_gaps_with_nulls():
    """PBFT §4.4: O holds, for each n in (min-s, max-s], the request of the prepared
    certificate with the highest view, or the null request."""
    a, b = sign(Request(("write", 1), 1, "c1")), sign(Request(("write", 2), 1, "c2"))

    def cert(view, seq, req):
        d = digest(req)
        pp = sign(PrePrepare(view, seq, d, GROUP.primary(view), req))
        backups = [r for r in REPLICAS if r != GROUP.primary(view)][:2]
        return prepared_certificate([pp] + [sign(Prepare(view, seq, d, r)) for r in backups],
                                    view, seq, GROUP)

    vcs = [sign(ViewChange(3, 0, (), (cert(0, 3, a),), "r1")),
           sign(ViewChange(3, 0, (), (cert(2, 3, b),), "r2")),
           sign(ViewChange(3, 0, (), (), "r3"))]
    min_s, _, proposals = reproposals(vcs)
    assert min_s == 0
    assert [(n, d) for n, d, _ in proposals] == [(1, NULL_DIGEST), (2, NULL_DIGEST),
                                                 (3, digest(b))]


# --- the normal case -----------------------------------------------------------------------------
def test_normal_case_message_pattern():
    """PBFT §4.2, figure 1: request, 3 pre-prepares, 3·3 prepares, 4·3 commits, 4
    replies; the client accepts after f+1 = 2 matching replies."""
    sim = build(1, clients=1, scripts={"c1": [("write", 5)]},
                network=Network(latency=Constant(2)), client_start=0)
    sim.run(until=40)
    counts = {k.__name__: len(sent(sim, k)) for k in (Request, PrePrepare, Prepare, Commit)}
    assert counts == {"Request": 1, "PrePrepare": 3, "Prepare": 9, "Commit": 12}
    assert all(executed(sim, r) == [Execution(1, executed(sim, "r0")[0].digest, "c1", 1,
                                              ("write", 5), "ok", True,
                                              executed(sim, "r0")[0].state)]
               for r in REPLICAS)
    accept = sim.trace.outputs("accept")
    assert len(accept) == 1 and len(accept[0].msg.replicas) == 2
    assert [e.time for e in accept] == [10.0]       # 5 hops of latency 2


def test_retransmitted_requests_execute_once():
    """PBFT §4.1: replicas keep the last reply to each client and resend it; a request
    is never executed twice, even when the client gives up waiting and broadcasts."""
    sim = build(4, clients=2, ops=5, client_timeout=6.0,
                network=Network(latency=Uniform(1, 10), duplicate=0.3))
    sim.run(until=800)
    assert sum(sim.node(c).retransmissions for c in ("c1", "c2")) > 0
    assert check_run(sim, REPLICAS) == [] and completion(sim) == 1.0


# --- view changes ------------------------------------------------------------------------------------
def test_a_silent_primary_is_replaced():
    """PBFT §4.4: backups time out waiting, change to view 1, whose primary r1 orders."""
    sim = build(2, byzantine={"r0": "silent"}, clients=2, ops=2)
    sim.run(until=1000)
    views = {e.node: e.msg for e in sim.trace.outputs("view") if e.node != "r0"}
    assert views == {"r1": 1, "r2": 1, "r3": 1}
    assert check_run(sim, ["r1", "r2", "r3"]) == [] and completion(sim) == 1.0


def test_a_prepared_request_keeps_its_sequence_number_across_a_view_change():
    """PBFT §4.4: the request prepared in view 0 (its commits were all lost) is
    re-proposed by the new primary at the same n, then committed and executed."""
    sim = build(1, clients=1, scripts={"c1": [("write", 7)]},
                network=Network(latency=Constant(2)), client_start=0)
    sim.network.add_hook(lambda env: False if isinstance(env.msg, Commit)
                         and env.msg.view == 0 else None)
    sim.crash("r0", at=7)
    sim.run(until=400)
    new_view = sent(sim, NewView)[0]
    req = sent(sim, Request)[0]
    assert new_view.view == 1 and [(p.seq, p.digest) for p in new_view.pre_prepares] \
        == [(1, digest(req))]
    assert all([x.seq for x in executed(sim, r)] == [1] for r in ("r1", "r2", "r3"))
    assert check_run(sim, ["r1", "r2", "r3"]) == []


def test_a_gap_is_filled_with_the_null_request():
    """PBFT §4.4: nobody prepared n = 1 (its pre-prepare was lost), n = 2 prepared: the
    new view proposes null at 1, so the request at 2 can execute; the lost request is
    ordered again later, when its client retransmits."""
    sim = build(2, clients=2, scripts={"c1": [("write", 1)], "c2": [("write", 2)]},
                network=Network(latency=Constant(2)), client_start=0)
    sim.network.add_hook(lambda env: False if isinstance(env.msg, PrePrepare)
                         and env.msg.view == 0 and env.msg.seq == 1 else None)
    sim.run(until=600)
    assert [p.digest for p in sent(sim, NewView)[0].pre_prepares][0] == NULL_DIGEST
    for r in REPLICAS:
        log = executed(sim, r)
        assert log[0].client is None and [x.seq for x in log] == [1, 2, 3]
    assert check_run(sim, REPLICAS) == [] and completion(sim) == 1.0


def test_an_equivocating_primary_cannot_split_the_honest_replicas():
    """PBFT §4.2: for a (v, n), backups accept one pre-prepare; two different
    requests cannot both gather 2f prepares, so at most one prepares."""
    sim = build(5, byzantine={"r0": "equivocate"}, clients=3, ops=3)
    sim.run(until=2000)
    assert sum(sim.node(r).conflicts for r in ("r1", "r2", "r3")) > 0 or \
        any(e.msg for e in sim.trace.outputs("view"))
    assert check_run(sim, ["r1", "r2", "r3"]) == [] and completion(sim) == 1.0


def test_a_new_primary_cannot_drop_prepared_requests():
    """PBFT §4.4: backups recompute O from the view changes in NEW-VIEW; a primary that
    replaces prepared requests by nulls is ignored, and the view moves on."""
    sim = build(3, byzantine={"r1": "lie"}, clients=1,
                scripts={"c1": [("write", 1), ("write", 2)]},
                network=Network(latency=Constant(2)), client_start=0)
    sim.network.add_hook(lambda env: False if isinstance(env.msg, Commit)
                         and env.msg.view == 0 and env.msg.seq == 1 else None)
    sim.crash("r0", at=7)
    sim.run(until=1500)
    lies = [nv for nv in sent(sim, NewView) if nv.view == 1]
    assert lies and all(p.digest == NULL_DIGEST for p in lies[0].pre_prepares)
    assert {e.msg for e in sim.trace.outputs("view") if e.node != "r1"} == {2}
    assert check_run(sim, ["r2", "r3"]) == [] and completion(sim) == 1.0


# --- checkpoints and state transfer -------------------------------------------------------------------
def test_a_replica_left_behind_catches_up_by_state_transfer():
    """PBFT §4.3: r3 is cut off while the others run past its log window; a stable
    checkpoint (2f+1 matching digests) lets it fetch and check the state."""
    sim = build(3, clients=2, ops=8, think=2, network=Network(latency=Uniform(1, 4)))
    sim.isolate("r3")
    sim.heal(at=100)
    sim.run(until=600)
    installs = sim.trace.outputs("install", node="r3")
    assert installs and installs[0].msg[0] % 4 == 0
    assert {sim.node(r).last_executed for r in REPLICAS} == {16}
    assert check_run(sim, REPLICAS) == []
    assert all(n > sim.node("r0").h for (_, n) in sim.node("r0").pre_prepares)   # log GC


# --- crash recovery ------------------------------------------------------------------------------------
def _amnesia_story(r2_class):
    a, b = sign(Request(("write", 1), 1, "c1")), sign(Request(("write", 2), 1, "c2"))
    pp = lambda req: PrePrepare(0, 1, digest(req), "r0", req)       # noqa: E731
    commit = lambda req: Commit(0, 1, digest(req), "r0")             # noqa: E731
    script = [(1, ["r1", "r2"], pp(a)), (1, "r3", pp(b)),           # equivocate
              (3, ["r1", "r2"], commit(a)),                           # a commits at r1, r2
              (7, "r2", pp(b)),                                       # after r2's restart
              (7, "r2", lambda node: node.find(Prepare, replica="r3")),
              (8, ["r2", "r3"], commit(b))]
    sim = Simulation(seed=1, network=Network(latency=Constant(1)))
    sim.add_node("r0", ScriptedByzantine, script=script)
    sim.add_nodes(["r1", "r3"], PBFTReplica, replicas=REPLICAS)
    sim.add_node("r2", r2_class, replicas=REPLICAS)
    sim.add_nodes(["c1", "c2"], PBFTClient, replicas=REPLICAS, ops=0)
    sim.crash("r2", at=5)
    sim.restart("r2", at=6)
    sim.run(until=30)
    return sim


def test_a_replica_must_remember_what_it_said():
    """Crash recovery: r2 prepared and committed request a at n = 1, crashed and
    restarted. With its durable log it refuses the Byzantine primary's pre-prepare
    for b at the same n; without it, it prepares b, and honest r1 and r3 execute
    different requests at n = 1."""
    durable = _amnesia_story(PBFTReplica)
    assert durable.node("r2").conflicts == 1
    assert check_agreement(durable, ["r1", "r2", "r3"]) == []
    forgetful = _amnesia_story(AmnesiacReplica)
    problems = check_agreement(forgetful, ["r1", "r3"])
    assert problems and problems[0].property == "agreement"


def test_restarted_replicas_rejoin_with_their_state():
    sim = build(6, clients=2, ops=6, think=3)
    sim.crash("r2", at=40)
    sim.restart("r2", at=90)
    sim.crash("r0", at=150)
    sim.restart("r0", at=200)
    sim.run(until=1500)
    assert check_run(sim, REPLICAS) == [] and completion(sim) == 1.0
    assert sim.node("r2").last_executed == sim.node("r1").last_executed


# --- Byzantine behaviours -------------------------------------------------------------------------------
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
@pytest.mark.parametrize("who", ["r0", "r2"])
def test_every_byzantine_behaviour_leaves_the_honest_replicas_safe(behaviour, who):
    """PBFT §4.5.1: safety with up to f faulty replicas, whatever they do; and, the
    network being timely, the clients are served (liveness, §4.5.2)."""
    sim = build(7, byzantine={who: behaviour}, clients=2, ops=3)
    sim.run(until=2500)
    honest = [r for r in REPLICAS if r != who]
    problems = check_run(sim, honest)
    assert problems == [], f"{who} {behaviour}: {problems[:2]}"
    assert completion(sim) == 1.0, f"{who} {behaviour}: clients not served"


def test_a_lying_replica_never_convinces_a_client():
    """PBFT §4.1: f+1 matching replies include an honest one."""
    sim = build(8, byzantine={"r2": "lie"}, clients=2, ops=4)
    sim.run(until=1500)
    accepts = sim.trace.outputs("accept")
    assert accepts and all("r2" not in e.msg.replicas for e in accepts)
    assert check_client_results(sim, ["r0", "r1", "r3"]) == []


def test_a_tampering_network_is_caught_by_the_signatures():
    sim = build(9, clients=2, ops=3)
    tamper(sim, rate=0.1)
    sim.run(until=2000)
    assert sum(sim.node(r).rejected for r in REPLICAS) > 0
    assert check_run(sim, REPLICAS) == [] and completion(sim) == 1.0


# --- the checkers -----------------------------------------------------------------------------------------
def test_checkers_report_what_is_wrong():
    """Each checker flags a hand-made violation (and says where)."""
    from distlab.sim import Trace

    def ex(seq, d, client="c1", t=1, result="ok", fresh=True, state="s"):
        return Execution(seq, d, client, t, ("write", 1), result, fresh, state + str(seq))

    rows = [(1.0, "output", "r1", None, ex(1, "aa"), None, "execute"),
            (1.0, "output", "r2", None, ex(1, "bb", state="t"), None, "execute"),
            (2.0, "output", "r1", None, ex(3, "cc", t=1), None, "execute")]
    trace = Trace(rows)
    assert [p.property for p in check_agreement(trace, ["r1", "r2"])] == ["agreement"] * 2
    assert check_order(trace, ["r1"]) == [Problem("order", "r1 executed n=3 after n=1")]
    assert [p.property for p in check_exactly_once(trace, ["r1"])] == ["exactly-once"]
    lie = Trace(rows + [(3.0, "output", "c1", None, type("A", (), {"timestamp": 1,
                                                                   "result": 9001})(), None,
                         "accept")])
    assert "9001" in str(check_client_results(lie, ["r1"])[0])


def test_below_the_bound_the_sweep_finds_violations_with_their_seeds():
    """n = 3f with quorums of 2f: an equivocating primary splits the honest replicas."""
    found = [v for s in range(4) for v in check_pbft(s, mode="3f")]
    assert found and all(isinstance(v, Violation) for v in found)
    assert {v.property for v in found} >= {"agreement"}
    assert str(found[0]).startswith(f"SEED={found[0].seed} pbft[3f]: ")


# --- seed sweeps ------------------------------------------------------------------------------------------
def test_chaos_sweep_is_safe_with_one_byzantine_replica():
    """4 replicas, loss, duplication, reordering, partitions, crashes and restarts, and
    on most seeds one Byzantine replica with random behaviours: no violation. After the
    faults stop (GST at t = 1500) the clients are served: liveness, measured, is not a
    safety property, so a few slow seeds are tolerated."""
    violations, incomplete = [], []
    for seed in range(100):
        sim, honest, byz = sweep_run(seed)
        violations += [f"seed={seed} {byz}: {p}" for p in check_run(sim, honest)]
        if completion(sim) < 1.0:
            incomplete.append(f"seed={seed} {byz}: {completion(sim):.2f} completed")
    assert violations == [], "\n".join(violations[:5])
    assert len(incomplete) <= 3, incomplete


def test_the_sweep_is_registered_with_distlab_chaos():
    result = sweep("pbft", range(3))
    assert result.protocol == "pbft" and result.violations == []


def test_a_run_is_a_function_of_its_seed():
    a, _, _ = sweep_run(11)
    b, _, _ = sweep_run(11)
    assert a.trace.dump() == b.trace.dump()


# --- the API says what is wrong -------------------------------------------------------------------------
def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="behaviours must be"):
        build(1, byzantine={"r1": "sulk"})
    with pytest.raises(ValueError, match="not one of"):
        build(1, byzantine={"r9": "silent"})
    with pytest.raises(ValueError, match="3f\\+1"):
        build(1, n=3, f=1)
    with pytest.raises(ValueError, match="traitor 'X'"):
        run_om(4, 1, {"X": "flip"})
    with pytest.raises(ValueError, match="strategy must be"):
        run_om(4, 1, {"L1": "mumble"})
    with pytest.raises(ValueError, match="limit"):
        exhaustive(7, 2, "L1")
    with pytest.raises(ValueError, match="checkpoint_interval"):
        PBFTReplica(REPLICAS, checkpoint_interval=0)
    with pytest.raises(ValueError, match="mode must be"):
        check_pbft(1, mode="nope")
    with pytest.raises(TypeError, match="canonical"):
        canonical({1, 2})


# --- exercises and pictures -------------------------------------------------------------------------------
def test_exercise_checks_accept_the_model_answers_and_explain_wrong_ones(capsys):
    from distlab.exercises import CheckFailed
    from distlab.exercises.bft import check_prepared, check_quorum_sizes, primary

    check_quorum_sizes(lambda f: {"replicas": 3 * f + 1, "prepares": 2 * f,
                                  "commits": 2 * f + 1, "view_changes": 2 * f + 1,
                                  "replies": f + 1})
    with pytest.raises(CheckFailed, match="'replies'.*\n.*\n.*expected: 2"):
        check_quorum_sizes(lambda f: {"replicas": 3 * f + 1, "prepares": 2 * f,
                                      "commits": 2 * f + 1, "view_changes": 2 * f + 1,
                                      "replies": 2 * f + 1})

    def model(log, view, seq):
        for pp in log:
            if isinstance(pp, PrePrepare) and (pp.view, pp.seq) == (view, seq) \
                    and pp.replica == primary(view) and verify(pp) and pp.request \
                    and digest(pp.request) == pp.digest:
                votes = {m.replica for m in log if isinstance(m, Prepare)
                         and (m.view, m.seq, m.digest) == (view, seq, pp.digest)
                         and m.replica != primary(view) and verify(m)}
                if len(votes) >= 2:
                    return True
        return False

    check_prepared(model)
    assert "15 logs" in capsys.readouterr().out
    naive = lambda log, view, seq: sum(isinstance(m, Prepare) for m in log) >= 2   # noqa: E731
    with pytest.raises(CheckFailed, match="the same backup's prepare twice"):
        check_prepared(naive)


def test_pictures_draw_from_the_trace():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from distlab.viz.bft import (TYPE_COLORS, animate_pbft, generals_diagram, pbft_diagram,
                                 quorum_picture, table_text)

    sim = build(1, clients=1, scripts={"c1": [("write", 1)]},
                network=Network(latency=Constant(2)), client_start=0)
    frames = sim.run_recording(until=10, every=5)
    ax = pbft_diagram(sim)
    legend = {t.get_text(): matplotlib.colors.to_hex(h.get_color())
              for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles)}
    assert legend == {k: TYPE_COLORS[k].lower() for k in legend} and "Commit" in legend
    anim = animate_pbft(sim, frames, captions=["a", "b", "c"])
    assert anim.frames == 3 and "_anim_img" in anim.html
    assert "replica" in table_text({"r0": sim.node("r0").state()})
    generals_diagram(run_om(4, 1, {"C": "split"}))
    quorum_picture(1)
    plt.close("all")
