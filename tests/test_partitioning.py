"""Partitioning: hash mod N, key ranges, consistent hashing, rendezvous hashing, hot keys.

References: Karger et al. 1997 (consistent hashing: a join moves about K/N keys, only to
the new node); DeCandia et al. 2007, §4.2 (virtual nodes, preference lists); Thaler &
Ravishankar 1998 (highest random weight); Kleppmann 2017, ch. 6 (hash mod N, key
ranges, hot spots). Taught in notebook 2.11.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.partitioning import (HASH_SPACE, HashRing, ModN, RangePartitioner, Rendezvous,
                                  assignment, hottest, imbalance, loads, modn_moved_fraction,
                                  moved, salted_requests, salting_cost, stable_hash,
                                  zipf_requests)

KEYS = [f"user:{i}" for i in range(6000)]
NODES = [f"n{i}" for i in range(1, 9)]

node_sets = st.lists(st.sampled_from([f"n{i}" for i in range(1, 13)]), min_size=1,
                     max_size=8, unique=True)
key_lists = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60, unique=True)


# --- scenarios ---------------------------------------------------------------------------------

def test_stable_hash_is_md5_based_and_the_same_in_every_interpreter():
    """Python's hash() of a str changes with PYTHONHASHSEED; stable_hash must not."""
    code = ("from distlab.partitioning import HashRing, stable_hash\n"
            "r = HashRing(['a', 'b', 'c'], vnodes=4)\n"
            "print(stable_hash('user:1'), [r.owner(f'k{i}') for i in range(20)])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "3")}
    assert len(outs) == 1
    assert 0 <= stable_hash("user:1") < HASH_SPACE
    assert stable_hash(42) == stable_hash("42") and stable_hash(b"x") == stable_hash("x")


def test_hash_mod_n_moves_n_over_n_plus_1_of_the_keys_on_a_join():
    """Kleppmann ch. 6: with hash mod N almost every key moves when N changes."""
    for n in (3, 5, 8):
        before = ModN(NODES[:n])
        after = before.with_node("new")
        fraction = len(moved(before, after, KEYS)) / len(KEYS)
        assert abs(fraction - modn_moved_fraction(n)) < 0.03, (n, fraction)
        assert fraction > 0.7


def test_consistent_hashing_join_moves_about_k_over_n_keys_all_to_the_newcomer():
    """Karger et al. 1997: a join moves ~K/(N+1) keys, and only to the new node."""
    ring = HashRing(NODES[:5], vnodes=128)
    bigger = ring.with_node("n9")
    changes = moved(ring, bigger, KEYS)
    assert {new for _, _, new in changes} == {"n9"}
    assert abs(len(changes) / len(KEYS) - 1 / 6) < 0.05


def test_consistent_hashing_leave_moves_only_the_leavers_keys():
    ring = HashRing(NODES[:6], vnodes=32)
    smaller = ring.without_node("n3")
    changes = moved(ring, smaller, KEYS)
    owned = [k for k, o in assignment(ring, KEYS).items() if o == "n3"]
    assert sorted(k for k, _, _ in changes) == sorted(owned)
    assert all(old == "n3" for _, old, _ in changes)


def test_more_virtual_nodes_even_out_the_load():
    """DeCandia et al. §4.2: one token per node gives very unequal arcs."""
    spread = {v: imbalance(loads(HashRing(NODES, vnodes=v), KEYS)) for v in (1, 16, 256)}
    assert spread[1] > spread[16] > spread[256]
    assert spread[1] > 1.5 and spread[256] < 1.2
    shares = HashRing(NODES, vnodes=64).ownership()
    assert abs(sum(shares.values()) - 1.0) < 1e-9 and set(shares) == set(NODES)


def test_weighted_tokens_give_a_bigger_share():
    ring = HashRing(["small", "big"], vnodes={"small": 32, "big": 96})
    share = ring.ownership()
    assert 0.65 < share["big"] < 0.85


def test_preference_list_is_the_first_n_distinct_nodes_clockwise():
    ring = HashRing(NODES[:5], vnodes=16)
    for key in KEYS[:200]:
        prefs = ring.preference_list(key, 3)
        assert len(prefs) == len(set(prefs)) == 3 and prefs[0] == ring.owner(key)
    assert ring.preference_list("k", 10) == ring.preference_list("k", 5)  # only 5 nodes


def test_rendezvous_join_moves_only_keys_won_by_the_newcomer():
    """Thaler & Ravishankar 1998: a key moves iff the new node outscores the old winner."""
    hrw = Rendezvous(NODES[:5])
    bigger = hrw.with_node("n9")
    changes = moved(hrw, bigger, KEYS)
    assert {new for _, _, new in changes} == {"n9"}
    assert abs(len(changes) / len(KEYS) - 1 / 6) < 0.03
    assert hrw.top("user:1", 3)[0] == hrw.owner("user:1")


def test_range_partitioning_lookup_scan_and_split():
    p = RangePartitioner(["g", "p"], ["n1", "n2", "n3"])
    assert [p.owner(k) for k in ("apple", "g", "grape", "p", "zoo")] == ["n1", "n2", "n2",
                                                                         "n3", "n3"]
    assert p.scan("b", "h") == [0, 1] and p.scan("q", "r") == [2]
    q = p.split(2, "t", "n4")
    assert q.owner("s") == "n3" and q.owner("u") == "n4" and "n4" in q.nodes
    with pytest.raises(ValueError, match="inside range"):
        p.split(0, "z")


def test_sequential_keys_pile_up_in_the_last_range_until_split():
    """Timestamps as keys: every new write goes to the range that holds the latest."""
    stamps = [f"2024-03-{d:02d}T{h:02d}" for d in range(1, 29) for h in range(24)]
    p = RangePartitioner(["2024-03-10", "2024-03-20"], ["n1", "n2", "n3"])
    recent = stamps[-100:]
    assert set(assignment(p, recent).values()) == {"n3"}
    split, count = p.split_until(stamps, max_keys=100)
    per_range = loads(split, stamps)
    assert count > 0 and max(len([k for k in stamps if split.index(k) == i])
                             for i in range(len(split.ranges))) <= 100
    assert sum(per_range.values()) == len(stamps)


def test_a_hot_key_stays_hot_until_it_is_salted():
    requests = zipf_requests(500, 20_000, s=1.2, seed=1)
    (hot, count), = hottest(requests, 1)
    assert hot == "k0" and count > 0.1 * len(requests)
    ring = HashRing(NODES, vnodes=128)
    plain = salting_cost(ring, requests, [hot], salts=1)
    salted = salting_cost(ring, requests, [hot], salts=8)
    assert salted.max_load < plain.max_load and salted.requests == plain.requests
    reads = salting_cost(ring, requests, [hot], salts=8, read_fraction=0.5)
    assert reads.requests > plain.requests + 3 * count   # each read of k0 asks 8 sub-keys
    assert all(r.startswith(hot + "#") or r != hot
               for r in salted_requests(requests, [hot], 4, seed=2))


# --- properties --------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(node_sets, st.sampled_from(["n20", "n21"]), key_lists, st.integers(1, 8))
def test_ring_join_moves_keys_only_to_the_new_node(nodes, new, keys, vnodes):
    ring = HashRing(nodes, vnodes=vnodes)
    assert all(n == new for _, _, n in moved(ring, ring.with_node(new), keys))


@settings(max_examples=40, deadline=None)
@given(node_sets.filter(lambda ns: len(ns) >= 2), key_lists, st.integers(1, 8), st.data())
def test_ring_leave_moves_only_the_leavers_keys(nodes, keys, vnodes, data):
    leaver = data.draw(st.sampled_from(nodes))
    ring = HashRing(nodes, vnodes=vnodes)
    assert all(old == leaver for _, old, _ in moved(ring, ring.without_node(leaver), keys))


@settings(max_examples=40, deadline=None)
@given(node_sets, key_lists, st.data())
def test_rendezvous_moves_only_keys_of_the_node_that_joins_or_leaves(nodes, keys, data):
    hrw = Rendezvous(nodes)
    assert all(n == "n20" for _, _, n in moved(hrw, hrw.with_node("n20"), keys))
    if len(nodes) >= 2:
        leaver = data.draw(st.sampled_from(nodes))
        assert all(o == leaver for _, o, _ in moved(hrw, hrw.without_node(leaver), keys))


@settings(max_examples=40, deadline=None)
@given(node_sets, key_lists)
def test_every_scheme_is_deterministic_and_total(nodes, keys):
    for make in (ModN, Rendezvous, lambda ns: HashRing(ns, vnodes=4)):
        a, b = make(nodes), make(list(nodes))
        owners = assignment(a, keys)
        assert owners == assignment(b, keys) and set(owners.values()) <= set(nodes)
        assert sum(loads(a, keys).values()) == len(keys)


# --- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, text", [
    (lambda: HashRing(["a", "a"]), ValueError, "distinct"),
    (lambda: HashRing("ab"), TypeError, "list of node ids"),
    (lambda: HashRing(["a"], vnodes=0), ValueError, "vnodes"),
    (lambda: HashRing(["a"]).preference_list("k", 0), ValueError, "n must"),
    (lambda: ModN([]), ValueError, "at least one"),
    (lambda: stable_hash(1.5), TypeError, "key must be"),
    (lambda: RangePartitioner(["b", "a"], ["n1", "n2", "n3"]), ValueError, "increasing"),
    (lambda: RangePartitioner(["b"], ["n1"]), ValueError, "one node per range"),
    (lambda: zipf_requests(0, 10), ValueError, "n_keys"),
    (lambda: imbalance([]), ValueError, "at least one"),
    (lambda: Rendezvous(["a"]).without_node("b"), ValueError, "not one of"),
])
def test_bad_arguments_are_named(call, error, text):
    with pytest.raises(error, match=text):
        call()
