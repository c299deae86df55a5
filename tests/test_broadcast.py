"""Broadcast protocols and their checkers (notebook 1.6, "Project: a distributed chat").

Three tiers, as STYLE.md asks: scenario tests that read like short stories and cite
the section they check; laws checked with hypothesis; seed sweeps under random faults,
judged by the trace checkers, whose failure messages name the seed.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks must not do this (it drops figures)

from dataclasses import replace  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from distlab.broadcast import (BestEffortBroadcast, CausalBroadcast, FifoBroadcast,  # noqa: E402
                               Message, Order, Packet, Post, ReliableBroadcast,
                               SequencerBroadcast, Stamped, can_deliver, chat_node,
                               chat_simulation, check_broadcast, check_causal, check_fifo,
                               check_reliable, check_total_order, deliveries, fifo_release,
                               holdbacks, missing, sequence_release, traffic, transcript)
from distlab.clocks import VectorClock  # noqa: E402
from distlab.sim import Constant, FaultPlan, Network, NodeError, Simulation  # noqa: E402
from distlab.sim.trace import Trace, TraceEvent  # noqa: E402


# --- stories used by several tests (the same as in the notebook) ----------------------------
def lunch(layer, seed=9, until=26.0):
    """Ann asks "lunch?", Bob replies as soon as he sees it, Cat reads; ann -> cat is slow."""
    sim = Simulation(seed=seed)
    member = chat_node(layer)
    sim.add_node("ann", member, script=[(1.0, "lunch?")])
    sim.add_node("bob", member, reply_probability=1.0)
    sim.add_node("cat", member)
    sim.network.set_link("ann", "cat", latency=Constant(12.0), symmetric=False)
    sim.run(until=until)
    return sim


def crash_mid_broadcast(layer):
    """Ann's sends stop after Bob (a hook drops her copies to Cat and Dan); she crashes."""
    sim = Simulation(seed=2)
    member = chat_node(layer)
    sim.add_node("ann", member, script=[(1.0, "release at 5")])
    sim.add_nodes(["bob", "cat", "dan"], member)
    sim.network.add_hook(lambda env: False if env.src == "ann" and env.dst in ("cat", "dan")
                         else None)
    sim.crash("ann", at=1.5)
    sim.run(until=25)
    return sim


def concurrent(layer, seed):
    """Ann and Dan post at the same moment; nothing orders the two posts causally."""
    sim = Simulation(seed=seed)
    member = chat_node(layer)
    sim.add_node("ann", member, script=[(1.0, "lunch?")])
    sim.add_nodes(["bob", "cat"], member)
    sim.add_node("dan", member, script=[(1.0, "coffee?")])
    sim.run(until=40)
    return sim


def texts(msgs):
    return [m.payload.text for m in msgs]


# --- tier 1: stories ---------------------------------------------------------------------
def test_best_effort_breaks_agreement_when_the_sender_crashes_mid_broadcast():
    # Cachin, Guerraoui & Rodrigues 2011, Alg. 3.1: basic broadcast gives no agreement.
    sim = crash_mid_broadcast(BestEffortBroadcast)
    violations = check_reliable(sim)
    assert {(v.property, v.node) for v in violations} == {("agreement", "cat"),
                                                           ("agreement", "dan")}
    assert "delivered by bob but never by cat" in str(violations[0])


def test_eager_reliable_broadcast_relays_so_every_correct_member_delivers():
    # Hadzilacos & Toueg 1994; Cachin et al. 2011, Alg. 3.3: relay on first receipt.
    sim = crash_mid_broadcast(ReliableBroadcast)
    assert check_reliable(sim) == []
    got = {n: texts(ms) for n, ms in deliveries(sim).items()}
    assert got == {"ann": ["release at 5"], "bob": ["release at 5"],
                   "cat": ["release at 5"], "dan": ["release at 5"]}


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_eager_reliable_broadcast_costs_n_minus_one_squared_messages(n):
    # The origin sends n - 1 copies; each other node relays to n - 2 (not itself, not
    # the origin): (n - 1) + (n - 1)(n - 2) = (n - 1)².
    sim = Simulation(seed=n)
    sim.add_node("n0", chat_node(ReliableBroadcast), script=[(1.0, "hi")])
    sim.add_nodes([f"n{i}" for i in range(1, n)], chat_node(ReliableBroadcast))
    sim.run(until=50)
    assert sim.stats["sent"] == (n - 1) ** 2
    assert traffic(sim) == {"originals": n - 1, "relays": (n - 1) * (n - 2),
                            "retransmissions": 0, "acks": 0, "total": (n - 1) ** 2}


def test_best_effort_on_a_duplicating_network_delivers_twice_and_perfect_links_do_not():
    # Cachin et al. 2011, Alg. 2.2: perfect links drop duplicates; raw links do not.
    net = lambda: Network(duplicate=0.5)  # noqa: E731
    raw = chat_simulation(BestEffortBroadcast, seed=3, network=net(), reply_probability=0)
    raw.run(until=200)
    assert any(v.property == "no duplication" for v in check_reliable(raw))
    perfect = chat_simulation(BestEffortBroadcast, seed=3, network=net(), retransmit=20.0,
                              reply_probability=0)
    perfect.run(until=400)
    assert check_reliable(perfect) == []


def test_retransmission_survives_loss_and_acknowledges_every_packet_received():
    # Without retransmission, loss breaks agreement on some seed; with it, on none.
    seeds = range(12)
    lossy = lambda: Network(loss=0.4)  # noqa: E731
    without = [s for s in seeds
               if check_reliable(_run(chat_simulation(ReliableBroadcast, seed=s,
                                                      network=lossy()), 300))]
    assert without, "40% loss without retransmission should lose some message"
    for s in seeds:
        sim = _run(chat_simulation(ReliableBroadcast, seed=s, network=lossy(),
                                   retransmit=20.0), 600)
        assert check_reliable(sim) == [], f"seed={s}: {check_reliable(sim)[0]}"
        t = traffic(sim)
        arrived = sum(1 for e in sim.trace.of_kind("deliver") if isinstance(e.msg, Packet))
        assert t["acks"] == arrived, f"seed={s}: one Ack per Packet that arrives"
        assert t["retransmissions"] > 0, f"seed={s}"


def _run(sim, until):
    sim.run(until=until)
    return sim


def test_fifo_broadcast_holds_back_a_message_that_overtook_an_earlier_one():
    # Cachin et al. 2011, Alg. 3.12: sequence numbers and a hold-back queue.
    def story(layer):
        sim = Simulation(seed=1, network=Network(latency=Constant(2.0)))
        member = chat_node(layer)
        sim.add_node("ann", member, script=[(1.0, "first"), (2.0, "second")])
        sim.add_node("bob", member)
        # Ann's first message to Bob is slow: it arrives after her second.
        sim.network.add_hook(lambda env: replace(env, delay=10.0)
                             if env.src == "ann" and env.msg.payload.text == "first" else None)
        sim.run(until=30)
        return sim

    plain, fifo = story(ReliableBroadcast), story(FifoBroadcast)
    assert texts(deliveries(plain)["bob"]) == ["second", "first"]
    assert [v.node for v in check_fifo(plain)] == ["bob"]
    assert texts(deliveries(fifo)["bob"]) == ["first", "second"]
    assert check_fifo(fifo) == []
    held = [(h.node, h.message.payload.text, h.arrived, h.delivered) for h in holdbacks(fifo)]
    assert held == [("bob", "second", 4.0, 11.0)]


def test_the_reply_overtakes_its_question_under_reliable_and_fifo_broadcast():
    # The classic anomaly that causal broadcast prevents (Birman et al. 1991): seed 9.
    for layer in (ReliableBroadcast, FifoBroadcast):
        sim = lunch(layer)
        assert texts(deliveries(sim)["cat"]) == ["re: lunch?", "lunch?"]
        [v] = check_causal(sim)
        assert (v.property, v.node, v.message.id) == ("causal order", "cat", ("bob", 1))
        assert "bob had delivered it before broadcasting bob#1" in v.detail
        assert "not yet shown ⚠" in transcript(sim.trace, "cat")[0]


def test_causal_broadcast_holds_the_reply_back_until_the_question_arrives():
    # Birman, Schiper & Stephenson 1991: deliver when W[j] = V[j] + 1, W[k] <= V[k].
    sim = lunch(CausalBroadcast)
    assert check_causal(sim) == [] and check_reliable(sim) == []
    assert texts(deliveries(sim)["cat"]) == ["lunch?", "re: lunch?"]
    [h] = holdbacks(sim)
    assert (h.node, h.message.id) == ("cat", ("bob", 1)) and h.held > 0
    early = lunch(CausalBroadcast, until=9.0)   # the reply is in, the question is not
    [row] = early.node("cat").held_back()
    assert row["message"] == "bob#1" and row["waits for"] == "ann#1"
    assert row["W"] == "[ann:1, bob:1]" and row["V"] == "[]"


def test_causal_broadcast_does_not_order_concurrent_posts_but_a_sequencer_does():
    # Défago, Schiper & Urbán 2004: total order; causal order leaves concurrency free.
    disagreements = [s for s in range(5) if check_total_order(concurrent(CausalBroadcast, s))]
    assert disagreements, "members should see concurrent posts in different orders"
    for s in range(5):
        run = concurrent(SequencerBroadcast, s)
        assert check_total_order(run) == [] and check_reliable(run) == [], f"seed={s}"
        orders = {tuple(texts(ms)) for ms in deliveries(run).values()}
        assert len(orders) == 1, f"seed={s}: {orders}"


def test_a_crashed_sequencer_stops_every_delivery_but_never_breaks_the_order():
    # Défago et al. 2004, fixed sequencer: a single point of failure.
    sim = Simulation(seed=3)
    member = chat_node(SequencerBroadcast)
    sim.add_node("ann", member)
    sim.add_node("bob", member, script=[(5.0, "slides?")])
    sim.add_node("cat", member, script=[(20.0, "build is red")])
    sim.add_node("dan", member, script=[(30.0, "ship it!")])
    sim.crash("ann", at=12)
    sim.run(until=200)
    violations = check_broadcast(sim, ("reliable", "total"))
    assert {(v.property, v.message.payload.text) for v in violations} == {
        ("validity", "build is red"), ("validity", "ship it!")}
    for node in ("bob", "cat", "dan"):
        assert texts(deliveries(sim)[node]) == ["slides?"]
        assert {r["payload"].text for r in sim.node(node).held_back()} == {"build is red",
                                                                          "ship it!"}


def test_a_fixed_sequencer_does_not_give_causal_order_for_free():
    # It numbers messages in the order it receives them (Défago et al. 2004).
    plan = FaultPlan(reorder=0.3)
    found = []
    for seed in range(40):
        sim = chat_simulation(SequencerBroadcast, seed=seed, members=("ann", "bob", "cat"))
        sim.apply(plan, until=100)
        sim.run(until=400)
        assert check_total_order(sim) == [], f"seed={seed}"
        if check_causal(sim):
            found.append(seed)
    assert found


def test_a_restart_without_durable_state_reuses_ids_and_the_new_post_is_lost():
    # Crash-recovery (Cachin et al. 2011, Alg. 3.7): a restarted node forgets its numbering.
    def story(durable):
        sim = Simulation(seed=5)
        member = chat_node(CausalBroadcast)
        sim.add_node("ann", member, script=[(1.0, "before"), (30.0, "after")],
                     durable=durable, retransmit=20.0)
        sim.add_nodes(["bob", "cat"], member, durable=durable, retransmit=20.0)
        sim.crash("ann", at=20)
        sim.restart("ann", at=25)
        sim.run(until=200)
        return sim

    forgetful = story(durable=False)
    posts = [e.msg for e in forgetful.trace.outputs("broadcast")]
    assert [m.id for m in posts] == [("ann", 1), ("ann", 1)]       # the same id, twice
    problems = {(v.property, v.message.payload.text) for v in check_reliable(forgetful)}
    assert ("agreement", "after") in problems
    assert texts(deliveries(forgetful)["bob"]) == ["before"]
    careful = story(durable=True)
    assert [e.msg.id for e in careful.trace.outputs("broadcast")] == [("ann", 1), ("ann", 2)]
    assert check_broadcast(careful, ("reliable", "causal")) == []
    assert texts(deliveries(careful)["bob"]) == ["before", "after"]


def test_recovery_resends_the_log_when_the_links_forgot_it():
    # Ann's copies are all lost until she crashes; her retransmission buffer dies with
    # her. Only the durable log, resent on recovery, gets her post to the others.
    def story(durable):
        sim = Simulation(seed=7)
        member = chat_node(ReliableBroadcast)
        sim.add_node("ann", member, script=[(1.0, "hello")], durable=durable, retransmit=5.0)
        sim.add_nodes(["bob", "cat"], member, durable=durable, retransmit=5.0)
        sim.network.add_hook(lambda env: False if env.src == "ann" and env.send_time < 10
                             else None)
        sim.crash("ann", at=10)
        sim.restart("ann", at=15)
        sim.run(until=100)
        return sim

    assert {v.property for v in check_reliable(story(durable=False))} == {"agreement"}
    kept = story(durable=True)
    assert check_reliable(kept) == []
    assert all(texts(ms) == ["hello"] for ms in deliveries(kept).values())


# --- the checkers, on hand-made traces -----------------------------------------------------
def _trace(*steps):
    """steps: ("b", node, msg) for a broadcast, ("d", node, msg) for a delivery."""
    events = [TraceEvent(0.0, "start", n) for n in ("p", "q", "r")]
    for i, (kind, node, m) in enumerate(steps, 1):
        events.append(TraceEvent(float(i), "output", node, None, m, None,
                                 "broadcast" if kind == "b" else "deliver"))
    return Trace(events)


A, B, C = (Message("p", 1, "a"), Message("q", 1, "b"), Message("r", 1, "c"))
A2, A3 = Message("p", 2, "a2"), Message("p", 3, "a3")


def test_check_causal_follows_chains_of_deliveries():
    # a -> b (q delivered a before broadcasting b) -> c (r delivered b before c).
    trace = _trace(("b", "p", A), ("d", "p", A), ("d", "q", A), ("b", "q", B), ("d", "q", B),
                   ("d", "r", B), ("b", "r", C), ("d", "r", C),
                   ("d", "p", C))
    found = [(v.node, v.message.id) for v in check_causal(trace)]
    assert found == [("r", ("q", 1)), ("r", ("r", 1)), ("p", ("r", 1))]
    r_b, r_c, p_c = check_causal(trace)
    assert "before p#1 'a'" in r_b.detail and "q had delivered it" in r_b.detail
    assert "before p#1 'a'" in r_c.detail and "a chain of deliveries" in r_c.detail
    assert "before q#1 'b'" in p_c.detail and "r had delivered it" in p_c.detail
    several = _trace(("b", "p", A), ("b", "p", A2), ("b", "p", A3), ("d", "q", A3))
    [v] = check_causal(several)
    assert "before p#1 'a' (and 1 more), which happened before it: p broadcast it first" \
        in v.detail


def test_check_fifo_and_total_order_and_reliability_on_small_traces():
    out_of_order = _trace(("b", "p", A), ("b", "p", A2), ("d", "q", A2), ("d", "q", A))
    [v] = check_fifo(out_of_order)
    assert v.node == "q" and "p#2 'a2'" in v.detail and "p#1 'a'" in v.detail
    crossed = _trace(("b", "p", A), ("b", "q", B), ("d", "p", A), ("d", "p", B),
                     ("d", "q", B), ("d", "q", A))
    [t] = check_total_order(crossed)
    assert "p delivered p#1 'a' before q#1 'b'; q delivered them the other way round" == t.detail
    forged = _trace(("d", "q", C), ("b", "p", A), ("d", "p", A), ("d", "p", A))
    props = sorted(v.property for v in check_reliable(forged))
    # c: delivered by q, never by p and r; a: delivered by p, never by q and r.
    assert props == ["agreement"] * 4 + ["no creation", "no duplication"]
    # Agreement and validity bind the correct nodes only; the safety properties bind all.
    assert sorted(v.property for v in check_reliable(forged, correct=["p"])) == [
        "no creation", "no duplication"]


# --- tier 2: laws ---------------------------------------------------------------------------
vectors = st.dictionaries(st.sampled_from("abcd"), st.integers(0, 4), max_size=4)


@settings(max_examples=100, deadline=None)
@given(vectors, vectors, st.sampled_from("abcd"))
def test_can_deliver_exactly_when_nothing_is_missing_and_it_is_the_next_message(W, V, j):
    ok = can_deliver(W, V, j)
    assert ok == (missing(W, V, j) == {} and W.get(j, 0) == V.get(j, 0) + 1)
    assert ok == can_deliver(VectorClock(W), VectorClock(V), j)
    if ok:   # after delivering, the local vector covers the stamp
        assert VectorClock(W) <= VectorClock(V).increment(j)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.sets(st.integers(1, 12), max_size=8))
def test_fifo_release_delivers_the_contiguous_run_and_stops_at_the_first_gap(first, keys):
    held = {k: f"m{k}" for k in keys}
    ready, nxt = fifo_release(first, held)
    assert ready == [f"m{k}" for k in range(first, nxt)]
    assert nxt not in held and all(k not in held for k in range(first, nxt))
    assert set(held) == {k for k in keys if not first <= k < nxt}


@settings(max_examples=100, deadline=None)
@given(st.permutations(range(6)), st.integers(0, 6))
def test_total_order_checker_accepts_prefixes_of_one_order_and_rejects_swaps(order, cut):
    msgs = [Message("p", i + 1, i) for i in range(6)]
    seq = [msgs[i] for i in order]
    events = [("b", "p", m) for m in msgs] + [("d", "q", m) for m in seq]
    events += [("d", "r", m) for m in seq[:cut]]
    assert check_total_order(_trace(*events)) == []
    if cut >= 2:
        swapped = seq[:cut]
        swapped[0], swapped[1] = swapped[1], swapped[0]
        bad = [("b", "p", m) for m in msgs] + [("d", "q", m) for m in seq]
        bad += [("d", "r", m) for m in swapped]
        assert len(check_total_order(_trace(*bad))) == 1


def test_sequence_release_waits_for_both_the_number_and_the_message():
    data = {("a", 1): Message("a", 1, "x"), ("b", 1): Message("b", 1, "y")}
    orders = {1: ("b", 1), 2: ("a", 1), 3: ("c", 1)}
    ready, nxt = sequence_release(1, orders, data)
    assert [m.id for m in ready] == [("b", 1), ("a", 1)] and nxt == 3
    assert orders == {3: ("c", 1)} and data == {}


# --- tier 3: seed sweeps ------------------------------------------------------------------
PLAN = FaultPlan(loss=0.2, duplicate=0.1, reorder=0.3, partition_every=80,
                 partition_duration=(10, 30))
CRASHES = FaultPlan(loss=0.1, duplicate=0.05, reorder=0.2, crash_every=40,
                    restart_after=(5, 30), max_crashed=1)


def _judge(layer, seed, plan, properties, *, members=("ann", "bob", "cat"), **kwargs):
    sim = chat_simulation(layer, seed=seed, members=members, retransmit=40.0, **kwargs)
    sim.apply(plan, until=100)
    sim.run(until=500)
    return check_broadcast(sim, properties)


def test_causal_broadcast_never_violates_causality_over_many_seeds():
    """The issue's required check: loss, duplication, reordering and partitions."""
    failures = [f"seed={seed}: {v}" for seed in range(300)
                for v in _judge(CausalBroadcast, seed, PLAN, ("reliable", "fifo", "causal"))]
    assert not failures, "\n".join(failures[:5])


def test_causal_broadcast_with_four_members_over_many_seeds():
    failures = [f"seed={seed}: {v}" for seed in range(300, 360)
                for v in _judge(CausalBroadcast, seed, PLAN, ("reliable", "causal"),
                                members=("ann", "bob", "cat", "dan"))]
    assert not failures, "\n".join(failures[:5])


def test_the_same_checks_catch_the_weaker_protocols():
    caught = {}
    for layer in (ReliableBroadcast, FifoBroadcast):
        for seed in range(40):
            for v in _judge(layer, seed, PLAN, ("reliable", "fifo", "causal")):
                caught.setdefault((layer.__name__, v.property), []).append(seed)
    assert caught.get(("ReliableBroadcast", "fifo order")), caught.keys()
    assert caught.get(("ReliableBroadcast", "causal order")), caught.keys()
    assert caught.get(("FifoBroadcast", "causal order")), caught.keys()
    assert not caught.get(("FifoBroadcast", "fifo order")), \
        f"FIFO broadcast broke FIFO order: seeds {caught.get(('FifoBroadcast', 'fifo order'))}"
    unreliable = [k for k in caught if k[1] in ("agreement", "validity", "no duplication")]
    assert not unreliable, {k: caught[k][:3] for k in unreliable}


@pytest.mark.parametrize("layer, properties", [
    (ReliableBroadcast, ("reliable",)),
    (FifoBroadcast, ("reliable", "fifo")),
    (CausalBroadcast, ("reliable", "causal")),
    (SequencerBroadcast, ("reliable", "total")),
])
def test_crash_recovery_with_durable_state_keeps_every_property(layer, properties):
    failures = [f"seed={seed}: {v}" for seed in range(25)
                for v in _judge(layer, seed, CRASHES, properties, durable=True)]
    assert not failures, "\n".join(failures[:5])


@pytest.mark.parametrize("layer, properties", [
    (ReliableBroadcast, ("reliable",)),
    (CausalBroadcast, ("reliable", "causal")),
    (SequencerBroadcast, ("reliable", "total")),
])
def test_crash_recovery_without_durable_state_is_caught(layer, properties):
    broken = [seed for seed in range(10)
              if _judge(layer, seed, CRASHES, properties, durable=False)]
    assert len(broken) >= 3, f"only seeds {broken} showed a violation"


def test_total_order_over_many_seeds():
    failures = [f"seed={seed}: {v}" for seed in range(60)
                for v in _judge(SequencerBroadcast, seed, PLAN, ("reliable", "total"))]
    assert not failures, "\n".join(failures[:5])


def test_a_run_is_a_function_of_its_seed():
    def dump(seed):
        sim = chat_simulation(CausalBroadcast, seed=seed, retransmit=25.0, durable=True)
        sim.apply(CRASHES, until=100)
        sim.run(until=300)
        return sim.trace.dump()

    assert dump(11) == dump(11)
    assert dump(11) != dump(12)


# --- arguments, explorer, pictures -----------------------------------------------------------
def test_arguments_are_checked_with_helpful_errors():
    with pytest.raises(ValueError, match="retransmit"):
        ReliableBroadcast(retransmit=0)
    with pytest.raises(TypeError, match="retransmit"):
        ReliableBroadcast(retransmit="often")
    with pytest.raises(TypeError, match="durable"):
        CausalBroadcast(durable=1)
    with pytest.raises(ValueError, match="members"):
        chat_simulation(members="ann")
    with pytest.raises(ValueError, match="posts"):
        chat_simulation(posts=-1)
    with pytest.raises(TypeError, match="script"):
        chat_node(CausalBroadcast)(script="lunch?")
    with pytest.raises(ValueError, match="think"):
        chat_node(CausalBroadcast)(think=(3, 1))
    with pytest.raises(TypeError, match="layer"):
        chat_node(dict)
    with pytest.raises(ValueError, match="properties"):
        check_broadcast(Trace(), ("bogus",))
    with pytest.raises(TypeError, match="Trace"):
        transcript("not a trace", "ann")
    with pytest.raises(TypeError, match="Trace or a Simulation"):
        check_causal([1, 2])
    sim = Simulation(seed=0)
    sim.add_nodes(["a", "b"], SequencerBroadcast, sequencer="zed")
    with pytest.raises(NodeError) as err:
        sim.run(until=1)
    assert "sequencer='zed' is not a node" in str(err.value.__cause__)


def test_messages_print_readably():
    m = Message("ann", 2, Post("re: lunch?", reply_to=("bob", 1)))
    assert repr(m) == "Message(ann#2, Post('re: lunch?' ↩ bob#1))"
    assert repr(Packet(0, 3, m)).startswith("Packet(0.3, Message(ann#2")
    assert repr(Stamped(VectorClock({"ann": 1}), "x")) == "Stamped([ann:1], 'x')"
    assert repr(Order(4, ("ann", 2))) == "Order(4: ann#2)"


def test_explorer_shows_vectors_and_hold_back_queues():
    from distlab.widgets import Explorer

    def build(seed):
        return chat_simulation(CausalBroadcast, seed=seed, members=("ann", "bob", "cat"),
                               retransmit=25.0, durable=True, network=Network(loss=0.1))

    ex = Explorer(build, seed=6)
    rows = ex.state_rows()            # before anything ran: every node has a state
    assert {"V", "held back", "unacked", "seen"} <= set(rows[0])
    ex.advance(20)
    ex.crash("cat")
    ex.advance(30)
    ex.restart("cat")
    ex.advance(60)
    assert [r["status"] for r in ex.state_rows()] == ["up", "up", "up"]
    assert check_causal(ex.sim) == []


def test_pictures_draw_hold_back_bars_and_the_layer_stack():
    from distlab.viz.broadcast import animate_holdback, holdback_diagram, layer_stack

    sim = lunch(CausalBroadcast)
    ax = holdback_diagram(sim)
    bars = [ln for ln in ax.lines if ln.get_linewidth() == 7]
    [h] = holdbacks(sim)
    assert len(bars) == 1 and list(bars[0].get_xdata()) == [h.arrived, h.delivered]
    plt.close("all")
    ax = layer_stack(chat_node(CausalBroadcast))
    names = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert names == ["ChatMember", "CausalBroadcast", "ReliableBroadcast",
                     "BestEffortBroadcast", "PerfectLinks", "the simulated network"]
    plt.close("all")
    html = animate_holdback(sim, times=[10]).html
    assert "_anim_img" in html and html == animate_holdback(sim, times=[10]).html
