"""Bad input gets a clear ValueError/TypeError at the call site; histories pair up."""

from __future__ import annotations

import random

import pytest

from distlab.sim import (Constant, FaultPlan, History, Network, Node, PhysicalClock,
                         Simulation, Uniform, check_random_state)


def sim_with(*ids: str) -> Simulation:
    sim = Simulation(seed=0)
    sim.add_nodes(list(ids), Node)
    return sim


@pytest.mark.parametrize("call, error, message", [
    (lambda: Simulation(seed=None), TypeError, "None is not allowed"),
    (lambda: Simulation(seed="1"), TypeError, "seed must be an int"),
    (lambda: Simulation(network="fast"), TypeError, "network must be"),
    (lambda: Network(loss=1.5), ValueError, "loss must be <= 1"),
    (lambda: Network(latency=-1), ValueError, "non-negative"),
    (lambda: Network(latency="slow"), TypeError, "delay distribution"),
    (lambda: Network(fifo="yes"), TypeError, "fifo must be True or False"),
    (lambda: Uniform(5, 1), ValueError, "low <= high"),
    (lambda: FaultPlan(partition_mode="everything"), ValueError, "partition_mode must be one of"),
    (lambda: FaultPlan(crash_every=0), ValueError, "crash_every must be > 0"),
    (lambda: FaultPlan(max_crashed=-1), ValueError, "max_crashed must be >= 0"),
    (lambda: PhysicalClock(drift=2), ValueError, "drift must be <= 0.5"),
    (lambda: check_random_state(1.5), TypeError, "seed must be an int"),
])
def test_constructors_validate(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_simulation_calls_name_the_bad_argument():
    sim = sim_with("n1", "n2")
    with pytest.raises(ValueError, match=r"node_id='n3' is not a node .* known nodes: 'n1', 'n2'"):
        sim.crash("n3")
    with pytest.raises(TypeError, match="node id"):
        sim.crash(3)
    with pytest.raises(ValueError, match="already a node"):
        sim.add_node("n1", Node)
    with pytest.raises(TypeError, match="factory must be"):
        sim.add_node("n9", "Node")
    with pytest.raises(ValueError, match="clock dict keys"):
        sim.add_node("n9", Node, clock={"skew": 1})
    with pytest.raises(TypeError, match="list of node ids, got the string"):
        sim.partition("n1", ["n2"])
    with pytest.raises(ValueError, match="appears in two partition groups"):
        sim.partition(["n1"], ["n1", "n2"])
    with pytest.raises(ValueError, match="in the past"):
        sim.run(until=5)
        sim.run(until=1)
    with pytest.raises(ValueError, match="is up; crash it before"):
        sim.restart("n1")
    with pytest.raises(TypeError, match="must be a distlab.sim.FaultPlan"):
        sim.apply({"loss": 0.1}, until=10)
    with pytest.raises(TypeError, match="returned 42, which is not a distlab.sim.Node"):
        sim.add_node("bad", lambda: 42)


def test_node_calls_validate_inside_handlers():
    class Wrong(Node):
        def on_start(self):
            self.send("nobody", "x")

    sim = Simulation(seed=0)
    sim.add_node("a", Wrong)
    with pytest.raises(Exception) as info:
        sim.run(until=1)
    assert "dst='nobody' is not a node" in str(info.value.__cause__)

    class NegativeTimer(Node):
        def on_start(self):
            self.set_timer(-1)

    sim = Simulation(seed=0)
    sim.add_node("a", NegativeTimer)
    with pytest.raises(Exception) as info:
        sim.run(until=1)
    assert "delay must be >= 0" in str(info.value.__cause__)


def test_history_pairs_operations_and_marks_unknown_outcomes():
    h = History()
    h.invoke("c1", "write", 1, 0.0)
    h.invoke("c2", "read", None, 1.0)
    h.ok("c1", "write", 1, 2.0)
    h.info("c2", "read", None, 3.0)          # timed out: unknown outcome
    h.invoke("c1", "cas", (1, 2), 4.0)       # never completes: pending
    ops = h.operations()
    assert [(o.process, o.f, o.status) for o in ops] == [
        ("c1", "write", "ok"), ("c2", "read", "info"), ("c1", "cas", "pending")]
    assert ops[0].ret == 2.0 and ops[1].ret is None and ops[2].ret is None
    with pytest.raises(ValueError, match="while its operation at index 4 was still open"):
        h.invoke("c1", "read", None, 5.0)
        h.operations()
    with pytest.raises(ValueError, match="time order"):
        History().invoke("c", "r", None, 2.0) and None or h.invoke("c9", "r", None, 0.5)


def test_random_state_accepts_a_generator():
    rng = random.Random(5)
    assert check_random_state(rng) is rng
    a = Simulation(seed=random.Random(5))
    b = Simulation(seed=random.Random(5))
    assert a.seed == b.seed


def test_network_settings_are_checked_after_construction_too():
    net = Network(latency=Constant(1))
    with pytest.raises(ValueError, match="duplicate must be <= 1"):
        net.duplicate = 3
    net.loss = 0.5
    assert not net._simple
    net.loss = 0.0
    assert net._simple


def test_a_network_belongs_to_one_simulation():
    net = Network()
    Simulation(seed=0, network=net)
    with pytest.raises(ValueError, match="already belongs to another Simulation"):
        Simulation(seed=1, network=net)


def test_a_crash_only_plan_leaves_the_networks_loss_alone():
    class Talker(Node):
        def on_start(self):
            self.set_timer(1.0, "t")

        def on_timer(self, name, payload):
            self.send(self.peers[0], "x")
            self.set_timer(1.0, "t")

    sim = Simulation(seed=0, network=Network(loss=0.5))
    sim.add_nodes(["a", "b"], Talker)
    sim.apply(FaultPlan(crash_every=1000.0), until=200)
    sim.run(until=200)
    assert sim.stats["dropped_loss"] > 100   # the network's own loss still applies
    assert sim.network.loss == 0.5


def test_state_tables_show_protocol_state_not_runtime_attributes():
    class Counter(Node):
        def __init__(self):
            self.count = 0

    sim = Simulation(seed=0)
    node = sim.add_node("a", Counter)
    assert node.state() == {"count": 0}


def test_storage_keeps_immutable_values_without_copying():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Entry:
        term: int
        command: tuple

    sim = Simulation(seed=0)
    sim.add_node("a", Node)
    st = sim.storage("a")
    e = Entry(1, ("set", 3))
    st["e"] = e
    assert st["e"] is e            # frozen and made of immutable values: shared safely
    mutable = Entry(1, ("set", [3]))
    st["m"] = mutable
    assert st["m"] is not mutable and st["m"] == mutable   # holds a list: copied


def test_in_flight_and_lose():
    class Talker(Node):
        def on_start(self):
            if self.id == "a":
                self.send("b", "first")
                self.send("c", "second")

        def on_message(self, src, msg):
            self.output("got", msg)

    sim = Simulation(seed=3, network=Network(latency=Uniform(5, 10), duplicate=0.0))
    sim.add_nodes(["a", "b", "c"], Talker)
    sim.run(until=1)
    flying = sim.in_flight()
    assert sorted(f[3] for f in flying) == ["first", "second"]
    assert [f[4] for f in flying] == sorted(f[4] for f in flying)   # soonest first
    first = next(f for f in flying if f[3] == "first")
    assert sim.lose(first[0]) is True
    assert sim.lose(first[0]) is False                # already gone
    assert [f[3] for f in sim.in_flight()] == ["second"]
    sim.run(until=50)
    assert [(e.node, e.msg) for e in sim.trace.outputs("got")] == [("c", "second")]
    drops = sim.trace.of_kind("drop")
    assert [(d.msg, d.msg_id) for d in drops] == [("first", first[0])]
    with pytest.raises(TypeError, match="msg_id must be an int"):
        sim.lose("first")
