"""The Dynamo-style store, piece by piece (DeCandia et al. 2007): the ring, versions,
Merkle trees, and short scripted stories for each mechanism."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.clocks import VectorClock
from distlab.dynamo import (Config, DynamoNode, KVClient, LastWriterWins, Put, ReplicaWrite,
                            Ring, VectorClockVersions, Version, add_client, add_operator,
                            build_tree, check_convergence, check_durability, cluster,
                            differing_leaves, final_stores, fingerprint, in_range, leaf_of,
                            merge_views, position, reconcile, sloppy_targets, strict_targets)
from distlab.dynamo.messages import Handoff, MerkleLevel, MerkleRoots, SyncLeaves
from distlab.partitioning import HashRing
from distlab.sim import Constant, Network

NODES = ["n1", "n2", "n3", "n4", "n5"]
QUIET = Config(gossip_every=None, anti_entropy_every=None, handoff_every=None)


def values(sim, process, f="get"):
    return [op.output for op in sim.history.operations() if op.process == process and op.f == f]


# --- the ring (§4.2, §4.3) ------------------------------------------------------------------
def test_walks_agree_with_the_partitioning_chapters_hash_ring():
    ring, hashring = Ring(NODES, 8), HashRing(NODES, vnodes=8)
    for i in range(200):
        key = f"key{i}"
        assert ring.preference_list(key, 3) == tuple(hashring.preference_list(key, 3))
        assert sorted(ring.walk(key)) == sorted(NODES)


def test_ranges_tile_the_circle_and_share_a_preference_list():
    ring = Ring(NODES, 4)
    arcs = ring.ranges()
    assert len(arcs) == 20
    for i in range(300):
        key = f"k{i}"
        holding = [arc for arc in arcs if in_range(position(key), *arc)]
        assert holding == [ring.range_of(key)]          # exactly one arc holds each key
        assert ring.range_replicas(holding[0], 3) == ring.preference_list(key, 3)


def test_a_join_moves_only_the_keys_whose_preference_list_changes():
    before, after = Ring(NODES, 8), Ring(NODES + ["n6"], 8)
    keys = [f"k{i}" for i in range(600)]
    moved = [k for k in keys if before.preference_list(k, 1) != after.preference_list(k, 1)]
    assert all(after.preference_list(k, 1) == ("n6",) for k in moved)
    assert 0.08 < len(moved) / len(keys) < 0.3           # about 1/6, not nearly all


def test_ring_arguments_are_checked():
    with pytest.raises(ValueError, match="vnodes must be an int >= 1"):
        Ring(NODES, 0)
    with pytest.raises(TypeError, match="not a string"):
        Ring("n1,n2")
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        Ring(NODES).preference_list("x", 0)
    assert Ring([]).walk("x") == ()


# --- versions (§4.4) ----------------------------------------------------------------------
clocks = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3)).map(VectorClock)
versions = st.builds(Version, st.sampled_from(["v1", "v2", "v3"]), clocks)
version_sets = st.lists(versions, max_size=5).map(reconcile)


@settings(max_examples=150, deadline=None)
@given(version_sets, version_sets, version_sets)
def test_syntactic_reconciliation_is_a_join(a, b, c):
    vc = VectorClockVersions()
    assert vc.merge(a, b) == vc.merge(b, a)                          # commutative
    assert vc.merge(vc.merge(a, b), c) == vc.merge(a, vc.merge(b, c))  # associative
    assert vc.merge(a, a) == a                                         # idempotent
    merged = vc.merge(a, b)
    for x in merged:        # siblings: no version supersedes another
        assert not any(x.clock < y.clock for y in merged)
    for x in (*a, *b):      # nothing is lost: each input is kept or superseded
        assert any(x.clock <= y.clock for y in merged)


def test_concurrent_writes_become_siblings_and_a_reconciling_write_replaces_them():
    vc = VectorClockVersions()
    d2 = Version("D2", VectorClock({"sx": 2}))
    d3 = vc.stamp("D3", context=d2.clock, client="sy", coordinator="n1")
    d4 = vc.stamp("D4", context=d2.clock, client="sz", coordinator="n1")
    assert vc.merge((d2,), (d3,), (d4,)) == tuple(sorted((d3, d4), key=Version.key))
    ctx = d3.clock.merge(d4.clock)
    d5 = vc.stamp("D5", context=ctx, client="sx", coordinator="n1")
    assert vc.merge((d3, d4), (d5,)) == (d5,)


def test_last_writer_wins_keeps_one_version_and_drops_the_other():
    lww = LastWriterWins()
    a = lww.stamp("a", context=VectorClock(), client="c1", coordinator="n1", now=5.0)
    b = lww.stamp("b", context=VectorClock(), client="c2", coordinator="n2", now=4.0)
    assert lww.merge((a,), (b,)) == (a,) == lww.merge((b,), (a,))


def test_version_policy_arguments_are_checked():
    with pytest.raises(ValueError, match="actor must be one of"):
        VectorClockVersions("server")
    with pytest.raises(TypeError, match="context must be a VectorClock"):
        VectorClockVersions().stamp("v", context={}, client="c", coordinator="n")


# --- Merkle trees (§4.7) --------------------------------------------------------------------
entries = st.dictionaries(st.sampled_from([f"k{i}" for i in range(12)]),
                          st.sampled_from(["d1", "d2", "d3"]), max_size=12)


@settings(max_examples=150, deadline=None)
@given(entries, entries)
def test_descending_merkle_trees_finds_exactly_the_buckets_that_differ(a, b):
    ta, tb = build_tree(a, 3), build_tree(b, 3)
    leaves, compared = differing_leaves(ta, tb)
    truth = sorted({leaf_of(k, 3) for k in set(a) | set(b) if a.get(k) != b.get(k)})
    assert leaves == truth
    assert (ta.root == tb.root) == (a == b)
    if a == b:
        assert compared == 1            # equal roots: one comparison settles it


def test_tree_arguments_are_checked():
    with pytest.raises(ValueError, match="depth must be an int between 0 and 16"):
        build_tree({}, -1)


# --- quorum targets (§4.6) -------------------------------------------------------------------
def test_sloppy_targets_skip_suspected_owners_and_name_them_in_hints():
    walk = ("n3", "n1", "n4", "n2", "n5")
    assert strict_targets(walk, 3) == {"n3": None, "n1": None, "n4": None}
    assert sloppy_targets(walk, 3, {"n1"}) == {"n3": None, "n4": None, "n2": "n1"}
    assert sloppy_targets(walk, 3, {"n3", "n4"}) == {"n1": None, "n2": "n3", "n5": "n4"}


def test_config_arguments_are_checked():
    for bad, match in ((dict(r=4), "at most n=3"), (dict(n=0), "n must be an int >= 1"),
                       (dict(quorum="loose"), "quorum must be one of"),
                       (dict(read_repair="later"), "read_repair must be one of"),
                       (dict(versions="crdt"), "versions must be one of"),
                       (dict(gossip_every=0), "gossip_every must be a positive number"),
                       (dict(merkle_depth=20), "merkle_depth must be")):
        with pytest.raises(ValueError, match=match):
            Config(**bad)
    with pytest.raises(ValueError, match="contacts must be a non-empty list"):
        KVClient(contacts=[])
    with pytest.raises(ValueError, match="script items are"):
        KVClient(contacts=["n1"], script=[(0, ("scan", "x"))])


# --- stories ------------------------------------------------------------------------------------
def figure3(actor: str):
    """DeCandia et al. 2007, Figure 3: D1, D2 through Sx; D3 through Sy and D4 through Sz,
    both from D2; then a client reads both and reconciles them as D5 through Sx."""
    cfg = replace(QUIET, actor=actor, r=3, w=3)
    sim = cluster(0, nodes=["sx", "sy", "sz"], config=cfg, network=Network(latency=Constant(1)))
    add_client(sim, "a", contacts=["sx"], config=cfg,
               script=[(0, ("put", "k", "D1")), (10, ("put", "k", "D2")), (60, ("get", "k")),
                       (70, ("put", "k", lambda siblings: "D5"))])
    add_client(sim, "b", contacts=["sy"], config=cfg,
               script=[(30, ("get", "k")), (40, ("put", "k", "D3"))])
    add_client(sim, "c", contacts=["sz"], config=cfg,
               script=[(30, ("get", "k")), (40, ("put", "k", "D4"))])
    sim.run(until=120)
    return sim


def test_figure_3_with_coordinator_clocks_gives_the_papers_clocks():
    sim = figure3("coordinator")
    assert values(sim, "a") == [("D3", "D4")]           # a read returns both siblings
    (versions,) = {tuple(sim.node(n).store["k"]) for n in ("sx", "sy", "sz")}
    assert versions == (Version("D5", VectorClock({"sx": 3, "sy": 1, "sz": 1}), 0.0, "a"),)


def test_figure_3_with_client_clocks_has_the_same_causality():
    sim = figure3("client")
    assert values(sim, "a") == [("D3", "D4")]
    (versions,) = {tuple(sim.node(n).store["k"]) for n in ("sx", "sy", "sz")}
    assert [v.value for v in versions] == ["D5"]
    assert versions[0].clock == VectorClock({"a": 3, "b": 1, "c": 1})


def test_coordinator_clocks_lose_a_concurrent_write_through_the_same_coordinator():
    """Two clients write concurrently through n1 with empty contexts: n1 numbers the
    second write above the first, which looks superseded and is dropped."""
    out = {}
    for actor in ("client", "coordinator"):
        cfg = replace(QUIET, actor=actor)
        sim = cluster(0, nodes=3, config=cfg, network=Network(latency=Constant(1)))
        add_client(sim, "c1", contacts=["n1"], config=cfg, script=[(0, ("put", "k", "mine"))])
        add_client(sim, "c2", contacts=["n1"], config=cfg, script=[(5, ("put", "k", "yours"))])
        add_client(sim, "audit", contacts=["n2"], config=cfg, script=[(50, ("get", "k"))])
        sim.run(until=80)
        out[actor] = (values(sim, "audit"), check_durability(sim, after=50))
    assert out["client"] == ([("mine", "yours")], [])
    assert out["coordinator"][0] == [("yours",)]
    assert "'mine' of 'k'" in out["coordinator"][1][0] and "lost" in out["coordinator"][1][0]


def test_delete_writes_a_tombstone_that_hides_the_value_and_wins_later():
    cfg = QUIET
    sim = cluster(0, nodes=3, config=cfg, network=Network(latency=Constant(1)))
    add_client(sim, "c1", contacts=["n1"], config=cfg,
               script=[(0, ("put", "k", "v1")), (10, ("get", "k")), (20, ("delete", "k")),
                       (30, ("get", "k"))])
    sim.run(until=60)
    assert values(sim, "c1") == [("v1",), ("✝c1-2",)]   # the history shows the tombstone
    versions = sim.node("n1").store["k"]
    assert [(v.value, v.deleted) for v in versions] == [("✝c1-2", True)]


def test_strict_quorum_refuses_on_the_minority_side_and_sloppy_quorum_answers():
    """n1 is cut off from the other owners of its key: a strict quorum cannot gather
    W=2 owners; a sloppy quorum writes to a fallback with a hint (§4.6)."""
    outcomes = {}
    for quorum in ("strict", "sloppy"):
        cfg = replace(QUIET, quorum=quorum, handoff_every=10.0, gossip_every=10.0,
                      anti_entropy_every=20.0)
        sim = cluster(1, nodes=5, config=cfg, network=Network(latency=Constant(1)))
        owners = Ring(NODES, cfg.vnodes).preference_list("k", 3)
        fallback = [n for n in Ring(NODES, cfg.vnodes).walk("k") if n not in owners][0]
        side = [owners[0], fallback]
        add_client(sim, "c1", contacts=[owners[0]], config=cfg,
                   script=[(10, ("put", "k", "v1")), (60, ("put", "k", "v2"))])
        sim.partition(side + ["c1"], [n for n in NODES if n not in side], at=5)
        sim.heal(at=150)
        sim.run(until=300)
        outcomes[quorum] = [op.status for op in sim.history.operations()]
        if quorum == "sloppy":
            hints = [e for e in sim.trace.outputs("hints") if e.node == fallback]
            assert hints[0].msg >= 1 and hints[-1].msg == 0   # held, then handed off
            assert sim.trace.count("send", Handoff) >= 1
            assert check_convergence(sim, n=3, vnodes=cfg.vnodes) == []
    assert outcomes["strict"][1] == "fail"          # refused at once (fail fast)
    assert outcomes["strict"][0] in ("info", "fail")
    assert outcomes["sloppy"] == ["ok", "ok"]


def test_read_repair_brings_a_stale_replica_up_to_date():
    """A replica misses a write (its ReplicaWrite is dropped); the next read notices the
    difference and writes the merge back to it (§4.5)."""
    for mode in ("async", "blocking"):
        cfg = replace(QUIET, read_repair=mode, r=3, w=2)
        sim = cluster(0, nodes=3, config=cfg, network=Network(latency=Constant(1)))
        sim.network.add_hook(lambda env: False if isinstance(env.msg, ReplicaWrite)
                             and env.dst == "n3" and env.msg.op != 0 else None)
        add_client(sim, "c1", contacts=["n1"], config=cfg,
                   script=[(0, ("put", "k", "v1")), (20, ("get", "k"))])
        sim.run(until=60)
        assert values(sim, "c1") == [("v1",)]
        assert [v.value for v in sim.node("n3").store["k"]] == ["v1"], mode


def test_anti_entropy_repairs_what_nobody_else_did():
    """No read repair and no handoff: n3 missed two writes during a partition; Merkle
    exchanges find the differing buckets and copy just those keys (§4.7)."""
    cfg = replace(QUIET, read_repair="off", anti_entropy_every=20.0, quorum="strict", w=2)
    sim = cluster(2, nodes=3, config=cfg, network=Network(latency=Constant(1)))
    add_client(sim, "c1", contacts=["n1"], config=cfg,
               script=[(0, ("put", f"k{i}", f"v{i}")) for i in range(8)])
    sim.partition(["n1", "n2", "c1"], ["n3"], at=0)
    sim.heal(at=60)
    sim.run(until=59)
    assert "k0" not in sim.node("n3").store
    sim.run(until=200)
    stores = {n: {k: fingerprint(v) for k, v in sim.node(n).store.items()} for n in ("n1", "n3")}
    assert stores["n1"] == stores["n3"] and len(stores["n3"]) == 8
    assert sim.trace.count("send", SyncLeaves) >= 1
    rounds = sim.trace.count("send", MerkleRoots)
    # Once in sync, a round is a single message (the roots).
    later = [e for e in sim.trace.of_kind("send") if e.time > 150
             and isinstance(e.msg, (MerkleLevel, SyncLeaves))]
    assert rounds > 5 and not later


def test_gossip_views_merge_by_version():
    mine = {"n1": ("up", 1), "n2": ("up", 1)}
    merged, changed = merge_views(mine, (("n2", "left", 2), ("n3", "up", 1), ("n1", "up", 1)))
    assert changed and merged == {"n1": ("up", 1), "n2": ("left", 2), "n3": ("up", 1)}
    assert merge_views(merged, (("n2", "up", 1),)) == (merged, False)


def test_join_and_leave_move_keys_and_lose_nothing():
    """n6 joins (its keys are transferred to it), then n2 leaves (its keys are
    transferred away before it forgets them) (§4.9)."""
    cfg = replace(Config(), vnodes=4, gossip_every=5.0, handoff_every=10.0,
                  anti_entropy_every=None)
    sim = cluster(3, nodes=5, standby=1, config=cfg, network=Network(latency=Constant(1)))
    keys = [f"k{i}" for i in range(12)]
    add_client(sim, "c1", contacts=["n1"], config=cfg,
               script=[(0, ("put", k, f"v-{k}")) for k in keys]
               + [(300, ("get", k)) for k in keys])
    add_operator(sim, [(60, "n6", "join"), (160, "n2", "leave")], seeds=("n1", "n3"))
    sim.run(until=400)
    stores, rings, hints = final_stores(sim.trace)
    assert set(rings.values()) == {("n1", "n3", "n4", "n5", "n6")}
    assert any(stores["n6"].get(k) for k in keys)              # n6 now holds keys
    assert not any(stores["n2"].values())                       # n2 handed everything over
    assert check_convergence(sim, n=3, vnodes=4) == []
    assert check_durability(sim, after=300) == []
    assert [op.output for op in sim.history.operations() if op.f == "get"] == \
        [(f"v-{k}",) for k in keys]


def test_a_restarted_node_recovers_its_store_and_hints():
    cfg = replace(QUIET, quorum="sloppy")
    sim = cluster(0, nodes=3, config=cfg, network=Network(latency=Constant(1)))
    add_client(sim, "c1", contacts=["n1"], config=cfg, script=[(0, ("put", "k", "v1"))])
    sim.run(until=10)
    before = dict(sim.node("n2").store)
    sim.crash("n2")
    sim.restart("n2")
    sim.run(until=20)
    assert sim.node("n2").store == before and before


def test_a_duplicated_request_is_coordinated_once():
    """The network delivers every Put twice. Were the copy coordinated again, it could
    be refused after the first was written, and the client would record a failure
    for a write that happened (the sweep found this on seed 443); the coordinator
    remembers, durably, the last request number of each client."""
    cfg = replace(QUIET, n=3)
    sim = cluster(0, nodes=3, config=cfg, network=Network(latency=Constant(1)))
    add_client(sim, "c1", contacts=["n1"], config=cfg,
               script=[(0, ("put", "k", "v1")), (20, ("put", "k", "v2"))])
    sim.network.set_link("c1", "n1", latency=Constant(1), duplicate=1.0, symmetric=False)
    sim.run(until=60)
    assert [op.status for op in sim.history.operations()] == ["ok", "ok"]
    assert sim.stats["duplicated"] == 2
    coordinated = {e.msg.op for e in sim.trace.of_kind("send")
                   if e.node == "n1" and isinstance(e.msg, ReplicaWrite)}
    assert len(coordinated) == 2          # one operation per request, not per copy


def test_same_seed_same_trace():
    def run():
        sim = cluster(5, nodes=5, config=Config(quorum="sloppy"))
        add_client(sim, "c1", home="n1", keys=("x", "y"), ops=6)
        add_client(sim, "c2", home="n4", keys=("x", "y"), ops=6)
        sim.partition(["n1", "n2", "c1"], ["n3", "n4", "n5", "c2"], at=20)
        sim.heal(at=80)
        sim.run(until=200)
        return sim.trace.dump()
    assert run() == run()


def test_dynamo_node_arguments_are_checked():
    with pytest.raises(TypeError, match="config must be a distlab.dynamo.Config"):
        DynamoNode(members=["n1"], config={"n": 3})
    with pytest.raises(TypeError, match="not a string"):
        DynamoNode(members="n1")
    with pytest.raises(ValueError, match="home 'n9' is not one of the contacts"):
        add_client(cluster(0, nodes=3), "c1", home="n9")
    assert Put(1, "k", "v").context == VectorClock()
