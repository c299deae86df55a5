"""The simulator kernel: determinism, ordering, the fast path, run/step semantics."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from distlab.sim import (Constant, FaultPlan, Network, Node, NodeError, Simulation,
                         Uniform)


@dataclass(frozen=True, slots=True)
class Ping:
    n: int


class Gossiper(Node):
    """Each message makes the receiver send to two random peers, up to a hop limit."""

    def __init__(self, hops: int = 6) -> None:
        self.hops = hops
        self.seen = 0

    def on_start(self) -> None:
        if self.id == self.nodes[0]:
            self.send(self.rng.choice(self.peers), Ping(0))
        self.set_timer(25.0, "tick")

    def on_message(self, src: str, msg: Ping) -> None:
        self.seen += 1
        self.storage["seen"] = self.seen
        if msg.n < self.hops:
            for _ in range(2):
                self.send(self.rng.choice(self.peers), Ping(msg.n + 1))

    def on_timer(self, name: str, payload: object) -> None:
        self.annotate(f"seen={self.seen}")
        self.set_timer(25.0, "tick")


def build(seed: int, network: Network | None = None, n: int = 5) -> Simulation:
    sim = Simulation(seed=seed, network=network)
    sim.add_nodes([f"n{i}" for i in range(1, n + 1)], Gossiper)
    return sim


def test_same_seed_same_trace_byte_for_byte():
    dumps = []
    for _ in range(2):
        sim = build(7, Network(loss=0.1, duplicate=0.1, reorder=0.2))
        sim.apply(FaultPlan(crash_every=40, partition_every=60), until=150)
        sim.run(until=200)
        dumps.append(sim.trace.dump())
    assert dumps[0] == dumps[1]
    assert len(dumps[0].splitlines()) > 100


def test_different_seeds_differ():
    a, b = build(1), build(2)
    a.run(until=100)
    b.run(until=100)
    assert a.trace.dump() != b.trace.dump()


def test_trace_does_not_depend_on_hash_seed(tmp_path):
    """String hashing changes between interpreters; the trace must not."""
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, %r)\n"
            "from test_sim_kernel import build\n"
            "sim = build(3); sim.run(until=150); print(sim.trace.dump())") % str(
                __import__("pathlib").Path(__file__).parent)
    outs = []
    for hash_seed in ("1", "2"):
        env = {**__import__("os").environ, "PYTHONHASHSEED": hash_seed}
        outs.append(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                   text=True, env=env, check=True).stdout)
    assert outs[0] == outs[1] and outs[0]


def test_fast_path_matches_general_path():
    """The inlined delivery/send path makes the same draws and rows as _deliver/_transmit."""
    fast = build(11)
    fast.run(until=150)
    slow = build(11)
    # A hook that changes nothing forces every send through Network.route, and step()
    # never uses the inlined loop.
    slow.network.add_hook(lambda env: None)
    while slow.next_time is not None and slow.next_time <= 150:
        slow.step()
    assert fast.network._simple and not slow.network._simple
    assert fast.trace.dump() == slow.trace.dump()


def test_ties_break_by_insertion_order():
    order = []
    sim = Simulation(seed=0)
    for i in range(5):
        sim.at(10.0, order.append, i)
    sim.run(until=10)
    assert order == [0, 1, 2, 3, 4]


def test_control_actions_precede_deliveries_at_the_same_time():
    class Sender(Node):
        def on_start(self):
            if self.id == "a":
                self.send("b", "hello")

    sim = Simulation(seed=0, network=Network(latency=Constant(5.0)))
    sim.add_nodes(["a", "b"], Sender)
    sim.crash("b", at=5.0)  # same instant as the delivery: the crash wins
    sim.run(until=10)
    drops = sim.trace.of_kind("drop")
    assert [(d.time, d.info) for d in drops] == [(5.0, "crashed")]


def test_run_until_advances_time_even_when_idle():
    sim = Simulation(seed=0)
    sim.run(until=42.5)
    assert sim.now == 42.5


def test_run_without_until_refuses_runaway_protocols():
    sim = build(1)  # periodic timers never stop
    with pytest.raises(RuntimeError, match="until="):
        sim.run()


def test_step_returns_new_trace_events_until_quiet():
    class Once(Node):
        def on_start(self):
            if self.id == "a":
                self.send("b", "x")

    sim = Simulation(seed=0)
    sim.add_nodes(["a", "b"], Once)
    kinds = []
    while True:
        new = sim.step()
        if not new:
            break
        kinds.extend(e.kind for e in new)
    assert kinds == ["start", "send", "start", "deliver"]


def test_run_until_predicate():
    sim = build(5)
    held = sim.run_until(lambda s: s.stats["delivered"] >= 10, until=1000)
    assert held and sim.stats["delivered"] == 10


def test_handler_exception_names_node_time_and_seed():
    class Broken(Node):
        def on_message(self, src, msg):
            raise KeyError("oops")

        def on_start(self):
            if self.id == "a":
                self.send("b", "boom")

    sim = Simulation(seed=99)
    sim.add_nodes(["a", "b"], Broken)
    with pytest.raises(NodeError, match=r"node 'b' raised KeyError .*seed=99"):
        sim.run(until=100)


def test_stats_count_what_the_trace_shows():
    sim = build(4, Network(loss=0.2, duplicate=0.2))
    sim.run(until=300)
    t = sim.trace
    assert sim.stats["sent"] == t.count("send")
    assert sim.stats["delivered"] == t.count("deliver")
    assert sim.stats["dropped"] == t.count("drop")
    assert sim.stats["duplicated"] == t.count("duplicate")


def test_message_records_pair_sends_with_fates():
    sim = build(4, Network(loss=0.3))
    sim.run(until=300)
    records = sim.trace.messages()
    assert len(records) == sim.stats["sent"]
    for r in records:
        assert len(r.deliver_times) + len(r.drop_times) == 1  # no duplication here
        for t in r.deliver_times + r.drop_times:
            assert t >= r.send_time


def test_latency_distribution_bounds_delivery_times():
    sim = build(8, Network(latency=Uniform(2.0, 3.0)))
    sim.run(until=100)
    for r in sim.trace.messages():
        for t in r.deliver_times:
            assert 2.0 <= t - r.send_time <= 3.0
