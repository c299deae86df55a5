"""Logical clocks: happens-before from traces, Lamport clocks, vector clocks, ShiViz export,
Lamport's mutual exclusion (notebooks 1.2 and 1.3).

Three tiers: scenario tests that cite the papers, property tests (hypothesis) for the
laws, and seed sweeps under random faults whose failures name the seed.
"""

from __future__ import annotations

import json
import re
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.clocks import (SHIVIZ_REGEX, HappensBefore, LamportClock, LamportMutex,
                            LamportNode, LamportTimestamp, Message, VectorClock,
                            VectorMessage, VectorNode, characterisation_violations,
                            clock_condition_violations, false_orders, missing_stamps,
                            mutex_entries, mutex_violations, parse_shiviz, read_stamps,
                            shiviz_file, to_shiviz)
from distlab.sim import Constant, FaultPlan, Network, Simulation

NODES = ["n1", "n2", "n3"]


def scripted(cls, scripts: dict[str, list], latency: float = 1.0, until: float = 100,
             **kwargs) -> Simulation:
    """A run in which every node follows its script over a constant-latency network."""
    sim = Simulation(seed=0, network=Network(latency=Constant(latency)))
    for node, script in scripts.items():
        sim.add_node(node, cls, script=script, **kwargs)
    sim.run(until=until)
    return sim


def random_run(cls, seed: int, n: int = 3, actions: int = 8, plan: FaultPlan | None = None,
               **kwargs) -> Simulation:
    sim = Simulation(seed=seed)
    sim.add_nodes([f"n{i + 1}" for i in range(n)], cls, actions=actions, **kwargs)
    if plan is not None:
        sim.apply(plan, until=120)
    sim.run(until=250)
    return sim


def stamps_of(sim):
    hb = HappensBefore.from_trace(sim)
    return hb, read_stamps(sim, hb)


# --- Tier 1: scenarios -----------------------------------------------------------------

def test_lamport_clock_rules_ir1_and_ir2():
    """Lamport 1978, IR1: a process ticks between events. IR2(b): on receipt the clock
    moves past both its own value and the message's timestamp Tm."""
    c = LamportClock()
    assert [c.tick(), c.tick(), c.send()] == [1, 2, 3]
    assert c.receive(10) == 11          # far behind the sender: jump past Tm
    assert c.receive(2) == 12           # ahead of the sender: still tick
    with pytest.raises(ValueError, match="msg_time"):
        c.receive(-1)
    with pytest.raises(ValueError, match="time"):
        LamportClock(-3)


def test_timestamps_of_a_scripted_run_follow_ir1_and_ir2():
    """Lamport 1978, section 3: n1 sends to n2 at t=1 (C=1); n2 had two local events
    (C=1, 2) and receives at t=2 (max(2, 1) + 1 = 3); n2 sends to n3 (C=4); n3, after
    one local event (C=1), receives at t=4 (max(1, 4) + 1 = 5)."""
    sim = scripted(LamportNode, {
        "n1": [(1.0, "n2")],
        "n2": [(0.5, "local"), (1.5, "local"), (3.0, "n3")],
        "n3": [(0.2, "local")],
    })
    hb, stamps = stamps_of(sim)
    assert stamps == {"n3.1": 1, "n2.1": 1, "n1.1": 1, "n2.2": 2, "n2.3": 3, "n2.4": 4,
                      "n3.2": 5}
    assert [e.kind for e in hb.of_node("n2")] == ["local", "local", "receive", "send"]
    sends = [e.msg for e in sim.trace.of_kind("send")]
    assert sends == [Message("n1/1", 1), Message("n2/1", 4)]


def test_happens_before_has_lamports_three_clauses():
    """Lamport 1978, section 2: (1) process order, (2) send before receipt, (3) transitivity;
    events related by none of them are concurrent."""
    sim = scripted(LamportNode, {
        "n1": [(1.0, "n2"), (5.0, "local")],
        "n2": [(3.0, "n3")],
        "n3": [(0.5, "local")],
    })
    hb = HappensBefore.from_trace(sim)
    assert [e.id for e in hb.events] == ["n3.1", "n1.1", "n2.1", "n2.2", "n3.2", "n1.2"]
    assert hb.before("n1.1", "n1.2")                  # (1) same process
    assert hb.before("n1.1", "n2.1")                  # (2) n2.1 receives n1's message
    assert hb.before("n1.1", "n3.2")                  # (3) n1.1 -> n2.1 -> n2.2 -> n3.2
    assert hb.concurrent("n1.2", "n3.2") and hb.concurrent("n3.1", "n1.1")
    assert not hb.before("n3.2", "n1.1") and hb.compare("n3.2", "n1.1") == "after"
    assert [e.id for e in hb.past("n3.2")] == ["n3.1", "n1.1", "n2.1", "n2.2"]
    assert [e.id for e in hb.future("n2.1")] == ["n2.2", "n3.2"]
    assert hb.count_pairs() == (8, 7)   # 1 + 4 + 2 + 1 ordered pairs of 15
    assert {k for *_, k in hb.edges()} == {"process", "message"}


def test_converse_of_the_clock_condition_fails():
    """Lamport 1978, section 3: C(a) < C(b) does not imply a -> b. n3's third local event
    gets C=3 while n1's first send has C=1, yet nothing connects them."""
    sim = scripted(LamportNode, {
        "n1": [(5.0, "n2")],
        "n2": [],
        "n3": [(1.0, "local"), (2.0, "local"), (3.0, "local")],
    })
    hb, stamps = stamps_of(sim)
    assert hb.concurrent("n3.3", "n1.1")
    assert stamps["n1.1"] < stamps["n3.3"]
    reported = {(v.a, v.b) for v in false_orders(hb, stamps)}
    assert ("n1.1", "n3.3") in reported and ("n1.1", "n3.2") in reported


def test_total_order_breaks_ties_by_node_id():
    """Lamport 1978, section 3: a => b iff C(a) < C(b), or C(a) = C(b) and Pa < Pb."""
    ts = [LamportTimestamp(2, "n2"), LamportTimestamp(1, "n3"), LamportTimestamp(2, "n1")]
    assert sorted(ts) == [LamportTimestamp(1, "n3"), LamportTimestamp(2, "n1"),
                          LamportTimestamp(2, "n2")]
    assert str(LamportTimestamp(2, "n1")) == "2.n1"


def test_a_lost_message_orders_nothing_and_a_duplicate_is_received_twice():
    """Lamport 1978, section 2: only a *receipt* creates an edge. n1's first message is
    lost, its second arrives: n2's later event follows n1.2 (and so n1.1), but the event
    n2 had before the delivery is concurrent with both sends."""
    sim = Simulation(seed=0, network=Network(latency=Constant(1.0)))
    sim.add_node("n1", LamportNode, script=[(1.0, "n2"), (2.0, "n2")])
    sim.add_node("n2", LamportNode, script=[(0.5, "local"), (5.0, "local")])
    drops = iter([True, False])
    sim.network.add_hook(lambda env: False if next(drops) else None)
    sim.run(until=20)
    hb, stamps = stamps_of(sim)
    assert sim.stats["dropped_hook"] == 1
    assert [e.kind for e in hb.of_node("n2")] == ["local", "receive", "local"]
    assert [e.id for e in hb.past("n2.2")] == ["n2.1", "n1.1", "n1.2"]
    assert hb.concurrent("n1.1", "n2.1") and hb.concurrent("n1.2", "n2.1")
    assert len([e for e in hb.edges() if e[2] == "message"]) == 1
    dup = Simulation(seed=3, network=Network(latency=Constant(1.0), duplicate=1.0))
    dup.add_node("n1", LamportNode, script=[(1.0, "n2")])
    dup.add_node("n2", LamportNode, script=[])
    dup.run(until=20)
    hb, stamps = stamps_of(dup)
    receives = [e for e in hb.events if e.kind == "receive"]
    assert len(receives) == 2 and all(hb.before("n1.1", r) for r in receives)
    assert [stamps[r.id] for r in receives] == [2, 3]


def test_relation_rejects_unknown_events_and_partial_traces():
    sim = random_run(LamportNode, seed=1)
    hb = HappensBefore.from_trace(sim)
    with pytest.raises(ValueError, match="no event 'n9.1'"):
        hb.before("n9.1", "n1.1")
    with pytest.raises(TypeError, match="Event or its id"):
        hb.before(3, "n1.1")
    with pytest.raises(TypeError, match="Simulation, a Trace"):
        HappensBefore.from_trace("trace")
    first_delivery = next(i for i, e in enumerate(sim.trace.events) if e.kind == "deliver")
    with pytest.raises(ValueError, match="has no send"):
        HappensBefore.from_trace([e for e in sim.trace.events if e.kind != "send"])
    assert hb.at_index(first_delivery).kind == "receive"
    with pytest.raises(TypeError, match="not the string"):
        HappensBefore.from_trace(sim, local="local")


def test_node_arguments_are_validated():
    for bad, match in [({"reserve": 0}, "reserve"), ({"durable": "yes"}, "durable"),
                       ({"gap": (5, 1)}, "gap"), ({"p_send": 2}, "p_send"),
                       ({"actions": -1}, "actions"), ({"script": [(1, 2)]}, "script")]:
        with pytest.raises((ValueError, TypeError), match=match):
            LamportNode(**bad)
    with pytest.raises(ValueError, match="persist"):
        VectorNode(persist="some")


def test_vector_clock_rules_fidge_mattern():
    """Fidge 1988; Mattern 1989, section 4: increment own entry at each event, merge on
    receipt; then V(a) < V(b) iff a -> b, so concurrency shows."""
    sim = scripted(VectorNode, {
        "n1": [(1.0, "n2"), (5.0, "local")],
        "n2": [(3.0, "n3")],
        "n3": [(0.5, "local")],
    })
    hb, stamps = stamps_of(sim)
    assert stamps["n2.1"] == VectorClock({"n1": 1, "n2": 1})
    assert stamps["n3.2"] == VectorClock({"n1": 1, "n2": 2, "n3": 2})
    assert stamps["n1.2"].concurrent(stamps["n3.2"]) and hb.concurrent("n1.2", "n3.2")
    assert stamps["n1.1"].compare(stamps["n3.2"]) == "before"
    assert isinstance(sim.trace.of_kind("send")[0].msg, VectorMessage)
    assert characterisation_violations(hb, stamps) == []


def test_vector_clock_merge_is_entrywise_maximum():
    v = VectorClock({"a": 2, "b": 1})
    assert v.merge({"b": 3, "c": 1}) == VectorClock({"a": 2, "b": 3, "c": 1})
    assert v.increment("a") > v and v.compare(VectorClock({"b": 2})) == "concurrent"
    with pytest.raises(TypeError, match="merge"):
        v.merge(3)


def test_a_lamport_clock_without_durable_state_goes_backwards_after_a_restart():
    """A crash loses the volatile clock: n1's event after the restart gets C=1 although
    it follows n1's earlier events, so the clock condition fails (notebook 1.2)."""
    def run(**kwargs):
        sim = Simulation(seed=0, network=Network(latency=Constant(1.0)))
        sim.add_node("n1", LamportNode, script=[(1.0, "local"), (2.0, "local"),
                                                 (3.0, "local"), (20.0, "local")], **kwargs)
        sim.crash("n1", at=10.0)
        sim.restart("n1", at=15.0)
        sim.run(until=30)
        return sim
    hb, stamps = stamps_of(run())
    assert [stamps[e.id] for e in hb.of_node("n1")] == [1, 2, 3, 1]
    assert len(clock_condition_violations(hb, stamps)) == 3
    durable = run(durable=True)
    hb, stamps = stamps_of(durable)
    assert [stamps[e.id] for e in hb.of_node("n1")] == [1, 2, 3, 4]
    assert durable.stats["persisted"] == 4
    reserved = run(durable=True, reserve=10)
    hb, stamps = stamps_of(reserved)
    assert [stamps[e.id] for e in hb.of_node("n1")] == [1, 2, 3, 11]
    assert reserved.stats["persisted"] == 2 and not clock_condition_violations(hb, stamps)


def test_persisting_only_the_own_entry_is_not_enough():
    """A restarted vector node must remember what it knew of the others: with only its
    own counter, its next event looks concurrent with its own past (notebook 1.3)."""
    def run(persist):
        sim = Simulation(seed=0, network=Network(latency=Constant(1.0)))
        sim.add_node("n1", VectorNode, script=[(5.0, "local")], persist=persist)
        sim.add_node("n2", VectorNode, script=[(1.0, "n1")], persist=persist)
        sim.crash("n1", at=3.0)
        sim.restart("n1", at=4.0)
        sim.run(until=30)
        return stamps_of(sim)
    for persist, expected in [("nothing", 2), ("own entry", 2), ("vector", 0)]:
        hb, stamps = run(persist)
        assert hb.before("n2.1", "n1.2")
        assert len(characterisation_violations(hb, stamps)) == expected, persist


def test_shiviz_log_has_two_lines_per_event_and_round_trips():
    """Beschastnikh et al. 2016: an event line, then `host {json clock}`; ShiViz's default
    parser reads it."""
    sim = random_run(VectorNode, seed=4)
    hb, stamps = stamps_of(sim)
    log = to_shiviz(sim)
    lines = log.split("\n")
    assert len(lines) == 2 * len(hb)
    assert lines[0].startswith("n") and re.fullmatch(r"n\d \{.*\}", lines[1])
    assert json.loads(lines[1].split(" ", 1)[1]) == stamps[hb.events[0].id].as_dict()
    parsed = parse_shiviz(shiviz_file(sim))
    assert [(h, v) for _, h, v in parsed] == [(e.node, stamps[e.id]) for e in hb.events]
    assert [t for t, _, _ in parsed] == lines[0::2]
    text = shiviz_file(sim)
    assert text.startswith(SHIVIZ_REGEX + "\n\n")
    assert SHIVIZ_REGEX == r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"
    for host, clocks in [(e.node, stamps[e.id]) for e in hb.events]:
        assert clocks[host] >= 1


def test_shiviz_refuses_a_log_whose_host_forgot_its_clock():
    """ShiViz: "Clock values for a host must increase monotonically by 1"."""
    sim = Simulation(seed=0, network=Network(latency=Constant(1.0)))
    sim.add_node("n1", VectorNode, script=[(1.0, "local"), (5.0, "local")])
    sim.crash("n1", at=2.0)
    sim.restart("n1", at=3.0)
    sim.run(until=10)
    with pytest.raises(ValueError, match="n1's goes from 1 .* to 1"):
        to_shiviz(sim)
    lamport = random_run(LamportNode, seed=1)
    with pytest.raises(ValueError, match="no vector timestamp"):
        to_shiviz(lamport)


def test_lamport_mutex_grants_in_request_order_with_3_n_minus_1_messages():
    """Lamport 1978, section 3: requests are granted one at a time, in the order =>,
    at a cost of 3(N - 1) messages per use, on FIFO reliable channels."""
    sim = Simulation(seed=2, network=Network(fifo=True))
    sim.add_nodes(NODES, LamportMutex, rounds=2)
    sim.run(until=1000)
    uses = mutex_entries(sim)
    assert len(uses) == 6 and mutex_violations(sim) == []
    assert [u[3] for u in uses] == sorted(u[3] for u in uses)
    assert all(u[1] is not None and u[1] <= v[0] for u, v in zip(uses, uses[1:]))
    assert sim.stats["sent"] == 6 * 3 * (len(NODES) - 1)


def test_lamport_mutex_needs_fifo_channels():
    """Lamport 1978 assumes messages arrive in the order sent; without it a Release can
    overtake... and rule 5 grants the resource too early on some seeds."""
    broken = []
    for seed in range(40):
        sim = Simulation(seed=seed, network=Network(reorder=0.3))
        sim.add_nodes(NODES, LamportMutex, rounds=3)
        sim.run(until=1000)
        if mutex_violations(sim):
            broken.append(seed)
    assert broken, "reordering never broke Lamport's mutex in 40 seeds"


def test_runs_are_functions_of_their_seed():
    a = read_stamps(random_run(VectorNode, seed=9, plan=FaultPlan(loss=0.2, reorder=0.2)))
    b = read_stamps(random_run(VectorNode, seed=9, plan=FaultPlan(loss=0.2, reorder=0.2)))
    c = read_stamps(random_run(VectorNode, seed=10, plan=FaultPlan(loss=0.2, reorder=0.2)))
    assert a == b and a != c


# --- Tier 2: properties --------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=4)
vectors = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), counts).map(VectorClock)


@given(vectors, vectors)
def test_merge_is_commutative(v, w):
    assert v.merge(w) == w.merge(v)


@given(vectors, vectors, vectors)
def test_merge_is_associative(u, v, w):
    assert u.merge(v).merge(w) == u.merge(v.merge(w))


@given(vectors, vectors)
def test_merge_is_idempotent_and_the_least_upper_bound(v, w):
    m = v.merge(w)
    assert v.merge(v) == v and m.merge(w) == m
    assert v <= m and w <= m
    assert all(m[k] in (v[k], w[k]) for k in m)


@given(vectors, vectors)
def test_compare_is_consistent_with_the_partial_order(v, w):
    c = v.compare(w)
    assert c == {"before": "after", "after": "before", "equal": "equal",
                 "concurrent": "concurrent"}[w.compare(v)]
    assert (c == "before") == (v < w) and (c == "equal") == (v == w)
    assert v.increment("a").compare(v) == "after"


fault_plans = st.builds(
    FaultPlan,
    loss=st.sampled_from([0.0, 0.2]), duplicate=st.sampled_from([0.0, 0.2]),
    reorder=st.sampled_from([0.0, 0.3]),
    crash_every=st.sampled_from([None, 50.0]), restart_after=st.just((5.0, 20.0)))


def reachability(hb: HappensBefore) -> set[tuple[str, str]]:
    """The transitive closure by breadth-first search over the generating edges."""
    succ: dict[str, list[str]] = {e.id: [] for e in hb.events}
    for a, b, _ in hb.edges():
        succ[a].append(b)
    closure = set()
    for e in hb.events:
        seen, todo = set(), deque(succ[e.id])
        while todo:
            x = todo.popleft()
            if x not in seen:
                seen.add(x)
                todo.extend(succ[x])
        closure |= {(e.id, x) for x in seen}
    return closure


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 5), actions=st.integers(1, 8),
       plan=fault_plans)
def test_happens_before_is_a_strict_partial_order(seed, n, actions, plan):
    sim = random_run(LamportNode, seed, n=n, actions=actions, plan=plan)
    hb = HappensBefore.from_trace(sim)
    pairs = {(a.id, b.id) for a, b in hb.pairs()}
    assert pairs == reachability(hb), f"seed={seed}: closure differs from a BFS"
    assert all(a != b for a, b in pairs), f"seed={seed}: not irreflexive"
    assert not any((b, a) in pairs for a, b in pairs), f"seed={seed}: not asymmetric"
    past = {e.id: {p.id for p in hb.past(e)} for e in hb.events}
    for a, b in pairs:
        assert past[a] <= past[b], f"seed={seed}: not transitive through {a} -> {b}"
    ordered, concurrent = hb.count_pairs()
    assert ordered == len(pairs)
    assert concurrent == sum(1 for _ in hb.concurrent_pairs())


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 5), plan=fault_plans)
def test_lamport_clocks_respect_happens_before(seed, n, plan):
    sim = random_run(LamportNode, seed, n=n, plan=plan, durable=True)
    hb, stamps = stamps_of(sim)
    assert missing_stamps(hb, stamps) == [], f"seed={seed}"
    bad = clock_condition_violations(hb, stamps)
    assert not bad, f"seed={seed}: {bad[0]}"
    total = sorted((LamportTimestamp(stamps[e.id], e.node) for e in hb.events))
    assert len(set(total)) == len(total), f"seed={seed}: (C, node) is not a total order"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 5), plan=fault_plans)
def test_vector_clocks_characterise_happens_before(seed, n, plan):
    sim = random_run(VectorNode, seed, n=n, plan=plan, persist="vector")
    hb, stamps = stamps_of(sim)
    assert missing_stamps(hb, stamps) == [], f"seed={seed}"
    bad = characterisation_violations(hb, stamps)
    assert not bad, f"seed={seed}: {bad[0]}"


# --- Tier 3: seed sweeps under faults ---------------------------------------------------------

CHAOS = FaultPlan(loss=0.2, duplicate=0.1, reorder=0.2, crash_every=40.0,
                  restart_after=(5.0, 20.0))


def test_sweep_clock_condition_with_durable_clocks():
    for seed in range(60):
        hb, stamps = stamps_of(random_run(LamportNode, seed, n=4, plan=CHAOS, durable=True,
                                          reserve=5))
        bad = clock_condition_violations(hb, stamps)
        assert not bad, f"seed={seed}: {bad[0]}"


def test_sweep_volatile_clocks_break_under_crashes():
    broken = [seed for seed in range(30)
              if clock_condition_violations(*stamps_of(random_run(LamportNode, seed, n=4,
                                                                  plan=CHAOS)))]
    assert len(broken) >= 20, f"only seeds {broken} showed the crash problem"


def test_sweep_vector_characterisation_and_shiviz_export():
    for seed in range(60):
        sim = random_run(VectorNode, seed, n=4, plan=CHAOS, persist="vector")
        hb, stamps = stamps_of(sim)
        bad = characterisation_violations(hb, stamps)
        assert not bad, f"seed={seed}: {bad[0]}"
        assert len(parse_shiviz(to_shiviz(sim, hb=hb, stamps=stamps))) == len(hb), \
            f"seed={seed}"


def test_sweep_lamport_mutex_is_safe_on_fifo_channels():
    for seed in range(80):
        sim = Simulation(seed=seed, network=Network(fifo=True))
        sim.add_nodes(["n1", "n2", "n3", "n4"], LamportMutex, rounds=2)
        sim.run(until=2000)
        problems = mutex_violations(sim)
        assert not problems, f"seed={seed}: {problems[0]}"
        assert len(mutex_entries(sim)) == 8, f"seed={seed}: some request was never granted"
