"""The distributed-counter project (notebook 1.5): four designs, judged by their traces.

References: the lost update (Kleppmann 2017, ch. 7); Lamport timestamps (Lamport 1978,
IR1/IR2) ordering a replicated operation log; state-based CRDT counters gossiped by
anti-entropy (Shapiro et al. 2011, §2.2; RR-7506 §3.1.2-3.1.3); last-writer-wins
(RR-7506 §3.2.1). Three tiers: scenarios, a golden trace, seed sweeps under FaultPlan.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from distlab.clocks import LamportTimestamp
from distlab.counter import (Ack, Convergence, CounterClient, CRDTCounterReplica, Increment,
                             LWWCounterReplica, OpLogReplica, ReadModifyWriteClient,
                             RegisterServer, Update, acknowledged, build_counter,
                             check_convergence, final_values, lost_updates, run_counter,
                             uncertain)
from distlab.crdt import GCounter
from distlab.exercises import CheckFailed
from distlab.exercises.counter import check_gcounter_merge, check_pn_value
from distlab.sim import Constant, FaultPlan, Network, Simulation

CHAOS = FaultPlan(loss=0.2, duplicate=0.1, reorder=0.1,
                  partition_every=60, partition_duration=(20, 80),
                  crash_every=50, restart_after=(10, 40), max_crashed=1)


def exact_network():
    return Network(latency=Constant(1.0))


# --- (a) the naive read-modify-write counter --------------------------------------------------

def naive_race(seed: int = 1) -> Simulation:
    """c1 and c2 both read 0 before either writes: the classic lost update."""
    sim = Simulation(seed=seed, network=exact_network())
    sim.add_node("s", RegisterServer)
    sim.add_node("c1", ReadModifyWriteClient, server="s", ops=1, think=Constant(5))
    sim.add_node("c2", ReadModifyWriteClient, server="s", ops=1, think=Constant(5.5))
    sim.run(until=20)
    return sim


GOLDEN_NAIVE = """\
0.000000 output s 0 [value]
6.000000 deliver s <-c1 #1 Get(op='c1.1')
6.500000 deliver s <-c2 #2 Get(op='c2.1')
7.000000 deliver c1 <-s #3 Value(op='c1.1', value=0)
7.500000 deliver c2 <-s #4 Value(op='c2.1', value=0)
8.000000 deliver s <-c1 #5 Put(op='c1.1', value=1)
8.000000 output s 1 [value]
8.500000 deliver s <-c2 #6 Put(op='c2.1', value=1)
8.500000 output s 1 [value]
9.000000 deliver c1 <-s #7 PutOk(op='c1.1')
9.500000 deliver c2 <-s #8 PutOk(op='c2.1')"""


def test_golden_trace_of_the_lost_update():
    """Golden trace (tier 2). To regenerate on purpose, print
    ``naive_race().trace.dump(kinds=["deliver", "output"])`` and paste it here."""
    assert naive_race().trace.dump(kinds=["deliver", "output"]) == GOLDEN_NAIVE


def test_two_acknowledged_increments_one_lost_and_named():
    """Both clients got PutOk, the register holds 1, and c1's increment is the lost one,
    overwritten by c2's write whose read saw the initial 0."""
    sim = naive_race()
    report = lost_updates(sim)
    assert acknowledged(sim.history) == 2
    assert final_values(sim.trace, ["s"]) == {"s": 1}
    assert report.acknowledged == ("c1.1", "c2.1")
    assert report.counted == ("c2.1",) and report.lost == ("c1.1",)
    assert report.overwritten_by == {"c1.1": "c2.1"} and report.read["c2.1"] is None
    assert "c1.1 lost: overwritten by c2.1, whose read saw the initial 0" in report.describe()


def test_sequential_increments_lose_nothing():
    sim = Simulation(seed=1, network=exact_network())
    sim.add_node("s", RegisterServer)
    sim.add_node("c1", ReadModifyWriteClient, server="s", ops=3, think=Constant(5))
    sim.add_node("c2", ReadModifyWriteClient, server="s", ops=0)
    sim.run(until=100)
    report = lost_updates(sim)
    assert report.lost == () and report.final == 3 == final_values(sim.trace, ["s"])["s"]
    assert report.describe() == "no increment lost"


def test_lineage_accounts_for_every_acknowledged_increment_over_seeds():
    """The lineage analysis agrees with the register: final value = increments counted,
    and counted + lost = acknowledged; concurrency makes some seeds lose updates."""
    losing = 0
    for seed in range(60):
        run = run_counter("naive", seed, ops=3, fault_until=0)
        report = lost_updates(run.sim)
        final = final_values(run.sim.trace, ["s"])["s"]
        assert report.final == final == len(report.counted), f"seed={seed}"
        assert sorted(report.counted + report.lost) == sorted(report.acknowledged), f"seed={seed}"
        assert len(report.acknowledged) == 9, f"seed={seed}"
        losing += bool(report.lost)
    assert losing > 30


def test_lost_updates_refuses_what_it_cannot_judge():
    sim = naive_race()
    with pytest.raises(ValueError, match="does not appear"):
        lost_updates(sim, server="zz")
    with pytest.raises(TypeError, match="history"):
        lost_updates(sim.trace)
    with pytest.raises(TypeError):
        lost_updates("trace")
    dup = Simulation(seed=1, network=Network(latency=Constant(1.0), duplicate=1.0))
    dup.add_node("s", RegisterServer)
    dup.add_node("c1", ReadModifyWriteClient, server="s", ops=1, think=Constant(1))
    dup.run(until=20)
    with pytest.raises(ValueError, match="delivered twice"):
        lost_updates(dup)


# --- last writer wins -----------------------------------------------------------------------

def test_lww_converges_but_loses_a_concurrent_increment():
    """r1 and r2 both write 1 concurrently; the later stamp wins everywhere: 1, not 2."""
    sim = Simulation(seed=1, network=exact_network())
    for r in ("r1", "r2"):
        sim.add_node(r, LWWCounterReplica, replicas=("r1", "r2"), gossip_every=10)
    sim.add_node("c1", CounterClient, replica="r1", ops=1, think=Constant(2))
    sim.add_node("c2", CounterClient, replica="r2", ops=1, think=Constant(2))
    sim.run(until=60)
    verdict = check_convergence(sim, ["r1", "r2"])
    assert verdict.expected == 2 and verdict.converged
    assert verdict.values == {"r1": 1, "r2": 1}
    winner = sim.node("r1").crdt.ts                      # one write's stamp, everywhere
    assert sim.node("r2").crdt.ts == winner and winner.node in ("r1", "r2")
    assert not verdict.correct and "wrong value" in verdict.problem()


def test_lww_loses_increments_on_most_seeds():
    wrong = [s for s in range(30) if not run_counter("lww", s).check().correct]
    assert len(wrong) >= 25
    assert all(run_counter("lww", s).check().converged for s in range(10))


# --- (b) the Lamport-ordered operation log -----------------------------------------------------

def test_oplog_replicas_hold_the_same_log_in_timestamp_order():
    """Lamport 1978: stamps (time, replica) are unique and totally ordered, so replicas
    that hold the same operations hold them in the same order, however they arrived."""
    for seed in range(20):
        run = run_counter("oplog", seed)
        logs = [run.sim.node(r).log for r in run.replicas]
        assert logs[0] == logs[1] == logs[2], f"seed={seed}"
        stamps = [e.ts for e in logs[0]]
        assert stamps == sorted(stamps) and len(set(stamps)) == 15, f"seed={seed}"
        assert run.check().correct, run.check().problem()


def test_oplog_without_retransmission_diverges_under_loss():
    """What breaks without reliable delivery: an operation lost on the way to a peer is
    never repaired, so replicas disagree for good."""
    verdicts = [run_counter("oplog-unreliable", s, plan=FaultPlan(loss=0.2)).check()
                for s in range(20)]
    assert sum(not v.converged for v in verdicts) >= 15
    assert all(run_counter("oplog-unreliable", s).check().correct for s in range(5))


def test_oplog_with_retransmission_converges_under_loss():
    for seed in range(40):
        verdict = run_counter("oplog", seed, plan=FaultPlan(loss=0.3, duplicate=0.1)).check()
        assert verdict.correct, verdict.problem()


def oplog_pair(durable: bool) -> Simulation:
    sim = Simulation(seed=1, network=exact_network())
    for r in ("r1", "r2"):
        sim.add_node(r, OpLogReplica, replicas=("r1", "r2"), durable=durable)
    sim.add_node("c1", CounterClient, replica="r1", ops=2, think=Constant(10))
    return sim


def test_oplog_clock_is_restored_from_the_log_after_a_restart():
    """r1 stamps (1, r1), crashes, restarts: its next stamp must be later, not (1, r1)."""
    sim = oplog_pair(durable=True)
    sim.crash("r1", at=15)
    sim.restart("r1", at=16)
    sim.run(until=100)
    stamps = [e.ts for e in sim.node("r2").log]
    assert stamps == [LamportTimestamp(1, "r1"), LamportTimestamp(2, "r1")]
    assert check_convergence(sim, ["r1", "r2"]).correct


def test_a_forgetful_oplog_replica_reuses_a_stamp_and_its_increment_is_dropped():
    """Without durable state the clock restarts at 0: the second increment is stamped
    (1, r1) again, r2 takes it for a duplicate, and the replicas disagree."""
    sim = oplog_pair(durable=False)
    sim.crash("r1", at=15)
    sim.restart("r1", at=16)
    sim.run(until=100)
    assert [e.ts for e in sim.node("r2").log] == [LamportTimestamp(1, "r1")]
    assert final_values(sim.trace, ["r1", "r2"]) == {"r1": 1, "r2": 1}
    assert acknowledged(sim.history) == 2


def test_oplog_origin_resends_its_operations_after_a_restart():
    """r2 is cut off when r1 applies an increment; r1 crashes (its unacked set is lost)
    and restarts; after the heal, r1 resends everything it originated."""
    sim = oplog_pair(durable=True)
    sim.partition(["r1", "c1"], ["r2"], at=5)
    sim.crash("r1", at=30)
    sim.restart("r1", at=31)
    sim.heal(at=40)
    sim.run(until=120)
    assert len(sim.node("r2").log) == 2
    assert check_convergence(sim, ["r1", "r2"]).correct
    resent = [e for e in sim.trace.of_kind("send") if isinstance(e.msg, Update) and e.time >= 31]
    assert resent, "r1 should resend its operations after restarting"


# --- (c) CRDT replicas: the seed sweeps --------------------------------------------------------

@pytest.mark.parametrize("kind, decrement", [("pncounter", 0.3), ("gcounter", 0.0)])
def test_crdt_counter_converges_to_the_acknowledged_total_under_chaos(kind, decrement):
    """Loss, duplication, reordering, partitions, crashes with restarts until t=150;
    after the heal and a few gossip rounds every replica reports the acknowledged total
    (increments minus decrements, from the history). Checked over many seeds."""
    failures = []
    for seed in range(250 if kind == "pncounter" else 60):
        run = run_counter(kind, seed, plan=CHAOS, decrement=decrement)
        verdict = run.check()
        assert verdict.uncertain == 0, f"seed={seed}: clients did not finish"
        if not verdict.correct:
            failures.append(verdict.problem())
    assert not failures, "\n".join(failures)


def test_the_chaos_plan_really_injects_every_fault():
    stats = {}
    for seed in range(20):
        for k, v in run_counter("pncounter", seed, plan=CHAOS, decrement=0.3).sim.stats.items():
            stats[k] = stats.get(k, 0) + v
    for kind in ("crashes", "restarts", "partitions", "dropped_loss", "duplicated",
                 "dropped_partition", "dropped_crashed"):
        assert stats.get(kind, 0) > 0, kind


def test_crdt_counter_with_faulty_replicas_only_converges_too():
    for seed in range(40):
        verdict = run_counter("pncounter", seed, plan=CHAOS, decrement=0.3,
                              faulty="replicas").check()
        assert verdict.correct, verdict.problem()


def test_duplicated_requests_are_applied_once():
    """Every client request is delivered twice; the replica's (client, seq) table makes
    the second copy a re-ack, not a second increment."""
    run = build_counter("gcounter", 1, replicas=2, clients=2, ops=4)
    run.sim.network.set_link("c1", "r1", duplicate=1.0)
    run.sim.network.set_link("c2", "r2", duplicate=1.0)
    run.sim.run(until=400)
    assert run.sim.stats["duplicated"] >= 8
    assert run.check().correct and run.check().expected == 8


def test_a_g_counter_refuses_decrements():
    sim = Simulation(seed=1)
    sim.add_node("r1", CRDTCounterReplica, replicas=("r1",), crdt="g")
    sim.add_node("c1", CounterClient, replica="r1", ops=3, decrement=1.0)
    sim.run(until=300)
    assert [o.status for o in sim.history.operations()] == ["fail"] * 3
    assert final_values(sim.trace, ["r1"]) == {"r1": 0}


def forgetful(durable: bool, reincarnate: bool = False):
    """r1 acks three increments (gossiped to r2), the third ack is lost, r1 crashes and
    restarts cut off from r2; c1 retries the third and makes two more."""
    run = build_counter("gcounter", seed=1, replicas=2, clients=1, ops=5, think=Constant(10),
                        network=Network(latency=Constant(2)), gossip_every=10, durable=durable,
                        reincarnate=reincarnate)
    sim = run.sim
    dropped = []

    def lose_third_ack(env):
        if isinstance(env.msg, Ack) and env.msg.seq == 3 and not dropped:
            dropped.append(env)
            return False
        return None

    sim.network.add_hook(lose_third_ack)
    sim.crash("r1", at=55)
    sim.partition(["r1", "c1"], ["r2"], at=55)
    sim.restart("r1", at=60)
    sim.heal(at=120)
    sim.run(until=160)
    return run


def test_durable_state_counts_every_increment_once():
    run = forgetful(durable=True)
    assert run.check().correct
    assert run.sim.node("r2").crdt == GCounter({"r1": 5})


def test_a_replica_that_forgets_and_keeps_its_entry_loses_increments():
    """Its new counts 1..3 hide under the 3 that r2 remembers for r1: 2 increments lost."""
    run = forgetful(durable=False)
    verdict = run.check()
    assert verdict.converged and verdict.values["r1"] == 3 and verdict.expected == 5
    assert run.sim.node("r2").crdt == GCounter({"r1": 3})


def test_a_replica_that_forgets_and_takes_a_fresh_entry_double_counts_the_retry():
    run = forgetful(durable=False, reincarnate=True)
    verdict = run.check()
    assert verdict.converged and verdict.values["r1"] == 6 and verdict.expected == 5
    assert run.sim.node("r2").crdt == GCounter({"r1": 3, "r1~1": 3})


def test_without_durable_state_random_runs_both_lose_and_double_count():
    outcomes = set()
    for seed in range(80):
        verdict = run_counter("gcounter", seed, plan=CHAOS, durable=False).check()
        if verdict.converged and not verdict.correct:
            value = verdict.values["r1"]
            outcomes.add("lost" if value < verdict.expected else "double")
    assert outcomes == {"lost", "double"}


# --- checks and the client ------------------------------------------------------------------------

def test_uncertain_operations_widen_the_acceptable_range():
    sim = Simulation(seed=1)
    sim.add_node("r1", CRDTCounterReplica, replicas=("r1",))
    sim.add_node("c1", CounterClient, replica="r1", ops=2, think=Constant(5))
    sim.crash("r1", at=0.5)              # the client's requests go nowhere
    sim.run(until=50)
    assert len(uncertain(sim.history)) == 1 and acknowledged(sim.history) == 0
    verdict = check_convergence(sim, ["r1"])
    assert (verdict.low, verdict.high) == (0, 1)
    assert verdict.correct and verdict.problem() is None      # 0 is allowed: never applied
    disagree = Convergence(seed=9, expected=2, low=2, high=2, values={"r1": 1, "r2": 2},
                           uncertain=0)
    assert disagree.problem() == ("seed=9: replicas disagree: r1=1, r2=2; "
                                  "acknowledged total 2")
    silent = Convergence(seed=3, expected=0, low=0, high=0, values={"r1": None}, uncertain=0)
    assert not silent.converged


def test_a_restarted_client_keeps_retrying_its_open_operation():
    run = build_counter("pncounter", 2, replicas=1, clients=1, ops=3, think=Constant(5),
                        network=exact_network())
    run.sim.partition(["c1"], ["r1"], at=5.5)
    run.sim.crash("c1", at=10)
    run.sim.restart("c1", at=12)
    run.sim.heal(at=20)
    run.sim.run(until=200)
    ops = run.sim.history.operations()
    assert [o.status for o in ops] == ["ok"] * 3
    assert run.check().correct and run.check().expected == 3


def test_designs_are_compared_on_the_same_workload():
    rows = {k: run_counter(k, 7).summary() for k in ("naive", "lww", "oplog", "gcounter")}
    assert {r["acknowledged"] for r in rows.values()} == {15}
    assert rows["oplog"]["correct"] and rows["gcounter"]["correct"]
    assert rows["oplog"]["state size"] == 15 and rows["gcounter"]["state size"] == 3
    assert rows["naive"]["replica messages"] == 0 and rows["lww"]["state size"] == 2


# --- argument checks ------------------------------------------------------------------------------

def test_arguments_are_checked():
    with pytest.raises(ValueError, match="kind"):
        build_counter("nope", 1)
    with pytest.raises(ValueError, match="G-Counter"):
        build_counter("gcounter", 1, decrement=0.5)
    with pytest.raises(ValueError, match="naive"):
        run_counter("naive", 1, plan=CHAOS)
    with pytest.raises(ValueError, match="faulty"):
        run_counter("gcounter", 1, faulty="some")
    with pytest.raises(TypeError, match="replicas"):
        CRDTCounterReplica("r1")
    with pytest.raises(ValueError, match="crdt"):
        CRDTCounterReplica(("r1",), crdt="or-set")
    with pytest.raises(ValueError, match="gossip_every"):
        CRDTCounterReplica(("r1",), gossip_every=0)
    with pytest.raises(ValueError, match="ops"):
        CounterClient("r1", ops=-1)
    with pytest.raises(ValueError, match="decrement"):
        CounterClient("r1", decrement=2)
    with pytest.raises(TypeError, match="retransmit"):
        OpLogReplica(("r1",), retransmit="yes")
    with pytest.raises(TypeError, match="history"):
        acknowledged([])
    assert Increment(1) == Increment(1, 1)


def test_core_does_not_import_pictures():
    code = ("import sys, distlab.crdt, distlab.counter, distlab.exercises.counter\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# --- the notebook's pictures, explorer and exercise checks -------------------------------------------

def test_pictures_and_explorer_run():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from distlab import viz
    from distlab.viz.counter import counter_label, mark_lost, values_over_time
    from distlab.widgets import Explorer

    sim = naive_race()
    ax = viz.spacetime(sim, label=counter_label)
    mark_lost(ax, sim, lost_updates(sim).lost)
    assert any(t.get_text() == "c1.1 lost" for t in ax.texts)
    run = run_counter("pncounter", 4, plan=CHAOS, decrement=0.3)
    ax = values_over_time(run.sim, run.replicas)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["acknowledged", "r1", "r2", "r3"]
    plt.close("all")
    explorer = Explorer(lambda seed: build_counter("pncounter", seed, ops=2).sim, seed=1)
    explorer.advance(40)
    explorer.crash("r2")
    explorer.partition("r1,c1 | r2,r3,c2,c3")
    explorer.advance(40)
    explorer.heal()
    explorer.restart("r2")
    explorer.advance(200)
    assert not explorer.error
    rows = {row["node"]: row for row in explorer.state_rows()}
    assert rows["r1"]["value"] == rows["r2"]["value"] == rows["r3"]["value"]


def test_exercise_checks_accept_the_solution_and_explain_mistakes():
    check_gcounter_merge(lambda a, b: {r: max(a.get(r, 0), b.get(r, 0)) for r in {**a, **b}})
    check_pn_value(lambda P, N: sum(P.values()) - sum(N.values()))
    with pytest.raises(CheckFailed, match="you added the two counts"):
        check_gcounter_merge(lambda a, b: {r: a.get(r, 0) + b.get(r, 0) for r in {**a, **b}})
    with pytest.raises(CheckFailed, match="only the second argument"):
        check_gcounter_merge(lambda a, b: {r: max(a[r], b.get(r, 0)) for r in a})
    with pytest.raises(CheckFailed, match="changed its argument"):
        check_gcounter_merge(lambda a, b: (a.update(b), a)[1])
    with pytest.raises(CheckFailed, match="not written yet"):
        check_gcounter_merge(lambda a, b: (_ for _ in ()).throw(NotImplementedError()))
    with pytest.raises(CheckFailed, match="subtract"):
        check_pn_value(lambda P, N: sum(P.values()) + sum(N.values()))
    with pytest.raises(CheckFailed, match="only in N"):
        check_pn_value(lambda P, N: sum(P.get(r, 0) - N.get(r, 0) for r in P))
