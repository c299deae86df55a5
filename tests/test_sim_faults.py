"""Network faults, partitions, crash/restart semantics, clocks and fault plans."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from distlab.sim import Constant, FaultPlan, Network, Node, PhysicalClock, Simulation


@dataclass(frozen=True, slots=True)
class Msg:
    seq: int


class Chatter(Node):
    """Sends ``count`` numbered messages to ``to`` every ``period`` units."""

    def __init__(self, to: str | None = None, count: int = 0, period: float = 1.0) -> None:
        self.to, self.count, self.period = to, count, period
        self.sent = 0
        self.received: list[tuple[str, int]] = []

    def on_start(self) -> None:
        if self.to is not None and self.count:
            self.set_timer(self.period, "send")

    def on_timer(self, name, payload):
        self.send(self.to, Msg(self.sent))
        self.sent += 1
        if self.sent < self.count:
            self.set_timer(self.period, "send")

    def on_message(self, src, msg):
        self.received.append((src, msg.seq))


def pair(network=None, count=200, seed=1):
    sim = Simulation(seed=seed, network=network)
    sim.add_node("a", Chatter, to="b", count=count)
    sim.add_node("b", Chatter)
    return sim


def test_loss_rate_is_about_what_was_asked():
    sim = pair(Network(loss=0.3), count=2000)
    sim.run(until=3000)
    lost = sim.stats["dropped_loss"]
    assert 0.25 * 2000 < lost < 0.35 * 2000
    assert sim.stats["delivered"] + lost == 2000


def test_duplicates_deliver_twice_with_same_msg_id():
    sim = pair(Network(duplicate=0.5), count=400)
    sim.run(until=1000)
    ids = Counter(e.msg_id for e in sim.trace.of_kind("deliver"))
    assert max(ids.values()) == 2
    assert 150 < sum(1 for c in ids.values() if c == 2) < 250


def test_fifo_links_never_reorder_and_random_latency_does():
    for fifo, expect_sorted in ((True, True), (False, False)):
        sim = pair(Network(latency=(1.0, 30.0), fifo=fifo), count=300)
        sim.run(until=1000)
        seqs = [seq for _, seq in sim.node("b").received]
        assert (seqs == sorted(seqs)) is expect_sorted


def test_reorder_makes_later_messages_overtake():
    sim = pair(Network(latency=Constant(5.0), reorder=0.2), count=300)
    sim.run(until=2000)
    seqs = [seq for _, seq in sim.node("b").received]
    assert sorted(seqs) == list(range(300))
    assert seqs != sorted(seqs)


def test_partition_drops_messages_both_ways_and_heal_restores():
    sim = pair(Network(latency=Constant(0.5)), count=100)
    sim.partition(["a"], ["b"], at=20.0)
    sim.heal(at=60.0)
    sim.run(until=200)
    got = [seq for _, seq in sim.node("b").received]
    # Sent at t = 1, 2, ..., 100; the ones sent while partitioned are lost.
    assert got == [s for s in range(100) if not 20.0 <= s + 1 < 60.0]
    drops = sim.trace.of_kind("drop")
    assert {d.info for d in drops} == {"partition"}
    assert sim.trace.of_kind("partition")[0].info == "a | b"


def test_message_in_flight_when_partition_starts_is_dropped():
    sim = pair(Network(latency=Constant(10.0)), count=1)
    sim.partition(["a"], ["b"], at=5.0)  # the message was sent at t=1
    sim.run(until=50)
    assert sim.node("b").received == []
    assert sim.trace.of_kind("drop")[0].info == "partition"


def test_unlisted_nodes_form_one_more_group():
    sim = Simulation(seed=0)
    sim.add_nodes(["a", "b", "c", "d"], Chatter)
    sim.partition(["a"])
    net = sim.network
    assert not net.connected("a", "b")
    assert net.connected("b", "c") and net.connected("c", "d")
    assert sim.trace.of_kind("partition")[0].info == "a | b,c,d"


def test_one_way_cut():
    sim = Simulation(seed=0)
    sim.add_nodes(["a", "b"], Chatter)
    sim.cut("a", "b")
    assert not sim.network.connected("a", "b")
    assert sim.network.connected("b", "a")


class Durable(Node):
    """Counts deliveries in memory and, every other one, on disk."""

    def __init__(self) -> None:
        self.volatile = 0

    def on_start(self) -> None:
        self.recovered = self.storage.get("durable", 0)
        if self.id == "a":
            self.set_timer(1.0, "send")

    def on_timer(self, name, payload):
        self.send("b", "x")
        self.set_timer(1.0, "send")

    def on_message(self, src, msg):
        self.volatile += 1
        if self.volatile % 2 == 0:
            self.storage["durable"] = self.volatile


def test_crash_loses_volatile_state_and_keeps_durable_state():
    sim = Simulation(seed=0, network=Network(latency=Constant(0.5)))
    sim.add_nodes(["a", "b"], Durable)
    sim.crash("b", at=10.2)
    sim.restart("b", at=20.0)
    sim.run(until=25)
    b = sim.node("b")
    assert b.incarnation == 1
    # Before the crash b received 9 messages (t = 1.5 ... 9.5) and persisted every
    # other count: the last durable value is 8; the in-memory 9 is lost.
    assert b.recovered == 8
    assert b.volatile == 5            # deliveries at 20.5 ... 24.5, after the restart


def test_crashed_node_drops_messages_and_loses_timers():
    sim = Simulation(seed=0, network=Network(latency=Constant(0.5)))
    sim.add_nodes(["a", "b"], Durable)
    sim.crash("a", at=5.2)
    sim.crash("b", at=2.0)
    sim.run(until=30)
    assert sim.pending_timers("a") == []
    assert all(d.info == "crashed" for d in sim.trace.of_kind("drop"))
    # a's timer died with it: nothing is sent after its crash
    assert max(e.time for e in sim.trace.of_kind("send")) < 5.2
    with pytest.raises(ValueError, match="is crashed"):
        sim.node("a")


def test_persist_happens_before_the_handlers_sends():
    class Logger(Node):
        def on_start(self):
            if self.id == "a":
                self.send("a", "go")

        def on_message(self, src, msg):
            self.send("b", "announce")      # written first in the code ...
            self.storage["decided"] = True  # ... but the write is applied before it

    sim = Simulation(seed=0)
    sim.add_nodes(["a", "b"], Logger)
    sim.run(until=1)
    kinds = [e.kind for e in sim.trace if e.node == "a" and e.kind in ("persist", "send")]
    assert kinds[-2:] == ["persist", "send"]


def test_storage_copies_values():
    sim = Simulation(seed=0)
    sim.add_node("a", Node)
    st = sim.storage("a")
    log = [1, 2]
    st["log"] = log
    log.append(3)
    assert st["log"] == [1, 2]
    got = st["log"]
    got.append(99)
    assert st["log"] == [1, 2]
    st.append("log", 3)
    st.truncate("log", 1)
    assert st["log"] == [1]


def test_drifting_clock_and_timers_measured_on_it():
    class Ticker(Node):
        def on_start(self):
            self.readings = []
            self.set_timer(100.0, "t")

        def on_timer(self, name, payload):
            self.readings.append((self.now, self.clock()))

    sim = Simulation(seed=0)
    sim.add_node("fast", Ticker, clock=PhysicalClock(offset=5.0, drift=0.01))
    sim.add_node("slow", Ticker, clock={"drift": -0.01})
    sim.run(until=200)
    (t_fast, c_fast), = sim.node("fast").readings
    (t_slow, c_slow), = sim.node("slow").readings
    assert t_fast == pytest.approx(100 / 1.01)
    assert c_fast == pytest.approx(105.0)
    assert t_slow == pytest.approx(100 / 0.99)
    assert c_slow == pytest.approx(100.0)
    clock = sim.clock("fast")
    clock.step(200.0, -10.0)
    assert clock.read(200.0) == pytest.approx(5 + 1.01 * 200 - 10)
    clock.set_drift(200.0, 0.0)
    assert clock.read(300.0) - clock.read(200.0) == pytest.approx(100.0)


def test_fault_plan_respects_max_crashed_and_heals_at_end():
    sim = Simulation(seed=3)
    sim.add_nodes([f"n{i}" for i in range(5)], Chatter)
    sim.apply(FaultPlan(crash_every=5.0, restart_after=(10, 30), max_crashed=2,
                        partition_every=20.0, partition_duration=(5, 15),
                        partition_mode="random"), until=500)
    down = set()
    worst = 0
    sim.run(until=600)
    for e in sim.trace:
        if e.kind == "crash":
            down.add(e.node)
        elif e.kind == "restart":
            down.discard(e.node)
        worst = max(worst, len(down))
    assert worst == 2
    assert not down
    assert not sim.network.partitioned
    # about 500 / (20 + 10) partitions and 500 / 5 crash attempts, some refused
    assert sim.stats["partitions"] > 10 and sim.stats["crashes"] > 20


def test_fault_plan_sets_and_restores_network_probabilities():
    sim = pair(count=400)
    sim.apply(FaultPlan(loss=0.5), start=100, until=300)
    sim.run(until=500)
    losses = [e.time for e in sim.trace.of_kind("drop")]
    assert losses and 100 <= min(losses) and max(losses) <= 320
    assert sim.network.loss == 0.0


def test_nodes_outside_a_plan_join_a_side_of_each_partition():
    sim = Simulation(seed=2)
    sim.add_nodes(["r1", "r2", "r3", "r4"], Chatter)
    sim.add_nodes(["c1", "c2"], Chatter)
    sim.apply(FaultPlan(partition_every=20.0, partition_duration=(5, 10)), until=300,
              nodes=["r1", "r2", "r3", "r4"])
    sim.run(until=300)
    parts = sim.trace.of_kind("partition")
    assert len(parts) > 5
    for p in parts:
        groups = [set(g.split(",")) for g in p.info.split(" | ")]
        for c in ("c1", "c2"):
            side = next(g for g in groups if c in g)
            assert side & {"r1", "r2", "r3", "r4"}, f"{c} was cut off from every replica: {p.info}"
