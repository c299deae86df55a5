"""Paxos: the Synod protocol and Multi-Paxos (Lamport 1998, 2001; van Renesse &
Altinbuken 2015), judged from traces and client histories. Notebook 2.4."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.chaos import check_function, sweep
from distlab.consistency import check_linearizable, models
from distlab.exercises.paxos import check_acceptor_rules, check_choose_value
from distlab.exercises import CheckFailed
from distlab.paxos import (NOOP, ZERO, Accept, Accepted, Ballot, KVClient, MultiPaxosServer,
                           P1a, P2a, Prepare, Promise, agreement, apply_command,
                           build_multipaxos,
                           build_synod, choose_value, may_accept, may_promise, slot_agreement,
                           slot_validity, termination, validity)
from distlab.paxos.checks import decided_logs, synod_decisions
from distlab.paxos.sweep import check_multipaxos, check_paxos, multipaxos_run, paxos_run
from distlab.sim import Constant, FaultPlan, Network, Simulation, Uniform

KV = models.kv()


def decided_values(sim: Simulation) -> dict[str, object]:
    return {node: value for _, node, value in synod_decisions(sim)}


# --- tier 1: stories from the papers ------------------------------------------------------
def one_round(seed: int = 1, latency=Constant(2.0)) -> Simulation:
    sim = build_synod(seed=seed, proposals={"p1": "X"}, network=Network(latency=latency))
    sim.run(until=100)
    return sim


def test_one_proposer_decides_in_one_round_of_two_phases():
    """Lamport 2001, §2.2: prepare/promise, then accept/accepted; learners learn."""
    sim = one_round()
    count = {t.__name__: sim.trace.count("send", t) for t in (Prepare, Promise, Accept, Accepted)}
    assert count == {"Prepare": 3, "Promise": 3, "Accept": 3, "Accepted": 3 * 4}
    assert decided_values(sim) == {n: "X" for n in ("p1", "a1", "a2", "a3")}
    assert [repr(e.msg) for e in sim.trace.outputs("ballot")] == ["1.p1"]


GOLDEN_ONE_ROUND = """\
0.000000 output p1 'X' [propose]
0.000000 output p1 1.p1 [ballot]
0.000000 send p1 ->a1 #1 Prepare(ballot=1.p1)
0.000000 send p1 ->a2 #2 Prepare(ballot=1.p1)
0.000000 send p1 ->a3 #3 Prepare(ballot=1.p1)
2.000000 send a1 ->p1 #4 Promise(ballot=1.p1, accepted=⊥, value=None)
2.000000 send a2 ->p1 #5 Promise(ballot=1.p1, accepted=⊥, value=None)
2.000000 send a3 ->p1 #6 Promise(ballot=1.p1, accepted=⊥, value=None)
4.000000 send p1 ->a1 #7 Accept(ballot=1.p1, value='X')
4.000000 send p1 ->a2 #8 Accept(ballot=1.p1, value='X')
4.000000 send p1 ->a3 #9 Accept(ballot=1.p1, value='X')"""


def test_golden_trace_of_one_round():
    """Tier 2: the first events of a scripted round, byte for byte (regenerate on purpose
    with ``one_round().trace.dump(kinds=["send", "output"])``)."""
    dump = one_round().trace.dump(kinds=["send", "output"]).splitlines()
    assert "\n".join(dump[:11]) == GOLDEN_ONE_ROUND


def adopt_story() -> Simulation:
    """X is accepted by a1 and a2 (so chosen), but nobody hears of it; p2 then runs
    ballot 1.p2 with the majority {a2, a3}."""
    sim = build_synod(seed=1, proposals={"p1": "X", "p2": "Y"}, starts={"p2": 20},
                      network=Network(latency=Uniform(2, 6)))

    def lose(env):
        if isinstance(env.msg, Accept) and env.src == "p1" and env.dst == "a3":
            return False
        if isinstance(env.msg, Accepted) and env.send_time < 20:
            return False
        if isinstance(env.msg, Prepare) and env.src == "p2" and env.dst == "a1":
            return False
        return None

    sim.network.add_hook(lose)
    sim.run(until=100)
    return sim


def test_a_later_proposer_adopts_the_highest_accepted_value():
    """Lamport 2001, §2.2 (P2c): p2 must propose X, the value a2 reports, not its Y."""
    sim = adopt_story()
    promises = [e.msg for e in sim.trace.of_kind("send")
                if isinstance(e.msg, Promise) and e.peer == "p2"]
    assert any(p.accepted == Ballot(1, "p1") and p.value == "X" for p in promises)
    p2_accepts = {e.msg.value for e in sim.trace.of_kind("send")
                  if isinstance(e.msg, Accept) and e.node == "p2"}
    assert p2_accepts == {"X"}
    assert set(decided_values(sim).values()) == {"X"}


def amnesia(durable: bool) -> Simulation:
    """a2 accepts X and crashes before learning it; p2, cut off from p1 and a1, then
    asks a2 and a3 (notebook 2.4, "What can go wrong")."""
    sim = build_synod(seed=2, proposals={"p1": "X", "p2": "Y"}, starts={"p2": 40},
                      network=Network(latency=Uniform(2, 6)), durable=durable)
    sim.partition(["a3", "p2"])
    sim.crash("a2", at=14)
    sim.restart("a2", at=30)
    sim.partition(["p1", "a1"], at=35)
    sim.run(until=120)
    return sim


def test_durable_acceptors_remember_their_accepted_value_across_a_crash():
    sim = amnesia(durable=True)
    assert agreement(sim) == [] and set(decided_values(sim).values()) == {"X"}
    recovered = [e.msg for e in sim.trace.of_kind("send")
                 if isinstance(e.msg, Promise) and e.node == "a2" and e.time > 30]
    assert recovered and recovered[0].accepted == Ballot(1, "p1")


def test_a_volatile_acceptor_that_forgets_breaks_agreement():
    sim = amnesia(durable=False)
    problems = agreement(sim)
    assert len(problems) == 1 and "'X'" in problems[0].detail and "'Y'" in problems[0].detail
    assert validity(sim) == []  # both values were proposed: only agreement fails


def test_acceptors_persist_before_they_answer():
    """Persist before send (STYLE.md): each Promise/Accepted follows a durable write."""
    sim = one_round()
    events = sim.trace.events
    for i, e in enumerate(events):
        if e.kind == "send" and isinstance(e.msg, (Promise, Accepted)):
            earlier = [x for x in events[:i] if x.node == e.node and x.time == e.time]
            assert any(x.kind == "persist" and x.info == "acceptor" for x in earlier), e


def test_a_restarted_proposer_never_reuses_a_ballot():
    """Lamport 2001, §2.2: a proposer remembers the highest round it tried, durably."""
    sim = build_synod(seed=3, proposals={"p1": "X"}, network=Network(latency=Constant(2.0)),
                      timeout=10)
    sim.isolate("p1")                   # its Prepares go nowhere: it retries, crashes ...
    sim.crash("p1", at=25)
    sim.restart("p1", at=26)
    sim.heal(at=40)
    sim.run(until=200)
    rounds = [e.msg.round for e in sim.trace.outputs("ballot")]
    assert len(rounds) >= 4 and rounds == sorted(set(rounds))
    assert set(decided_values(sim).values()) == {"X"}


def test_lost_messages_are_retried_until_a_value_is_chosen():
    sim = build_synod(seed=4, proposals={"p1": "X", "p2": "Y"},
                      network=Network(latency=Uniform(1, 10), loss=0.3), timeout=40)
    sim.run(until=2000)
    assert agreement(sim) == [] and termination(sim, sim.node_ids) == []


def test_a_learner_cut_off_during_the_decision_catches_up():
    """Lamport 2001, §2.3: a learner that missed the Accepted messages asks (Query)."""
    sim = build_synod(seed=5, proposals={"p1": "X"}, network=Network(latency=Constant(2.0)),
                      acceptors=("a1", "a2", "a3", "a4", "a5"), query_every=50)
    sim.isolate("a5", at=0)
    sim.heal(at=30)
    sim.run(until=200)
    late = [(t, n) for t, n, _ in synod_decisions(sim) if n == "a5"]
    assert late and late[0][0] > 30


def duel(backoff: str, until: float = 300) -> Simulation:
    """Two proposers and an adversary that delays every Accept (the asynchronous model
    allows it): FLP's non-terminating run, made concrete."""
    sim = build_synod(seed=0, proposals={"p1": "X", "p2": "Y"}, starts={"p2": 6.0},
                      network=Network(latency=Constant(2.0)), backoff=backoff)
    sim.network.add_hook(lambda env: dataclasses.replace(env, delay=8.0)
                         if isinstance(env.msg, Accept) else None)
    sim.run(until=until)
    return sim


def test_duelling_proposers_livelock_without_backoff():
    """Lamport 2001, §2.4: two proposers can keep preempting each other forever."""
    sim = duel("none")
    assert synod_decisions(sim) == []
    assert len(sim.trace.outputs("ballot")) >= 40


@pytest.mark.parametrize("backoff, most", [("random", 6), ("leader", 1)])
def test_random_backoff_or_a_leader_restores_progress(backoff, most):
    sim = duel(backoff)
    assert termination(sim, sim.node_ids) == [] and agreement(sim) == []
    first = min(t for t, _, _ in synod_decisions(sim))
    assert len([e for e in sim.trace.outputs("ballot") if e.time <= first]) <= most


def test_a_new_leader_takes_over_when_the_distinguished_proposer_crashes():
    sim = build_synod(seed=6, proposals={"p1": "X", "p2": "Y"}, backoff="leader",
                      network=Network(latency=Constant(2.0)))
    sim.crash("p1", at=1)               # p1 dies before its Prepares arrive
    sim.run(until=300)
    assert set(decided_values(sim).values()) == {"Y"}
    assert {e.node for e in sim.trace.outputs("ballot")} == {"p1", "p2"}


# --- the rules, as laws -----------------------------------------------------------------------
ballots = st.builds(Ballot, st.integers(1, 6), st.sampled_from(["p1", "p2", "p3"]))
promise_lists = st.lists(st.one_of(st.just((ZERO, None)),
                                   st.tuples(ballots, st.sampled_from("XYZ"))), max_size=5)


@given(promise_lists)
def test_choose_value_takes_the_highest_accepted_ballot(promises):
    got = choose_value(promises, "own")
    accepted = [(b, v) for b, v in promises if b != ZERO]
    if not accepted:
        assert got == "own"
    else:
        top = max(b for b, _ in accepted)
        assert got in {v for b, v in accepted if b == top}


@given(ballots, ballots)
def test_promise_and_accept_rules_compare_ballots(promised, ballot):
    assert may_promise(promised, ballot) == (ballot >= promised)
    assert may_accept(promised, ballot) == (ballot >= promised)
    assert may_promise(ZERO, ballot) and ballot > ZERO


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0, 0.3), st.floats(0, 0.3))
def test_agreement_and_validity_for_any_seed_and_faults(seed, loss, duplicate):
    sim = build_synod(seed=seed, proposals={"p1": "v1", "p2": "v2", "p3": "v3"},
                      network=Network(latency=Uniform(1, 10), loss=loss, duplicate=duplicate))
    sim.apply(FaultPlan(crash_every=30, restart_after=(5, 30)), until=300)
    sim.run(until=1200)
    assert agreement(sim) == [] and validity(sim) == [], f"seed={seed}"


# --- Multi-Paxos -------------------------------------------------------------------------------
def steady(seed: int = 1) -> Simulation:
    sim = build_multipaxos(seed=seed, clients=2, ops=5, network=Network(latency=Uniform(1, 4)))
    sim.run(until=1000)
    return sim


def test_a_stable_leader_runs_phase_1_once_and_phase_2_per_command():
    """van Renesse & Altinbuken 2015, §3: phase 1 once per leader, then only phase 2."""
    sim = steady()
    assert len({e.msg.ballot for e in sim.trace.of_kind("send") if isinstance(e.msg, P1a)}) == 1
    commands = sim.trace.outputs("submit")
    slots = {e.msg.slot for e in sim.trace.of_kind("send") if isinstance(e.msg, P2a)}
    assert len(commands) == 10 and len(slots) == 10
    assert all(op.status == "ok" for op in sim.history.operations())
    logs = decided_logs(sim, ["n1", "n2", "n3"])
    assert logs["n1"] == logs["n2"] == logs["n3"] and len(logs["n1"]) == 10
    assert check_linearizable(sim.history, KV).linearizable


def leader_change() -> Simulation:
    """n1 leads; its P2a for slot 1 reach nobody but itself, and it crashes; a new
    leader recovers slot 2 from the acceptors and fills slot 1 with a no-op."""
    sim = Simulation(seed=0, network=Network(latency=Constant(2.0)))
    ids = ("n1", "n2", "n3")
    sim.add_node("n1", MultiPaxosServer, servers=ids, election_timeout=(15, 15))
    sim.add_nodes(["n2", "n3"], MultiPaxosServer, servers=ids, election_timeout=(40, 80))
    sim.add_node("c1", KVClient, servers=ids, start=25, think=0.01, retry=30,
                 script=[("put", ("x", "a")), ("append", ("x", "b"))])
    sim.add_node("c2", KVClient, servers=ids, start=40, think=0.01, retry=30,
                 script=[("append", ("x", "c")), ("get", "x")])
    sim.network.add_hook(lambda env: False if isinstance(env.msg, P2a) and env.msg.slot == 1
                         and env.src == "n1" and env.dst != "n1" else None)
    sim.crash("n1", at=45)
    sim.restart("n1", at=160)
    sim.run(until=400)
    return sim


def test_a_new_leader_recovers_accepted_commands_and_fills_gaps_with_noops():
    sim = leader_change()
    logs = decided_logs(sim, ["n1", "n2", "n3"])
    assert logs["n1"] == logs["n2"] == logs["n3"]
    log = logs["n2"]
    assert log[1] == NOOP                                      # nobody else had slot 1
    assert log[2].op == ("append", ("x", "c"))                 # recovered from acceptors
    assert [c.op for c in log.values()].count(("append", ("x", "b"))) == 1  # retried once
    assert slot_agreement(sim) == [] and slot_validity(sim) == []
    store, seen = {}, []                  # replay the log: the read sees its prefix
    for slot in sorted(log):
        result = apply_command(store, log[slot].op)
        if log[slot].op[0] == "get":
            seen.append(result)
    reads = [op.output for op in sim.history.operations() if op.f == "get"]
    assert reads == seen and reads[0].startswith("ac")
    assert check_linearizable(sim.history, KV).linearizable


def test_duplicated_requests_and_messages_are_applied_at_most_once():
    sim = build_multipaxos(seed=3, clients=3, ops=6,
                           network=Network(latency=Uniform(1, 10), duplicate=0.5),
                           client_args={"retry": 12.0})
    sim.run(until=2000)
    appends = [e.msg for e in sim.trace.outputs("submit") if e.msg.op[0] != "get"]
    assert appends
    result = check_linearizable(sim.history, KV)
    assert result.linearizable, result


def test_volatile_multipaxos_acceptors_are_unsafe_on_some_seed():
    bad = next((seed for seed in range(80) if check_multipaxos(seed, "volatile")), None)
    assert bad is not None, "forgetting acceptors should break agreement on some seed"
    assert check_multipaxos(bad, "volatile")[0].seed == bad


# --- tier 3: seed sweeps under random faults -------------------------------------------------
def test_paxos_sweep_is_clean():
    found = [str(v) for seed in range(300) for v in check_paxos(seed)]
    assert not found, found[:3]


@pytest.mark.parametrize("mode", ["none", "leader"])
def test_paxos_sweep_is_clean_with_the_other_backoffs(mode):
    found = [str(v) for seed in range(40) for v in check_paxos(seed, mode)]
    assert not found, found[:3]


@pytest.mark.parametrize("mode", ["volatile", "own-value"])
def test_unsafe_variants_are_caught_with_a_seed_that_reproduces(mode):
    bad = next((seed for seed in range(200) if check_paxos(seed, mode)), None)
    assert bad is not None, f"{mode}: no violation in 200 seeds"
    again = check_paxos(bad, mode)
    assert again and all(v.seed == bad and v.property == "agreement" for v in again)


def test_multipaxos_sweep_is_clean():
    found = [str(v) for v in sweep("multipaxos", range(80)).violations]
    assert not found, found[:3]


def test_the_sweeps_are_registered_and_deterministic():
    assert check_function("paxos") is check_paxos
    assert check_function("multipaxos") is check_multipaxos
    a, b = paxos_run(7), paxos_run(7)
    assert a.trace.dump() == b.trace.dump()
    assert multipaxos_run(7).trace.dump() == multipaxos_run(7).trace.dump()


# --- exercises and argument checks ---------------------------------------------------------------
def test_exercise_checks_accept_the_rules_and_reject_wrong_ones(capsys):
    check_choose_value(choose_value)
    check_acceptor_rules(may_promise, may_accept)
    assert capsys.readouterr().out.count("✔") == 2
    with pytest.raises(CheckFailed, match="expected: 'Y'"):
        check_choose_value(lambda promises, own: own)
    with pytest.raises(CheckFailed, match="may_promise"):
        check_acceptor_rules(lambda p, b: b > p, may_accept)

    def stub(promises, own):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not written yet"):
        check_choose_value(stub)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="backoff must be one of"):
        build_synod(backoff="sometimes")
    with pytest.raises(ValueError, match="acceptors must be a non-empty"):
        build_synod(acceptors=[])
    with pytest.raises(ValueError, match="proposals"):
        build_synod(proposals={"p1": None})
    with pytest.raises(ValueError, match="starts names"):
        build_synod(starts={"p9": 1.0})
    with pytest.raises(ValueError, match="must exceed the heartbeat"):
        build_multipaxos(election_timeout=(5, 8))
    with pytest.raises(ValueError, match="script entries"):
        build_multipaxos(clients=1, scripts=[[("delete", "x")]])
    with pytest.raises(ValueError, match="mode must be one of"):
        check_paxos(0, "sloppy")
    with pytest.raises(TypeError, match="Simulation or a Trace"):
        agreement("not a trace")


def test_pictures_read_the_trace():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from distlab.viz.paxos import ballot_timeline, log_grid, paxos_label, paxos_outputs

    assert paxos_label(Prepare(Ballot(2, "p1"))) == "1a 2.p1"
    assert paxos_label(Promise(Ballot(2, "p1"), Ballot(1, "p2"), "Y")) == "1b (1.p2,Y)"
    sim = leader_change()
    ax = log_grid(sim, ["n1", "n2", "n3"])
    assert "noop" in [t.get_text() for t in ax.texts]
    ax = ballot_timeline(duel("none", until=60))
    assert any("no decision" in t.get_text() for t in ax.texts)
    assert paxos_outputs(next(iter(sim.trace.outputs("decide")))).startswith("s")
    plt.close("all")
