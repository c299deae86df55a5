"""What notebooks 2.9 (replication), 2.10 (CRDTs) and 2.11 (partitioning) use besides the
protocols themselves: the exercise checks, the pictures, and the ready-made runs.

- The checks accept the notebooks' model solutions (copied from their ``### BEGIN
  SOLUTION`` blocks) and reject the classic wrong answers with targeted feedback: the
  input that failed, what was expected, what came back, a hint (``distlab.exercises``).
- The pictures draw what the library computes: the ring's arcs cover exactly each
  node's ``ownership()``, each key's dot has its owner's colour, the bars are the loads.
- The runs of ``distlab.replication.experiments`` are deterministic per seed and build
  the systems their docstrings describe.

References: DeCandia et al. 2007 (§4.4 siblings, §4.5 quorums: R + W > N); Shapiro et
al. 2011 (OR-Set; merge laws of a join-semilattice); Karger et al. 1997 (a join moves
~K/(N+1) keys); Thaler & Ravishankar 1998 (highest random weight).
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PatchCollection, PathCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle  # noqa: E402

from distlab.crdt import ORSet, StateCRDT  # noqa: E402
from distlab.exercises import CheckFailed  # noqa: E402
from distlab.exercises.crdt import check_max_register, check_orset_merge  # noqa: E402
from distlab.exercises.partitioning import (check_moved_fractions,  # noqa: E402
                                            check_rendezvous_owner)
from distlab.exercises.replication import check_quorum_overlap, check_siblings  # noqa: E402
from distlab.partitioning import HASH_SPACE, HashRing, loads, score, stable_hash  # noqa: E402
from distlab.replication import (Ack, Append, AppendOk, CartAdd, CartOk, CartRead,  # noqa: E402
                                 CartRemove, Entry, Forward, Get, GetOk, Gossip, NotPrimary,
                                 Ping, Pong, Put, PutOk, Read, ReadOk, Redirect, Replicate,
                                 ReplicaRead, ReplicaWrite, Unavailable, Update,
                                 acknowledged_appends, final_carts, judge_log,
                                 last_final_read, stale_reads)
from distlab.replication.checks import _ops  # noqa: E402
from distlab.replication.experiments import (FAULTS_END, RUN_END, cart_build,  # noqa: E402
                                             chain_build, chain_run, multileader_build,
                                             multileader_run, pb_build, quorum_build,
                                             quorum_run, skewed_clocks)
from distlab.viz.partitioning import load_bars, node_colors, ring_diagram  # noqa: E402
from distlab.viz.replication import replication_label, strategies  # noqa: E402
from distlab.viz.style import PALETTE  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def stub(*args):
    """What a learner's cell holds before they write anything."""
    raise NotImplementedError()


# --- model solutions, as in the notebooks' solution cells ------------------------------------

def quorum_overlap(n: int, r: int, w: int) -> int:                       # 2.9
    return max(0, r + w - n)


def reconcile(versions):                                                 # 2.9
    return [(v, c) for v, c in versions if not any(c < d for _, d in versions)]


def orset_merge(a, b):                                                   # 2.10
    (e1, t1), (e2, t2) = a, b
    tombstones = t1 | t2
    return (e1 | e2) - tombstones, tombstones


def make_max_register(*, merge=None, assign=None, one_arg_init=True, with_merge=True):
    """The notebook's ``MaxRegister`` (2.10); keyword arguments swap in a learner's bug."""

    class MaxRegister(StateCRDT):
        __slots__ = ("_v",)

        if one_arg_init:
            def __init__(self, value=0):
                object.__setattr__(self, "_v", value)
        else:
            def __init__(self):
                object.__setattr__(self, "_v", 0)

        def assign(self, v):
            return assign(self, v) if assign else MaxRegister(max(self._v, v))

        def value(self):
            return self._v

        if with_merge:
            def merge(self, other):
                if merge:
                    return merge(self, other)
                return self if self._v >= other._v else other

        def leq(self, other):
            return self._v <= other._v

        def size(self):
            return 1

        def __eq__(self, other):
            return type(other) is MaxRegister and self.value() == other.value()

        def __hash__(self):
            return hash(("MaxRegister", self.value()))

        def __repr__(self):
            return f"MaxRegister({self.value()})"

    return MaxRegister


def modn_moved(n: int) -> float:                                         # 2.11
    return 1 - n / (n * (n + 1))


def ring_moved(n: int) -> float:                                         # 2.11
    return 1 / (n + 1)


def rendezvous_owner(key, nodes):                                        # 2.11
    return max(sorted(nodes), key=lambda node: score(node, key))


def test_checks_accept_the_notebooks_model_solutions(capsys):
    check_quorum_overlap(quorum_overlap)
    check_siblings(reconcile)
    check_orset_merge(orset_merge)
    check_max_register(make_max_register())
    check_moved_fractions(modn_moved, ring_moved)
    check_rendezvous_owner(rendezvous_owner)
    out = capsys.readouterr().out
    assert out.count("✔") == 6
    assert "r + w > n" in out
    # the measurement the check reports is the library's, next to the formula's
    assert "hash mod N moved 83." in out and "(formula 83.3%)" in out


# --- 2.9: quorum overlap ------------------------------------------------------------------------

def test_quorum_overlap_without_the_clamp_at_zero_is_told_never_below_zero():
    with pytest.raises(CheckFailed) as err:
        check_quorum_overlap(lambda n, r, w: r + w - n)
    msg = str(err.value)
    assert "quorum_overlap(3, 1, 1)" in msg
    assert "expected: 0" in msg and "got:      -1" in msg
    assert "never < 0" in msg


def test_quorum_overlap_confusing_r_plus_w_at_least_n_with_overlap_is_rejected():
    """The classic slip: taking R + W >= N as "the quorums meet" (1 shared replica)."""
    with pytest.raises(CheckFailed) as err:
        check_quorum_overlap(lambda n, r, w: int(r + w >= n))
    msg = str(err.value)
    assert "quorum_overlap(2, 1, 1)" in msg            # two disjoint singletons
    assert "expected: 0" in msg and "got:      1" in msg


def test_quorum_overlap_off_by_one_is_caught_on_the_smallest_case():
    with pytest.raises(CheckFailed, match=r"quorum_overlap\(1, 1, 1\)") as err:
        check_quorum_overlap(lambda n, r, w: max(0, r + w - n - 1))
    assert "expected: 1" in str(err.value)


def test_quorum_overlap_a_crash_in_the_learners_code_is_shown_as_a_failed_case():
    with pytest.raises(CheckFailed) as err:
        check_quorum_overlap(lambda n, r, w: (r + w) // (n - r))
    msg = str(err.value)
    assert "quorum_overlap(1, 1, 1) raised ZeroDivisionError" in msg


@pytest.mark.parametrize("check", [check_quorum_overlap, check_siblings, check_orset_merge,
                                   check_rendezvous_owner])
def test_a_stub_and_a_non_function_get_their_own_messages(check):
    with pytest.raises(CheckFailed, match="not written yet") as err:
        check(stub)
    assert "raise NotImplementedError()" in str(err.value)       # the hint says what to replace
    with pytest.raises(CheckFailed, match="expected a function"):
        check(42)


# --- 2.9: siblings --------------------------------------------------------------------------

def test_siblings_last_writer_wins_instead_of_keeping_concurrent_versions_is_rejected():
    with pytest.raises(CheckFailed) as err:
        check_siblings(lambda versions: versions[-1:])
    msg = str(err.value)
    assert msg.startswith("reconcile kept the wrong versions")
    assert "input:" in msg and "expected:" in msg and "got:" in msg
    assert "keep concurrent ones" in msg
    # the clocks are shown readably, not as object reprs
    assert "[alice:" in msg and "object at 0x" not in msg


def test_siblings_keeping_every_version_or_using_non_strict_dominance_is_rejected():
    for wrong in (lambda versions: list(versions),                              # drops nothing
                  lambda versions: [(v, c) for v, c in versions                  # c <= c: drops all
                                    if not any(c <= d for _, d in versions)]):
        with pytest.raises(CheckFailed, match="kept the wrong versions") as err:
            check_siblings(wrong)
        assert "strictly greater" in str(err.value)


def test_siblings_returning_nothing_is_told_what_shape_to_return():
    with pytest.raises(CheckFailed, match=r"list of \(value, VectorClock\) pairs"):
        check_siblings(lambda versions: None)


# --- 2.10: OR-Set merge ---------------------------------------------------------------------

def test_orset_merge_that_forgets_tombstones_resurrects_removed_items():
    """Union of the entries, tombstones ignored: a removed pair comes back."""
    with pytest.raises(CheckFailed) as err:
        check_orset_merge(lambda a, b: (a[0] | b[0], a[1] | b[1]))
    msg = str(err.value)
    assert msg.startswith("orset_merge gives the wrong payload")
    assert "a = ORSet(" in msg and "b = ORSet(" in msg
    assert "must not stay live" in msg


def test_orset_merge_that_removes_by_element_kills_concurrent_adds():
    """The 2P-Set-like bug: a remove of x deletes every (x, tag), even tags it never saw."""
    def by_element(a, b):
        (e1, t1), (e2, t2) = a, b
        gone = {x for x, _ in t1 | t2}
        return {(x, tag) for x, tag in e1 | e2 if x not in gone}, t1 | t2

    with pytest.raises(CheckFailed, match="wrong payload") as err:
        check_orset_merge(by_element)
    assert "keep every live pair of both sides" in str(err.value)


def test_orset_merge_that_is_not_commutative_is_rejected():
    """Left-biased: keeps only a's live pairs (minus b's tombstones)."""
    with pytest.raises(CheckFailed, match="wrong payload"):
        check_orset_merge(lambda a, b: (a[0] - b[1], a[1] | b[1]))


def test_orset_merge_must_return_a_pair():
    with pytest.raises(CheckFailed, match=r"must return a pair \(E, T\)"):
        check_orset_merge(lambda a, b: a[0] | b[0])


# --- 2.10: a max-register of one's own ----------------------------------------------------

def test_max_register_with_a_one_sided_merge_breaks_commutativity():
    with pytest.raises(CheckFailed) as err:
        check_max_register(make_max_register(merge=lambda self, other: other))
    msg = str(err.value)
    assert "a merge law fails" in msg and "['commutative']" in msg
    assert "MaxRegister(" in msg                          # the triple that failed
    assert "merge must be the maximum" in msg


def test_max_register_with_an_adding_merge_is_rejected_by_a_merge_law():
    """Merge as a counter would (add): not idempotent, and not an upper bound of -2."""
    with pytest.raises(CheckFailed, match="a merge law fails") as err:
        check_max_register(make_max_register(
            merge=lambda self, other: type(self)(self._v + other._v)))
    assert "MaxRegister(-2)" in str(err.value)


def test_max_register_with_min_as_merge_is_not_an_upper_bound():
    with pytest.raises(CheckFailed, match=r"\['upper bound'\]"):
        check_max_register(make_max_register(
            merge=lambda self, other: self if self._v <= other._v else other))


def test_max_register_assign_that_overwrites_is_rejected():
    with pytest.raises(CheckFailed) as err:
        check_max_register(make_max_register(assign=lambda self, v: type(self)(v)))
    msg = str(err.value)
    assert "MaxRegister().assign(5).assign(2).value()" in msg
    assert "expected: 5" in msg and "got:      2" in msg


def test_max_register_argument_mistakes_get_specific_messages():
    with pytest.raises(CheckFailed, match="needs your class") as err:
        check_max_register(make_max_register()(3))          # an instance, not the class
    assert "MaxRegister(3)" in str(err.value)
    with pytest.raises(CheckFailed, match="needs your class"):
        check_max_register(int)
    with pytest.raises(CheckFailed, match="still abstract") as err:
        check_max_register(make_max_register(with_merge=False))
    assert "merge" in str(err.value) and "all four" in str(err.value)
    with pytest.raises(CheckFailed, match=r"value=0\) must accept"):
        check_max_register(make_max_register(one_arg_init=False))


# --- 2.11: moved fractions ------------------------------------------------------------------

def test_ring_moved_as_k_over_n_with_the_old_n_is_rejected():
    """Karger's K/N is over the *new* number of nodes."""
    with pytest.raises(CheckFailed) as err:
        check_moved_fractions(modn_moved, lambda n: 1 / n)
    msg = str(err.value)
    assert "ring_moved gives the wrong fraction" in msg
    assert "ring_moved(1)" in msg and "expected: 0.5" in msg and "got:      1.0" in msg
    assert "only node that gains keys" in msg


def test_modn_moved_counting_the_staying_keys_instead_is_rejected():
    with pytest.raises(CheckFailed) as err:
        check_moved_fractions(lambda n: 1 / (n + 1), ring_moved)
    msg = str(err.value)
    assert "modn_moved gives the wrong fraction" in msg
    assert "modn_moved(2)" in msg and "expected: 0.666667" in msg
    assert "Chinese remainder theorem" in msg


def test_moved_fractions_accept_exact_fractions_and_reject_strings():
    check_moved_fractions(lambda n: Fraction(n, n + 1), lambda n: Fraction(1, n + 1))
    with pytest.raises(CheckFailed, match="wrong fraction") as err:
        check_moved_fractions(modn_moved, lambda n: str(1 / (n + 1)))
    assert "got:      '0.5'" in str(err.value)


def test_moved_fractions_name_the_function_that_is_missing_or_unwritten():
    with pytest.raises(CheckFailed, match="ring_moved: expected a function"):
        check_moved_fractions(modn_moved, 0.2)
    with pytest.raises(CheckFailed, match="ring_moved is not written yet"):
        check_moved_fractions(modn_moved, stub)


# --- 2.11: rendezvous owner -----------------------------------------------------------------

@pytest.mark.parametrize("wrong", [
    lambda key, nodes: min(sorted(nodes), key=lambda node: score(node, key)),   # min, not max
    lambda key, nodes: max(nodes, key=lambda node: score(key, node)),           # swapped args
    lambda key, nodes: sorted(nodes)[stable_hash(key) % len(nodes)],            # hash mod N
])
def test_rendezvous_owner_wrong_rules_are_rejected_with_the_failing_key(wrong):
    with pytest.raises(CheckFailed) as err:
        check_rendezvous_owner(wrong)
    msg = str(err.value)
    assert msg.startswith("rendezvous_owner picked another node")
    assert "rendezvous_owner('key:" in msg and "['n1', 'n2']" in msg
    assert "largest score" in msg


def test_rendezvous_owner_that_reshuffles_old_nodes_on_a_join_is_caught():
    """Right on the checked node sets, hash mod N once n5 joins: keys move between old
    nodes, which rendezvous hashing never does."""
    def memorised(key, nodes):
        if len(nodes) == 5:
            return sorted(nodes)[stable_hash(key) % 5]
        return rendezvous_owner(key, nodes)

    with pytest.raises(CheckFailed, match="moved between two old nodes") as err:
        check_rendezvous_owner(memorised)
    assert "every moved key goes to n5" in str(err.value)


# --- viz.replication ------------------------------------------------------------------------

def test_strategies_draws_four_labelled_panels():
    fig = strategies()
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["primary-backup", "chain", "multi-leader", "leaderless (N=3)"]
    nodes = [sorted(t.get_text() for t in ax.texts if len(t.get_text()) <= 2)
             for ax in fig.axes]
    assert nodes == [["B", "B", "C", "P"], ["C", "C", "H", "M", "T"],
                     ["C", "C", "F", "F", "L1", "L2"], ["C", "R1", "R2", "R3", "R4"]]
    for ax, names in zip(fig.axes, nodes):
        assert len([p for p in ax.patches if isinstance(p, Circle)]) == len(names)
        assert not ax.axison
    leaderless = fig.axes[3]
    # N = 3: the client writes to three replicas, not to the fourth node
    assert len([p for p in leaderless.patches if isinstance(p, FancyArrowPatch)]) == 3


def test_strategies_draws_into_a_given_figure():
    fig = plt.figure()
    assert strategies(fig) is fig and len(fig.axes) == 4


@pytest.mark.parametrize("msg, label", [
    (Append(1, 7), "append 7"),
    (AppendOk(1), "ok"),
    (Read(2), "read"),
    (ReadOk(2, (1, 2)), "[1, 2]"),
    (Redirect(1, "n2"), "→n2"),
    (Replicate(0, 1, (Entry(0, 5, "c1", 1), Entry(0, 6, "c1", 2)), 0), "+5,6"),
    (Replicate(0, 1, (), 0), None),                       # a heartbeat
    (NotPrimary(2, "n3"), "e2:n3"),
    (Forward(1, (Update(9, "c1", 1),)), "+9"),
    (Ack(3, 2), "ack 2"),
    (Ping(1, ("s1", "s2")), None),
    (Pong(1), None),
    (Put(1, "x", 4), "put 4"),
    (PutOk(1), "ok"),
    (Get(1, "x"), "get"),
    (GetOk(1, (3, 4)), "[3, 4]"),
    (Unavailable(1), "unavailable"),
    (ReplicaRead(1, "x"), None),
    (ReplicaWrite(1, "x", None), None),
    (ReplicaWrite(1, "x", None, hint="d4"), "hint"),
    (CartAdd(1, "milk"), "+milk"),
    (CartRemove(1, "milk"), "−milk"),
    (CartRead(1), "read"),
    (CartOk(1, ()), None),
    (Gossip(ORSet()), "state"),
    ("something else", None),
])
def test_replication_label(msg, label):
    assert replication_label(msg) == label


def test_replication_labels_on_a_run_show_the_appended_values_and_hide_heartbeats():
    sim = pb_build(1, ops=4, final=False)
    sim.run(until=300)
    sends = [e.msg for e in sim.trace.of_kind("send")]
    labels = Counter(replication_label(m) for m in sends)
    appended = {m.value for m in sends if isinstance(m, Append)}
    assert appended and all(labels[f"append {v}"] >= 1 for v in appended)
    heartbeats = [m for m in sends if isinstance(m, Replicate) and not m.entries]
    assert heartbeats and labels[None] >= len(heartbeats)
    shipped = [replication_label(m) for m in sends if isinstance(m, Replicate) and m.entries]
    assert shipped and all(s.startswith("+") for s in shipped)


# --- viz.partitioning -----------------------------------------------------------------------

RING = HashRing(["n1", "n2", "n3"], vnodes=4)
KEYS = [f"k{i}" for i in range(40)]


def _wedges(ax):
    (coll,) = [c for c in ax.collections if isinstance(c, PatchCollection)]
    return coll.get_paths(), [tuple(c) for c in coll.get_facecolor()]


def _arc_node(ax, angle, colors):
    """The node whose arc is drawn at ``angle`` (radians), read off the picture."""
    paths, faces = _wedges(ax)
    point = (0.93 * math.cos(angle), 0.93 * math.sin(angle))
    hits = [face for path, face in zip(paths, faces) if path.contains_point(point)]
    assert len(hits) == 1, (angle, len(hits))
    by_color = {to_rgba(c): n for n, c in colors.items()}
    return by_color[hits[0]]


def test_ring_diagram_arcs_cover_each_nodes_share_of_the_circle():
    ax = ring_diagram(RING)
    colors = node_colors(RING.nodes)
    paths, _ = _wedges(ax)
    assert len(paths) == len(RING.tokens) == 12
    steps = 2000
    seen = Counter(_arc_node(ax, 2 * math.pi * (i + 0.5) / steps, colors) for i in range(steps))
    for node, share in RING.ownership().items():
        assert seen[node] / steps == pytest.approx(share, abs=0.006), node


def test_ring_diagram_keys_sit_on_their_owners_arc_in_their_owners_colour():
    colors = node_colors(RING.nodes)
    ax = ring_diagram(RING, KEYS, highlight=["k1", "k2"])
    dots = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
    small, big = dots
    assert len(small.get_offsets()) == len(KEYS) - 2 and list(small.get_sizes()) == [9]
    assert len(big.get_offsets()) == 2 and list(big.get_sizes()) == [36]
    assert tuple(big.get_edgecolor()[0]) == to_rgba("black")
    plain = [k for k in KEYS if k not in ("k1", "k2")]
    for keys, coll in ((plain, small), (["k1", "k2"], big)):
        for key, (x, y), face in zip(keys, coll.get_offsets(), coll.get_facecolor()):
            owner = RING.owner(key)
            assert tuple(face) == to_rgba(colors[owner]), key
            angle = math.atan2(y, x)
            assert angle == pytest.approx(math.radians(90 - 360 * stable_hash(key) / HASH_SPACE)
                                          + (2 * math.pi if angle > math.pi / 2 else 0), abs=1e-9)
            assert _arc_node(ax, angle, colors) == owner, key


def test_ring_diagram_ticks_legend_title_and_options():
    ax = ring_diagram(RING, title="three nodes")
    (ticks,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = ticks.get_segments()
    assert len(segments) == len(RING.tokens)
    for (pos, _), seg in zip(RING.tokens, segments):
        want = math.radians(90 - 360 * pos / HASH_SPACE)
        (x, y) = seg[1]
        assert (math.cos(want), math.sin(want)) == pytest.approx((x / 1.06, y / 1.06))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(RING.nodes)
    assert ax.get_title() == "three nodes"
    bare = ring_diagram(RING, tokens=False, legend=False)
    assert not [c for c in bare.collections if isinstance(c, LineCollection)]
    assert bare.get_legend() is None
    # given colours are used; a node without one is grey
    custom = ring_diagram(RING, colors={"n1": "#ff0000"}, legend=False)
    _, faces = _wedges(custom)
    owners = [n for _, n in RING.tokens]
    assert {n: f for n, f in zip(owners, faces)} == {
        "n1": to_rgba("#ff0000"), "n2": to_rgba("#757575"), "n3": to_rgba("#757575")}


def test_ring_diagram_draws_into_a_given_axes():
    fig, (a, b) = plt.subplots(1, 2)
    assert ring_diagram(RING, ax=b) is b
    assert not a.collections and b.collections


def test_load_bars_shows_the_loads_and_their_mean():
    ring = HashRing(["n1", "n2", "n3", "n4"], vnodes=16)
    load = loads(ring, [f"user:{i}" for i in range(1000)])
    ax = load_bars(load, title="keys per node", ylabel="requests")
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert [b.get_height() for b in bars] == [load[n] for n in load]
    assert sum(b.get_height() for b in bars) == 1000
    assert [t.get_text() for t in ax.get_xticklabels()] == list(load)
    colors = node_colors(list(load))
    assert [tuple(b.get_facecolor()) for b in bars] == [to_rgba(colors[n]) for n in load]
    (mean,) = ax.lines
    assert list(mean.get_ydata()) == [250.0, 250.0] and mean.get_linestyle() == "--"
    assert ax.get_ylabel() == "requests" and ax.get_title(loc="left") == "keys per node"


def test_load_bars_colours_and_axes_are_the_callers():
    fig, ax = plt.subplots()
    out = load_bars({"a": 3, "b": 1}, ax=ax, colors={"a": "#ff0000"})
    assert out is ax
    assert [tuple(p.get_facecolor()) for p in ax.patches] == [to_rgba("#ff0000"),
                                                               to_rgba("#757575")]
    assert ax.get_ylabel() == "keys" and ax.get_title(loc="left") == ""


def test_node_colors_follow_the_palette_and_wrap_around():
    names = [f"n{i}" for i in range(len(PALETTE) + 2)]
    colors = node_colors(names)
    assert list(colors) == names
    assert len(set(colors[n] for n in names[:len(PALETTE)])) == len(PALETTE)
    assert colors[names[len(PALETTE)]] == colors[names[0]]


# --- replication.experiments ----------------------------------------------------------------

def fingerprint(sim):
    """Everything a run produced, comparable across runs."""
    return ([(e.time, e.kind, e.node, e.peer, repr(e.msg), e.info) for e in sim.trace.events],
            [(e.process, e.type, e.f, e.value, e.time) for e in sim.history.events])


def ran(sim, until=RUN_END):
    sim.run(until=until)
    return sim


@pytest.mark.parametrize("make", [
    lambda seed: ran(pb_build(seed, ops=5)),
    lambda seed: ran(chain_build(seed, reads="any", ops=5)),
    lambda seed: ran(quorum_build(seed, skew=20.0, ops=5)),
    lambda seed: quorum_run(seed, ops=5),
    lambda seed: ran(multileader_build(seed, skew=20.0, ops=5)),
    lambda seed: multileader_run(seed, ops=5),
    lambda seed: ran(cart_build(seed, ops=5)),
], ids=["pb_build", "chain_build", "quorum_build", "quorum_run", "multileader_build",
        "multileader_run", "cart_build"])
def test_runs_are_deterministic_per_seed(make):
    a, b, c = fingerprint(make(3)), fingerprint(make(3)), fingerprint(make(4))
    assert a == b
    assert a != c                                 # the seed matters, so a == b says something
    assert len(a[0]) > 50


def test_skewed_clocks_are_bounded_seeded_and_per_node():
    nodes = ("d1", "d2", "d3", "d4", "d5")
    clocks = skewed_clocks(7, nodes, 30.0)
    assert list(clocks) == list(nodes)
    offsets = [c["offset"] for c in clocks.values()]
    assert all(-30.0 <= o <= 30.0 for o in offsets) and len(set(offsets)) == len(nodes)
    assert skewed_clocks(7, nodes, 30.0) == clocks
    assert skewed_clocks(8, nodes, 30.0) != clocks
    # the same draw, scaled: the skew bounds the offsets, the seed picks them
    assert [c["offset"] for c in skewed_clocks(7, nodes, 60.0).values()] == \
        pytest.approx([2 * o for o in offsets])


def test_quorum_build_gives_the_stores_and_only_the_stores_their_skewed_clocks():
    sim = quorum_build(5, nodes=4, skew=50.0, clients=2)
    assert sim.node_ids == ("d1", "d2", "d3", "d4", "c1", "c2")
    want = skewed_clocks(5, ("d1", "d2", "d3", "d4"), 50.0)
    for d, c in want.items():
        assert sim.clock(d).offset_at(0.0) == pytest.approx(c["offset"])
    assert sim.clock("c1").offset_at(0.0) == 0 and sim.clock("c2").offset_at(0.0) == 0
    assert sim.now == 0 and not sim.trace.events                 # built, not run


def test_multileader_build_gives_each_leader_its_local_clients_and_skews_only_leaders():
    sim = multileader_build(2, leaders=3, clients_per_leader=2, keys=("x", "y"), skew=40.0)
    clients = {c: sim.node(c).server for c in sim.node_ids if c.startswith("c")}
    assert clients == {"c1": "dc1", "c2": "dc1", "c3": "dc2", "c4": "dc2",
                       "c5": "dc3", "c6": "dc3"}
    assert all(sim.node(c).keys == ("x", "y") for c in clients)
    want = skewed_clocks(2, ("dc1", "dc2", "dc3"), 40.0)
    assert {d: sim.clock(d).offset_at(0.0) for d in want} == pytest.approx(
        {d: c["offset"] for d, c in want.items()})
    assert all(sim.clock(c).offset_at(0.0) == 0 for c in clients)


def test_pb_build_without_faults_loses_nothing_and_final_adds_the_final_read():
    sim = ran(pb_build(2, replicas=5))
    assert sim.node_ids[:5] == ("n1", "n2", "n3", "n4", "n5")
    final = last_final_read(sim)[0]
    assert len(acknowledged_appends(sim.history)) > 10
    assert judge_log(sim.history, final) == {"linearizable": "linearizable", "lost": [],
                                             "stale reads": 0}
    quiet = ran(pb_build(2, final=False))
    assert quiet.trace.outputs("final read") == [] and last_final_read(quiet) is None


def test_chain_build_reads_at_the_tail_or_anywhere():
    def servers_answering_reads(reads):
        sim = ran(chain_build(2, reads=reads))
        return Counter(e.node for e in sim.trace.of_kind("send") if isinstance(e.msg, ReadOk))

    assert set(servers_answering_reads("tail")) == {"s3"}
    assert set(servers_answering_reads("any")) == {"s1", "s2", "s3"}


def test_chain_run_rejects_an_unknown_fault_kind():
    with pytest.raises(ValueError, match="faults must be None, 'crash' or 'partition'") as err:
        chain_run(0, faults="partitions")
    assert "'partitions'" in str(err.value)


def test_quorum_run_faults_hit_only_the_stores_and_stop_at_faults_end():
    sim = quorum_run(5)
    crashes = [e for e in sim.trace.events if e.kind in ("crash", "restart")]
    assert crashes and all(e.node.startswith("d") for e in crashes)
    assert all(e.time <= FAULTS_END for e in sim.trace.events
               if e.kind in ("crash", "partition"))
    assert sim.trace.of_kind("heal")[-1].time == FAULTS_END
    assert all(sim.is_up(n) for n in sim.node_ids)
    calm = quorum_run(5, plan=None)
    assert not [e for e in calm.trace.events if e.kind in ("crash", "partition", "drop")]
    assert stale_reads(_ops(calm.history)) == []        # strict quorums, no faults


def test_multileader_run_partitions_only_before_faults_end_and_siblings_converge():
    sim = multileader_run(4)
    parts = sim.trace.of_kind("partition")
    assert parts and all(e.time <= FAULTS_END for e in parts)
    assert not [e for e in sim.trace.events if e.kind == "crash"]
    for run in (sim, multileader_run(4, plan=None)):
        finals = {e.node: e.msg for e in run.trace.outputs("final read")}
        assert set(finals) == {"c1", "c2", "c3", "c4"}
        assert len(set(finals.values())) == 1, finals          # every client reads the same


def test_cart_build_binds_each_shopper_to_its_replica_and_converges_without_faults():
    sim = cart_build(3, replicas=4, crdt="2pset")
    assert {c: sim.node(c).replica for c in sim.node_ids if c.startswith("c")} == {
        "c1": "r1", "c2": "r2", "c3": "r3", "c4": "r4"}
    assert all(sim.node(r).kind == "2pset" for r in ("r1", "r2", "r3", "r4"))
    sim = ran(cart_build(3), until=800)
    carts = final_carts(sim.trace, ["r1", "r2", "r3"])
    assert len(carts) == 3 and len(set(carts.values())) == 1
    assert carts["r1"]                                       # something was bought
