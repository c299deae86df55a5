"""Replication strategies and conflict resolution (notebook 2.9).

References: Budhiraja et al. 1993 and Kleppmann 2017 ch. 5 (primary-backup, synchronous
and asynchronous replication, failover); van Renesse & Schneider 2004 (chain
replication, §2 and §3); DeCandia et al. 2007 (§4.4 vector clocks with siblings, §4.5
quorums, §4.6 sloppy quorum and hinted handoff); Lakshman & Malik 2010 (last writer
wins); Kingsbury 2013 (lost acknowledged writes found by a final read).
"""

from __future__ import annotations

import pytest

from distlab.clocks import VectorClock
from distlab.consistency import check_linearizable
from distlab.partitioning import HashRing
from distlab.replication import (ChainMaster, ChainServer, KVClient, Leader, LogClient,
                                 PrimaryBackupReplica, QuorumNode, Siblings, Stamped,
                                 check_cart, check_chain, check_multileader,
                                 check_primary_backup, check_quorum, judge_log,
                                 log_linearizable, log_model, lww, lww_all, new_clock,
                                 observed_only, stale_reads)
from distlab.replication.checks import _ops
from distlab.replication.experiments import chain_run, pb_run
from distlab.consistency import Op
from distlab.sim import Constant, Network, Simulation, Uniform

PB = ("n1", "n2", "n3")
CHAIN = ("s1", "s2", "s3")


def final(sim: Simulation) -> tuple:
    return [e.msg for e in sim.trace.outputs("final read")][0]


def history(sim: Simulation) -> list[tuple]:
    return [(e.process, e.type, e.f, e.value) for e in sim.history.events]


# --- primary-backup -----------------------------------------------------------------------

def pb(mode: str, failover: bool = False, seed: int = 3, slow_backups: bool = False):
    sim = Simulation(seed=seed, network=Network(latency=Uniform(2, 4)))
    sim.add_nodes(PB, PrimaryBackupReplica, replicas=PB, mode=mode, failover=failover)
    if slow_backups:
        for b in ("n2", "n3"):
            sim.network.set_link("n1", b, latency=Uniform(15, 20))
    return sim


def test_sync_acknowledges_only_after_every_backup_stored_the_entry():
    """Synchronous replication: the client's ok follows both backups' ReplicateOk."""
    sim = pb("sync")
    sim.add_node("c1", LogClient, servers=PB, reader="n1",
                 script=[(10, "append", 1), (30, "read", None)])
    sim.run(until=100)
    acks = [e.time for e in sim.trace.of_kind("deliver")
            if type(e.msg).__name__ == "ReplicateOk" and e.msg.match == 1]
    ok = next(e.time for e in sim.trace.of_kind("send") if type(e.msg).__name__ == "AppendOk")
    assert len(acks) >= 2 and ok >= sorted(acks)[1]
    assert ("c1", "ok", "read", (1,)) in history(sim)


def test_sync_without_failover_blocks_while_a_backup_is_down_and_loses_nothing():
    sim = pb("sync")
    sim.add_node("c1", LogClient, servers=PB, reader="n1", timeout=40, final_read_at=300,
                 script=[(10, "append", 1), (60, "append", 2)])
    sim.crash("n3", at=50)
    sim.restart("n3", at=150)
    sim.run(until=400)
    assert ("c1", "info", "append", 2) in history(sim)    # no answer while n3 was down
    assert final(sim) == (1, 2)                           # committed once n3 caught up
    assert judge_log(sim.history, final(sim))["linearizable"] == "linearizable"


def async_window(mode: str):
    sim = pb(mode, failover=True, slow_backups=True)
    sim.add_node("c1", LogClient, servers=PB, reader="n1", timeout=40, final_read_at=200,
                 script=[(10, "append", 1), (30, "append", 2), (60, "append", 3)])
    sim.crash("n1", at=68)       # just after append 3 is acknowledged
    sim.run(until=300)
    return sim


def test_async_a_crash_in_the_window_loses_an_acknowledged_append():
    """The primary acknowledged 3 and crashed before shipping it; n2 took over."""
    sim = async_window("async")
    assert ("c1", "ok", "append", 3) in history(sim)
    assert [e.msg for e in sim.trace.outputs("promote")] == [(1, 2)]
    verdict = judge_log(sim.history, final(sim))
    assert verdict["lost"] == [3] and verdict["linearizable"] == "not linearizable"


def test_sync_the_same_crash_loses_nothing():
    sim = async_window("sync")
    verdict = judge_log(sim.history, final(sim))
    assert verdict["lost"] == [] and verdict["linearizable"] == "linearizable"


def test_split_brain_with_failover_under_a_partition():
    """Both sides commit; the deposed primary's acknowledged append is discarded."""
    sim = pb("sync", failover=True, seed=2)
    sim.add_node("c1", LogClient, servers=PB, reader="n1", timeout=40, final_read_at=400,
                 script=[(10, "append", 1), (100, "append", 2), (130, "read", None)])
    sim.add_node("c2", LogClient, servers=("n2", "n3", "n1"), reader="n2", timeout=40,
                 final_read_at=400, script=[(150, "append", 3), (170, "read", None)])
    sim.partition(["n1", "c1"], ["n2", "n3", "c2"], at=50)
    sim.heal(at=250)
    sim.run(until=500)
    h = history(sim)
    assert ("c1", "ok", "read", (1, 2)) in h and ("c2", "ok", "read", (1, 3)) in h
    assert any(e.node == "n1" and [x.value for x in e.msg] == [2]
               for e in sim.trace.outputs("discard"))
    verdict = judge_log(sim.history, final(sim))
    assert verdict["lost"] == [2] and verdict["stale reads"] > 0


def test_a_restarted_primary_without_failover_resumes_from_its_durable_log():
    sim = pb_run(4, mode="async", failover=False)
    assert judge_log(sim.history, final(sim)) == {"linearizable": "linearizable", "lost": [],
                                                  "stale reads": 0}
    assert sim.trace.outputs("promote") == []


# --- chain replication --------------------------------------------------------------------

def chain(seed: int = 1, reads: str = "tail"):
    sim = Simulation(seed=seed, network=Network(latency=Uniform(2, 4)))
    sim.add_nodes(CHAIN, ChainServer, chain=CHAIN, reads=reads)
    sim.add_node("master", ChainMaster, chain=CHAIN)
    return sim


def test_chain_updates_enter_at_the_head_and_the_tail_answers():
    """§2: the head orders updates, the tail replies and serves queries."""
    sim = chain()
    sim.add_node("c1", LogClient, servers=CHAIN, writer="s3", reader="s1",
                 script=[(10, "append", 1), (40, "read", None)])
    sim.run(until=120)
    redirects = [e.node for e in sim.trace.of_kind("send") if type(e.msg).__name__ == "Redirect"]
    assert redirects == ["s3", "s1"]                  # wrong guesses are redirected
    assert {e.node for e in sim.trace.outputs("commit")} == {"s3"}
    assert ("c1", "ok", "read", (1,)) in history(sim)


def test_chain_middle_failure_predecessor_resends_its_sent_list():
    """§3: s2 crashes; s1 re-sends the update the tail never acknowledged to s3."""
    sim = chain()
    sim.add_node("c1", LogClient, servers=CHAIN, timeout=150, final_read_at=250,
                 script=[(10, "append", 1), (40, "append", 2)])
    sim.crash("s2", at=45)
    sim.run(until=400)
    reconfig = sim.trace.outputs("reconfigure")[0]
    assert reconfig.msg == (1, ("s1", "s3"))
    resent = [e for e in sim.trace.of_kind("send") if e.node == "s1" and e.peer == "s3"]
    assert resent and resent[0].time >= reconfig.time and resent[0].msg.start == 2
    assert ("c1", "ok", "append", 2) in history(sim) and final(sim) == (1, 2)


def test_chain_tail_failure_makes_the_predecessor_the_tail():
    sim = chain()
    sim.add_node("c1", LogClient, servers=CHAIN, timeout=150, final_read_at=300,
                 script=[(10, "append", 1), (40, "append", 2)])
    sim.crash("s3", at=41)
    sim.run(until=700)
    assert final(sim) == (1, 2)
    assert "s2" in {e.node for e in sim.trace.outputs("commit")}


def test_chain_is_linearizable_under_fail_stop_crashes_and_loss():
    for seed in range(5):
        sim = chain_run(seed, faults="crash")
        assert judge_log(sim.history, final(sim))["linearizable"] == "linearizable", seed


def test_a_removed_tail_cut_off_from_the_master_serves_stale_reads():
    """Outside the fail-stop model: the old tail never hears it was removed."""
    sim = chain()
    sim.add_node("c1", LogClient, servers=CHAIN, timeout=60, reader="s2",
                 script=[(10, "append", 1), (150, "append", 2), (200, "read", None)])
    sim.add_node("c2", LogClient, servers=CHAIN, timeout=60, reader="s3",
                 script=[(220, "read", None)])
    sim.partition(["s3", "c2"], ["s1", "s2", "master", "c1"], at=30)
    sim.run(until=400)
    h = history(sim)
    assert ("c1", "ok", "read", (1, 2)) in h and ("c2", "ok", "read", (1,)) in h
    assert not log_linearizable(_ops(sim.history))[0]


# --- leaderless quorums -------------------------------------------------------------------

DS = tuple(f"d{i}" for i in range(1, 6))
HOME = HashRing(DS, vnodes=8).preference_list("x", 3)


def quorum_partition(sloppy: bool):
    """The coordinator can reach one home replica of x (and two other nodes)."""
    sim = Simulation(seed=1, network=Network(latency=Uniform(2, 4)))
    for d in DS:
        sim.add_node(d, QuorumNode, nodes=DS, sloppy=sloppy)
    others = [d for d in DS if d not in HOME]
    sim.add_node("c1", KVClient, servers=DS, keys=("x",), ops=0, server=HOME[0])
    sim.add_node("c2", KVClient, servers=DS, keys=("x",), ops=0, server=HOME[1])
    sim.partition([HOME[0], *others, "c1"], [HOME[1], HOME[2], "c2"], at=5)
    sim.heal(at=150)
    sim.run(until=1)
    sim.at(10, sim.node("c1")._issue, "write", "x")
    sim.at(60, sim.node("c2")._issue, "read", "x")
    sim.at(200, sim.node("c2")._issue, "read", "x")
    sim.run(until=400)
    return sim


def test_strict_quorum_refuses_a_write_it_cannot_replicate_w_times():
    """§4.5: W = 2 home replicas are needed; only one is reachable."""
    h = history(quorum_partition(sloppy=False))
    assert ("c1", "info", "write", ("x", 1)) in h


def test_sloppy_quorum_accepts_with_hints_hands_off_and_reads_stale_meanwhile():
    """§4.6: stand-ins hold the write for the cut-off home replicas until the heal."""
    sim = quorum_partition(sloppy=True)
    h = history(sim)
    assert ("c1", "ok", "write", ("x", 1)) in h
    assert sorted(e.msg[1] for e in sim.trace.outputs("hint")) == sorted(HOME[1:])
    assert sorted(e.msg[1] for e in sim.trace.outputs("handoff")) == sorted(HOME[1:])
    reads = [v for p, t, f, v in h if p == "c2" and t == "ok" and f == "read"]
    assert reads == [(), (1,)]                # stale during the partition, then repaired
    assert len(stale_reads(_ops(sim.history))) == 1


def test_read_repair_updates_a_replica_that_answered_with_an_old_version():
    sim = Simulation(seed=2, network=Network(latency=Uniform(2, 4)))
    for d in DS:
        sim.add_node(d, QuorumNode, nodes=DS, r=3)
    sim.add_node("c1", KVClient, servers=DS, keys=("x",), ops=0, server=HOME[0])
    sim.cut(HOME[0], HOME[2], at=0)              # the write will not reach HOME[2] ...
    sim.heal(at=50)
    sim.run(until=1)
    sim.at(10, sim.node("c1")._issue, "write", "x")
    sim.at(80, sim.node("c1")._issue, "read", "x")
    sim.run(until=200)
    repairs = sim.trace.outputs("repair")
    assert [(e.msg[0], e.msg[1]) for e in repairs] == [("x", HOME[2])]
    assert sim.node(HOME[2]).data["x"].values == (1,)


def test_quorum_strict_sweep_no_stale_read_no_lost_update():
    for seed in range(100):
        assert check_quorum(seed, "strict") == [], f"seed={seed}"


def test_quorum_weak_settings_are_caught():
    for mode, prop in (("sloppy", "stale read"), ("r1w1", "stale read"),
                       ("lww-skew", "lost update")):
        assert any(v.property == prop for s in range(20) for v in check_quorum(s, mode)), \
            f"{mode}: no seed in 0..19 shows a {prop}"


# --- conflict resolution: LWW and siblings ------------------------------------------------

def leaders(resolution: str, skew: float = 0.0):
    sim = Simulation(seed=1, network=Network(latency=Constant(20)))
    sim.add_node("dc1", Leader, leaders=("dc1", "dc2"), resolution=resolution)
    sim.add_node("dc2", Leader, leaders=("dc1", "dc2"), resolution=resolution,
                 clock={"offset": -skew})
    sim.add_node("alice", KVClient, servers=("dc1", "dc2"), server="dc1", ops=0,
                 first_value=100)
    sim.add_node("bob", KVClient, servers=("dc1", "dc2"), server="dc2", ops=0,
                 first_value=200)
    sim.run(until=1)
    return sim


def test_lww_with_a_slow_clock_silently_drops_a_later_write():
    """Bob writes 40 units after Alice's write reached him, from a clock 100 behind."""
    sim = leaders("lww", skew=100)
    sim.at(10, sim.node("alice")._issue, "write", "x")
    sim.at(70, sim.node("bob")._issue, "write", "x")
    sim.at(200, sim.node("bob")._issue, "read", "x")
    sim.run(until=300)
    h = history(sim)
    alice_value = next(v for p, t, f, v in h if p == "alice" and f == "write")[1]
    assert ("bob", "ok", "read", (alice_value,)) in h
    assert sorted((e.node, e.msg) for e in sim.trace.outputs("discard")) == [
        ("dc1", ("x", 200)), ("dc2", ("x", 200))]
    assert len(stale_reads(_ops(sim.history))) == 1


def test_siblings_keep_concurrent_writes_and_a_reconciling_write_replaces_them():
    sim = leaders("siblings")
    sim.at(10, sim.node("alice")._issue, "write", "x")
    sim.at(12, sim.node("bob")._issue, "write", "x")
    sim.at(100, sim.node("bob")._issue, "read", "x")
    sim.at(150, sim.node("bob")._issue, "write", "x")       # with the context it read
    sim.at(250, sim.node("alice")._issue, "read", "x")
    sim.run(until=300)
    reads = [v for p, t, f, v in history(sim) if t == "ok" and f == "read"]
    assert len(reads[0]) == 2 and len(reads[1]) == 1
    assert [e.msg[0] for e in sim.trace.outputs("conflict")] == ["x", "x"]


def test_lww_and_siblings_rules():
    a, b = Stamped("a", (5.0, "n1")), Stamped("b", (5.0, "n2"))
    assert lww(a, b) is b and lww(b, a) is b and lww(None, a) is a and lww_all([a, None, b]) is b
    v = Siblings().put("milk", VectorClock(), "alice")
    both = v.put("eggs", v.context, "alice").merge(v.put("tea", v.context, "bob"))
    assert both.values == ("eggs", "tea") and both.context == VectorClock({"alice": 2, "bob": 1})
    assert both.reconcile(lambda vals: " + ".join(vals)) == "eggs + tea"
    assert new_clock(VectorClock({"a": 1}), "b", 5) == VectorClock({"a": 1, "b": 5})
    with pytest.raises(ValueError, match="larger than"):
        new_clock(VectorClock({"b": 5}), "b", 3)


def test_multileader_sweeps():
    for seed in range(100):
        assert check_multileader(seed, "siblings") == [], f"seed={seed}"
    assert any(v.property == "lost update" for s in range(30)
               for v in check_multileader(s, "lww-skew"))


# --- the log checker ----------------------------------------------------------------------

def test_the_fast_log_checker_agrees_with_the_general_search():
    verdicts = []
    for seed in range(12):
        for sim in (pb_run(seed, mode="async", failover=True, ops=5),
                    chain_run(seed, faults="partition", ops=5)):
            ops = _ops(sim.history)
            fast = log_linearizable(ops)[0]
            slow = check_linearizable(observed_only(ops), log_model(), max_steps=2_000_000)
            assert slow.verdict != "unknown"
            assert fast == (slow.verdict == "linearizable"), f"seed={seed}"
            verdicts.append(fast)
    assert True in verdicts and False in verdicts


def test_stale_reads_on_a_small_history():
    w1 = Op(0, "p1", "write", ("x", 1), None, 0, 1)
    w2 = Op(1, "p1", "write", ("x", 2), None, 2, 3)
    fresh = Op(2, "p2", "read", "x", (2,), 4, 5)
    stale = Op(3, "p2", "read", "x", (1,), 6, 7)
    concurrent = Op(4, "p3", "read", "x", (1,), 2.5, 8)
    assert stale_reads([w1, w2, fresh, stale, concurrent]) == [(w2, stale)]


# --- seed sweeps --------------------------------------------------------------------------

def test_primary_backup_without_failover_sweep():
    for mode in ("sync", "async"):
        for seed in range(100):
            assert check_primary_backup(seed, mode) == [], f"seed={seed} mode={mode}"


def test_primary_backup_failover_loses_acknowledged_appends_on_some_seeds():
    for mode in ("sync-failover", "async-failover"):
        assert any(v.property == "lost acknowledged appends" for s in range(15)
                   for v in check_primary_backup(s, mode)), \
            f"{mode}: no seed in 0..14 lost an acknowledged append"


def test_chain_sweeps():
    for seed in range(100):
        assert check_chain(seed, "crash") == [], f"seed={seed}"
    assert any(check_chain(s, "partition") for s in range(40))


def test_cart_sweep_is_importable_from_replication():
    assert check_cart(0) == []


# --- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, text", [
    (lambda: PrimaryBackupReplica(PB, mode="semi"), ValueError, "mode must be one of"),
    (lambda: PrimaryBackupReplica("n1"), TypeError, "not a string"),
    (lambda: ChainServer(CHAIN, reads="head"), ValueError, "reads must be one of"),
    (lambda: QuorumNode(DS, n=6), ValueError, "at least 6 nodes"),
    (lambda: QuorumNode(DS, r=4), ValueError, "at most n"),
    (lambda: QuorumNode(DS, versions="crdt"), ValueError, "versions must be one of"),
    (lambda: Leader(("a", "b"), resolution="merge"), ValueError, "resolution must be"),
    (lambda: LogClient(PB, script=[(1, "write", 3)]), ValueError, "script step"),
    (lambda: LogClient(PB, reader="n9"), ValueError, "not one of servers"),
    (lambda: KVClient(PB, server="n9"), ValueError, "not one of servers"),
    (lambda: check_quorum(0, "eventual"), ValueError, "mode must be one of"),
])
def test_bad_arguments_are_named(call, error, text):
    with pytest.raises(error, match=text):
        call()
