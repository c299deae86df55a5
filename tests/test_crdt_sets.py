"""State-based sets and registers: G-Set, 2P-Set, OR-Set, LWW-Register, MV-Register.

References: Shapiro, Preguiça, Baquero, Zawirski 2011 ("Conflict-free Replicated Data
Types", §2.2: a join-semilattice state with inflationary updates converges) and the
comprehensive study RR-7506 (§3.2.1 LWW-Register, Spec. 8; §3.2.2 MV-Register, Spec. 10;
§3.3.1 G-Set, Spec. 11; §3.3.2 2P-Set, Spec. 12; §3.3.5 OR-Set). Taught in notebook 2.10.
"""

from __future__ import annotations

import copy
import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.clocks import VectorClock
from distlab.crdt import (GCounter, GSet, LWWRegister, MVRegister, ORSet, PNCounter,
                          StateCRDT, TwoPSet, law_violations, merge_all)
from distlab.replication import check_cart, final_carts
from distlab.replication.experiments import cart_run

REPLICAS = ("r1", "r2", "r3")
ITEMS = ("apples", "bread", "milk")
TYPES = ("gset", "2pset", "orset", "lww", "mv")


def _update(kind: str, state: StateCRDT, replica: str, rng: random.Random, tick: int):
    item = rng.choice(ITEMS)
    if kind == "gset":
        return state.add(item)
    if kind == "2pset":
        return state.remove(item) if state.lookup(item) and rng.random() < 0.4 \
            else state.add(item)
    if kind == "orset":
        return state.remove(item) if state.lookup(item) and rng.random() < 0.4 \
            else state.add(item, replica)
    if kind == "lww":
        return state.assign(item, time=rng.randrange(6), replica=replica)
    return state.assign(f"{item}{tick}", replica)


def _empty(kind: str) -> StateCRDT:
    return {"gset": GSet, "2pset": TwoPSet, "orset": ORSet, "lww": LWWRegister,
            "mv": MVRegister}[kind]()


def random_run(kind: str, seed: int, steps: int = 14) -> list[StateCRDT]:
    """Every state reached when three replicas update and merge at random: reachable
    states, as a real execution makes them (an OR-Set's tags stay unique)."""
    rng = random.Random(seed)
    states = {r: _empty(kind) for r in REPLICAS}
    seen = list(states.values())
    for tick in range(steps):
        r = rng.choice(REPLICAS)
        if rng.random() < 0.35:
            states[r] = states[r].merge(states[rng.choice(REPLICAS)])
        else:
            states[r] = _update(kind, states[r], r, rng, tick)
        seen.append(states[r])
    return seen


triples = st.builds(lambda kind, seed, picks: (kind, [random_run(kind, seed)[i % 15]
                                                     for i in picks]),
                    st.sampled_from(TYPES), st.integers(0, 10_000),
                    st.lists(st.integers(0, 14), min_size=3, max_size=3))


# --- scenarios: the specifications ------------------------------------------------------------

def test_gset_spec11_union_and_inclusion():
    a, b = GSet().add("milk"), GSet().add("eggs").add("milk")
    assert a.merge(b).value() == ("eggs", "milk") and a.leq(b) and not b.leq(a)
    assert "eggs" in b and "eggs" not in a


def test_twopset_spec12_remove_wins_for_good():
    s = TwoPSet().add("milk").add("eggs").remove("milk")
    assert s.value() == ("eggs",) and s.removed == ("milk",)
    assert s.add("milk").value() == ("eggs",)          # re-adding has no effect
    concurrent_add = TwoPSet().add("milk").add("milk")
    assert s.merge(concurrent_add).value() == ("eggs",)
    with pytest.raises(ValueError, match="precondition"):
        s.remove("tea")


def test_orset_concurrent_add_and_remove_add_wins():
    """§3.3.5: a remove only removes the pairs it has observed."""
    base = ORSet().add("milk", "alice")
    bob = base.remove("milk")
    alice = base.add("milk", "alice")                 # a new tag Bob never saw
    assert alice.merge(bob).value() == ("milk",) == bob.merge(alice).value()
    assert bob.merge(base).value() == ()              # the observed add stays removed
    again = bob.add("milk", "bob")
    assert again.value() == ("milk",)                 # unlike a 2P-Set, re-adding works
    assert again.size() == 2                          # one live pair and one tombstone


def test_orset_tags_are_unique_per_replica():
    s = ORSet().add("x", "r1").add("x", "r1").remove("x").add("x", "r1")
    tags = [t for _, t in s.entries + s.tombstones]
    assert sorted(tags) == [("r1", 1), ("r1", 2), ("r1", 3)]


def test_lww_register_spec8_larger_stamp_wins_and_a_slow_clock_loses():
    a = LWWRegister().assign("blue", time=10, replica="r1")
    b = a.assign("green", time=7, replica="r2")        # a later write, from a clock behind
    assert b.value() == "blue" and b == a              # lost at once
    c = a.assign("green", time=10, replica="r2")       # same time: the replica id decides
    assert c.value() == "green" and c.stamp == (10, "r2")


def test_mv_register_spec10_keeps_concurrent_values_and_a_write_overwrites_what_it_saw():
    base = MVRegister().assign("eggs", "r1")
    a, b = base.assign("eggs, milk", "r1"), base.assign("eggs, flour", "r2")
    both = a.merge(b)
    assert both.value() == ("eggs, flour", "eggs, milk")
    assert both.clock() == VectorClock({"r1": 2, "r2": 1})
    assert both.assign("all three", "r2").value() == ("all three",)
    assert a.merge(base) == a                          # the older value is dominated


def test_existing_counters_are_unchanged():
    c = PNCounter().increment("r1", 2).decrement("r2")
    assert c.value() == 1 and GCounter({"r1": 2}).merge(GCounter({"r2": 1})).value() == 3


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(triples)
def test_merge_laws_hold_for_every_type(triple):
    kind, (a, b, c) = triple
    assert law_violations(a, b, c) == [], kind


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(TYPES), st.integers(0, 10_000))
def test_updates_and_merges_inflate(kind, seed):
    rng = random.Random(seed)
    states = random_run(kind, seed)
    for s in states:
        t = states[rng.randrange(len(states))]
        assert s.leq(s.merge(t)) and t.leq(s.merge(t))
        assert s.leq(_update(kind, s, "r1", rng, 99))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TYPES), st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_any_delivery_order_with_duplicates_converges(kind, seed, rnd):
    """Strong eventual consistency: the same states, in any order, any number of times."""
    states = random_run(kind, seed)
    delivery = states + [rnd.choice(states) for _ in range(5)]
    rnd.shuffle(delivery)
    assert merge_all(delivery) == merge_all(states)


def test_states_are_immutable_picklable_values_with_deterministic_reprs():
    for kind in TYPES:
        s = random_run(kind, 3)[-1]
        with pytest.raises(AttributeError):
            s.x = 1
        assert pickle.loads(pickle.dumps(s)) == s and copy.deepcopy(s) is s
        assert hash(s) == hash(pickle.loads(pickle.dumps(s)))
    assert repr(ORSet().add("b", "r2").add("a", "r1")) == "ORSet(E={'a'@r1.1, 'b'@r2.1}, T={})"
    assert repr(TwoPSet(["b", "a"], ["a"])) == "TwoPSet(A={'a', 'b'}, R={'a'})"


@pytest.mark.parametrize("call, error, text", [
    (lambda: GSet("milk"), TypeError, "not a single string"),
    (lambda: GSet([["unhashable"]]), TypeError, "hashable"),
    (lambda: TwoPSet([], ["a"]), ValueError, "added first"),
    (lambda: ORSet().add("x", ""), TypeError, "replica"),
    (lambda: ORSet().remove("x"), ValueError, "precondition"),
    (lambda: ORSet([("x", ("r1", 1))], [("x", ("r1", 1))]), ValueError, "both live"),
    (lambda: LWWRegister("v"), ValueError, "stamp"),
    (lambda: LWWRegister().assign("v", time="now", replica="r1"), TypeError, "time"),
    (lambda: MVRegister([("a", VectorClock({"r1": 1})), ("b", VectorClock({"r1": 2}))]),
     ValueError, "dominated"),
    (lambda: GSet().merge(TwoPSet()), TypeError, "needs another GSet"),
])
def test_bad_arguments_are_named(call, error, text):
    with pytest.raises(error, match=text):
        call()


# --- a gossiped cart in the simulator ------------------------------------------------------------

def test_cart_replicas_converge_under_faults_seed_sweep():
    """Loss 20 %, duplicates, reordering, crashes and partitions: the OR-Set cart
    converges and never loses an item added after its last remove."""
    for seed in range(100):
        violations = check_cart(seed, "orset")
        assert not violations, f"seed={seed}: {violations}"


def test_a_2pset_cart_loses_items_added_again():
    found = [seed for seed in range(30) if any(v.property == "lost add"
                                               for v in check_cart(seed, "2pset"))]
    assert found, "a 2P-Set never re-adds, so some seed must show a lost add"
    sim = cart_run(found[0], crdt="2pset")
    assert len(set(final_carts(sim.trace, ["r1", "r2", "r3"]).values())) == 1  # converged
