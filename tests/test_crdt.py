"""State-based CRDTs: the G-Counter, the PN-Counter and the merge laws.

References: Shapiro, Preguiça, Baquero, Zawirski 2011 ("Conflict-free Replicated Data
Types", §2.2: a state-based object whose merge is a join and whose updates inflate
converges) and the comprehensive study RR-7506 (§3.1.2 G-Counter, Specification 6;
§3.1.3 PN-Counter, Specification 7). Taught in notebook 1.5.
"""

from __future__ import annotations

import copy
import pickle
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.counter.lww import LWWValue
from distlab.clocks import LamportTimestamp
from distlab.crdt import LAWS, GCounter, PNCounter, StateCRDT, law_violations, merge_all
from distlab.sim import Storage

REPLICAS = ["r1", "r2", "r3", "r4"]

payloads = st.dictionaries(st.sampled_from(REPLICAS), st.integers(0, 12), max_size=4)
gcounters = payloads.map(GCounter)
pncounters = st.builds(PNCounter, gcounters, gcounters)
lww_values = st.builds(LWWValue, st.integers(-5, 20),
                       st.builds(LamportTimestamp, st.integers(0, 6), st.sampled_from(REPLICAS)))
ANY = st.one_of(
    st.tuples(gcounters, gcounters, gcounters),
    st.tuples(pncounters, pncounters, pncounters),
    st.tuples(lww_values, lww_values, lww_values),
)


# --- scenarios: the specifications, as short stories -------------------------------------

def test_gcounter_spec6_concurrent_increments_both_count():
    """Spec 6: r1 counts twice and r2 once, concurrently; merged either way, 3."""
    base = GCounter()
    at_r1 = base.increment("r1").increment("r1")
    at_r2 = base.increment("r2")
    assert at_r1.merge(at_r2) == at_r2.merge(at_r1) == GCounter({"r1": 2, "r2": 1})
    assert at_r1.merge(at_r2).value() == 3
    assert base.value() == 0 and at_r1.value() == 2   # updates return new states


def test_gcounter_merge_keeps_the_newer_copy_of_each_entry():
    """An entry counts one replica's increments: the larger copy is the newer one."""
    old = GCounter({"r1": 2, "r2": 5})
    new = GCounter({"r1": 4, "r2": 1})
    assert old.merge(new).entries() == {"r1": 4, "r2": 5}
    assert old.merge(new)["r3"] == 0


def test_pncounter_spec7_decrements_are_increments_of_N():
    """Spec 7: P counts increments, N decrements; the value is P - N, possibly < 0."""
    c = PNCounter().increment("r1", 3).decrement("r2").decrement("r2")
    assert (c.P.entries(), c.N.entries(), c.value()) == ({"r1": 3}, {"r2": 2}, 1)
    assert PNCounter().decrement("r1", 2).value() == -2
    other = PNCounter().increment("r2").decrement("r1")
    assert c.merge(other).value() == 3 + 1 - 2 - 1


def test_a_summing_merge_is_caught_as_not_idempotent():
    """law_violations is honest: a merge that adds entries breaks idempotence."""

    class Summing(GCounter):
        __slots__ = ()

        def merge(self, other):
            keys = sorted(set(self.replicas) | set(other.replicas))
            return Summing({k: self[k] + other[k] for k in keys})

    a, b, c = Summing({"r1": 1}), Summing({"r2": 2}), Summing({"r1": 3})
    assert law_violations(a, b, c) == ["idempotent"]
    assert law_violations(GCounter({"r1": 1}), GCounter({"r2": 2}), GCounter({"r1": 3})) == []


def test_a_min_merge_is_caught_as_not_an_upper_bound():
    class Minimum(GCounter):
        __slots__ = ()

        def merge(self, other):
            return Minimum({k: min(self[k], other[k]) for k in self.replicas})

    a, b = Minimum({"r1": 2}), Minimum({"r1": 5})
    assert law_violations(a, b, a) == ["upper bound"]


# --- the merge laws, property-tested ------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(ANY)
def test_merge_is_commutative_associative_idempotent(triple):
    a, b, c = triple
    assert a.merge(b) == b.merge(a), "commutative"
    assert a.merge(b).merge(c) == a.merge(b.merge(c)), "associative"
    assert a.merge(a) == a, "idempotent"
    assert law_violations(a, b, c) == []
    assert LAWS == ("commutative", "associative", "idempotent")


@settings(max_examples=150, deadline=None)
@given(ANY)
def test_merge_is_the_least_upper_bound(triple):
    a, b, c = triple
    ab = a.merge(b)
    assert a.leq(ab) and b.leq(ab)
    if a.leq(c) and b.leq(c):
        assert ab.leq(c)                          # least
    assert a.leq(b) == (a.merge(b) == b)          # the order is the merge's order


@settings(max_examples=100, deadline=None)
@given(ANY)
def test_leq_is_a_partial_order(triple):
    a, b, c = triple
    assert a.leq(a)
    if a.leq(b) and b.leq(a):
        assert a == b
    if a.leq(b) and b.leq(c):
        assert a.leq(c)


@settings(max_examples=100, deadline=None)
@given(pncounters, st.sampled_from(REPLICAS), st.integers(1, 5), st.booleans())
def test_updates_inflate(state, replica, amount, up):
    after = state.increment(replica, amount) if up else state.decrement(replica, amount)
    assert state.leq(after) and not after.leq(state)
    assert after.value() == state.value() + (amount if up else -amount)
    g = state.P
    assert g.leq(g.increment(replica, amount)) and g.increment(replica).value() > g.value()


# --- convergence: any order, any duplication ------------------------------------------------

updates = st.lists(st.tuples(st.sampled_from(REPLICAS[:3]), st.booleans(),
                             st.integers(1, 3)), min_size=1, max_size=15)


@settings(max_examples=120, deadline=None)
@given(updates, st.randoms(use_true_random=False), st.integers(0, 10))
def test_states_delivered_in_any_order_with_duplicates_converge(ops, rnd, extra):
    """Every state a replica produced is gossiped; receivers get them shuffled, some
    twice. Every receiver ends in the same state, whose value is the true total."""
    state = {r: PNCounter() for r in REPLICAS[:3]}
    gossiped, total = [], 0
    for replica, up, amount in ops:
        if up:
            state[replica] = state[replica].increment(replica, amount)
            total += amount
        else:
            state[replica] = state[replica].decrement(replica, amount)
            total -= amount
        gossiped.append(state[replica])
    finals = [s for s in state.values()]
    expected = merge_all(finals)
    for _ in range(3):
        delivery = gossiped + [rnd.choice(gossiped) for _ in range(extra)]
        rnd.shuffle(delivery)
        got = merge_all([PNCounter()] + delivery)
        assert got == expected
        assert got.value() == total


def test_convergence_many_random_gossip_schedules():
    """Three replicas exchange states along random pairs, with updates in between: once
    every replica has (transitively) heard from every other, all states are equal."""
    for seed in range(200):
        rng = random.Random(seed)
        state = {r: GCounter() for r in REPLICAS[:3]}
        total = 0
        for _ in range(30):
            r = rng.choice(REPLICAS[:3])
            if rng.random() < 0.5:
                state[r] = state[r].increment(r)
                total += 1
            else:
                src = rng.choice(REPLICAS[:3])
                state[r] = state[r].merge(state[src])
        for _ in range(2):                      # two full rounds of all-to-all gossip
            for r in REPLICAS[:3]:
                for src in REPLICAS[:3]:
                    state[r] = state[r].merge(state[src])
        values = {s.value() for s in state.values()}
        assert values == {total}, f"seed={seed}: values {values}, true total {total}"


# --- values: immutable, hashable, storable -------------------------------------------------

def test_states_are_immutable_values():
    g = GCounter({"r1": 1})
    with pytest.raises(AttributeError):
        g._p = {}
    with pytest.raises(AttributeError):
        PNCounter().foo = 1
    assert GCounter({"r1": 1, "r2": 0}) == GCounter([("r1", 1)])   # zeros are absent
    assert hash(GCounter({"r1": 1, "r2": 0})) == hash(GCounter({"r1": 1}))
    assert len({PNCounter().increment("r1"), PNCounter().increment("r1")}) == 1
    assert GCounter({"r1": 1}) != PNCounter(GCounter({"r1": 1}))


def test_states_survive_storage_pickle_and_copy():
    c = PNCounter().increment("r1", 2).decrement("r3")
    storage = Storage()
    storage["state"] = c
    assert storage["state"] == c
    assert copy.deepcopy(c) is c                     # immutable: no copy needed
    assert pickle.loads(pickle.dumps(c)) == c
    assert pickle.loads(pickle.dumps(GCounter({"r2": 4}))) == GCounter({"r2": 4})


def test_readable_reprs_and_sizes():
    c = PNCounter().increment("r2").increment("r1", 2).decrement("r1")
    assert repr(c) == "PNCounter(P={'r1': 2, 'r2': 1}, N={'r1': 1})"
    assert str(c) == "P{r1:2, r2:1} N{r1:1}"
    assert repr(GCounter({"r2": 1, "r1": 3})) == "GCounter({'r1': 3, 'r2': 1})"
    assert (c.size(), c.P.size(), GCounter().size()) == (3, 2, 0)
    assert GCounter({"r2": 1, "r1": 3}).replicas == ("r1", "r2")


def test_state_crdt_is_abstract():
    with pytest.raises(TypeError):
        StateCRDT()

    class NoSize(StateCRDT):
        def value(self):
            return 0

        def merge(self, other):
            return self

        def leq(self, other):
            return True

    with pytest.raises(TypeError):
        NoSize()


# --- argument checks -------------------------------------------------------------------------

@pytest.mark.parametrize("bad, error", [
    ({"r1": -1}, ValueError),
    ({1: 2}, TypeError),
    ({"r1": 1.5}, TypeError),
    ({"r1": True}, TypeError),
    ({"": 1}, ValueError),
    ("r1", TypeError),
    ([1, 2], TypeError),
])
def test_gcounter_rejects_bad_payloads(bad, error):
    with pytest.raises(error):
        GCounter(bad)


def test_updates_and_merges_reject_bad_arguments():
    g = GCounter()
    with pytest.raises(ValueError, match="amount"):
        g.increment("r1", 0)
    with pytest.raises(TypeError, match="amount"):
        g.increment("r1", True)
    with pytest.raises(TypeError, match="replica"):
        g.increment(3)
    with pytest.raises(TypeError, match="GCounter.merge needs another GCounter"):
        g.merge(PNCounter())
    with pytest.raises(TypeError):
        PNCounter().leq(g)
    with pytest.raises(ValueError, match="at least one"):
        merge_all([])
    with pytest.raises(TypeError):
        merge_all([g, {"r1": 1}])
    with pytest.raises(TypeError, match="one type"):
        law_violations(g, g, PNCounter())
    with pytest.raises(ValueError, match="later"):
        LWWValue(1, LamportTimestamp(3, "r1")).write(2, LamportTimestamp(2, "r1"))
