"""Replicated registers judged by the linearizability checker (Attiya, Bar-Noy & Dolev
1995; etcd's stale reads, Kingsbury 2014)."""

from __future__ import annotations

import pytest

from distlab.consistency import check_linearizable, models
from distlab.registers import ABDReplica, ScriptedClient, build
from distlab.sim import Constant, Exponential, FaultPlan, Network, Simulation

REG = models.register()
FAULTS = FaultPlan(loss=0.05, duplicate=0.05, crash_every=150, restart_after=(20, 60),
                   max_crashed=1)


def run(scheme: str, seed: int, faults: bool = True, timeout: float = 60.0) -> Simulation:
    sim = build(scheme, seed=seed, clients=4, ops=8, timeout=timeout,
                network=Network(latency=Exponential(6, 1)))
    if faults:
        sim.apply(FAULTS, until=1500)
    sim.run(until=3000)
    return sim


@pytest.mark.parametrize("scheme", ["abd", "primary"])
def test_linearizable_under_loss_duplication_and_crashes(scheme):
    failures = [seed for seed in range(60)
                if not check_linearizable(run(scheme, seed).history, REG).linearizable]
    assert not failures, f"{scheme}: non-linearizable histories for seeds {failures}"


def test_reads_served_locally_are_stale():
    stale = [seed for seed in range(60)
             if not check_linearizable(run("local-reads", seed).history, REG).linearizable]
    assert len(stale) >= 3, stale


def test_histories_complete_when_the_network_is_healthy():
    # Exponential delays have a long tail: give clients time to hear back.
    sim = run("abd", seed=1, faults=False, timeout=1000.0)
    ops = sim.history.operations()
    assert len(ops) == 4 * 8 and all(op.status == "ok" for op in ops)


def new_old_inversion(write_back: bool) -> Simulation:
    """c1 writes through n1, whose Store messages to n2 and n3 are slow; c2 then reads
    through n1 (which has the new value) and, after that, c3 reads through n3."""
    ids = ("n1", "n2", "n3")
    sim = Simulation(seed=0, network=Network(latency=Constant(1.0)))
    for r in ids:
        sim.add_node(r, ABDReplica, replicas=ids, write_back=write_back)
    sim.add_node("c1", ScriptedClient, target="n1", script=[(0.0, ("write", 1))])
    sim.add_node("c2", ScriptedClient, target="n1", script=[(5.0, "read")])
    sim.add_node("c3", ScriptedClient, target="n3", script=[(12.0, "read")])
    from distlab.registers.messages import Store

    def slow_stores(env):  # n1's phase-2 messages to the other replicas crawl
        if isinstance(env.msg, Store) and env.src == "n1" and env.dst != "n1" \
                and env.msg.value == 1 and env.send_time < 4:
            return type(env)(env.src, env.dst, env.msg, env.msg_id, env.send_time, 40.0)
        return None

    sim.network.add_hook(slow_stores)
    # n1's answers to n3 are slow too, so n3's read hears from n2 first.
    sim.network.set_link("n1", "n3", latency=Constant(30.0), symmetric=False)
    sim.run(until=200)
    return sim


def test_without_write_back_a_later_read_sees_an_older_value():
    sim = new_old_inversion(write_back=False)
    reads = [(op.process, op.output) for op in sim.history.operations() if op.f == "read"]
    assert reads == [("c2", 1), ("c3", None)]
    r = check_linearizable(sim.history, REG)
    assert not r.linearizable
    assert [op.process for op in r.unplaceable] == ["c3"]


def test_write_back_prevents_the_inversion():
    sim = new_old_inversion(write_back=True)
    reads = [(op.process, op.output) for op in sim.history.operations() if op.f == "read"]
    assert reads == [("c2", 1), ("c3", 1)]
    assert check_linearizable(sim.history, REG).linearizable


def test_build_validates():
    with pytest.raises(ValueError, match="scheme must be one of"):
        build("raft", seed=0)
    with pytest.raises(ValueError, match="replicas must be a positive int"):
        build("abd", seed=0, replicas=0)
