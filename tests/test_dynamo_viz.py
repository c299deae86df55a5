"""Pictures and exercise checks of notebooks 2.12 and 2.13: they draw, and the checks
accept the model solutions and reject wrong answers with a helpful message."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from distlab.dynamo import (Config, Ring, add_client, build_tree, cluster, reconcile,  # noqa: E402
                            sloppy_targets)
from distlab.dynamo.experiments import PacelcPoint, cap_run, cap_summary  # noqa: E402
from distlab.exercises import CheckFailed  # noqa: E402
from distlab.exercises.kv import (check_preference_list, check_quorum_available,  # noqa: E402
                                  check_reconcile, check_sloppy_targets)
from distlab.viz.kv import (cap_grid, kv_kind, kv_label, merkle_pair, only_requests,  # noqa: E402
                            pacelc_plot, ring_diagram)


def test_pictures_draw():
    ring_diagram(Ring(["n1", "n2", "n3"], 4), keys=["x", "y"], highlight="x")
    merkle_pair(build_tree({"a": "1"}), build_tree({"a": "2"}))
    sim = cap_run([["n1", "n2"], ["n3", "n4", "n5"]], "AP", until=120)
    cap_grid([("n1,n2 | n3,n4,n5", "AP", sim, cap_summary(sim, "AP"))])
    pacelc_plot([PacelcPoint(r, w, r, 2 * r, w, 0.1 if r + w <= 3 else 0.0, 10)
                 for r in (1, 2, 3) for w in (1, 2, 3)])
    plt.close("all")


def test_message_labels_and_request_only_traces():
    cfg = Config(gossip_every=5.0)
    sim = cluster(0, nodes=3, config=cfg)
    add_client(sim, "c1", contacts=["n1"], script=[(0, ("put", "k", "v")), (10, ("get", "k"))])
    sim.run(until=40)
    labels = {kv_label(e.msg) for e in sim.trace.of_kind("send")}
    assert {"put k=v", "get k", "ok", "v", "gossip"} <= labels
    kinds = {kv_kind(e.msg) for e in sim.trace.of_kind("send")}
    assert {"client", "read", "write", "background"} <= kinds
    assert all(kv_kind(e.msg) != "background" for e in only_requests(sim) if e.kind == "send")


def test_exercise_checks_accept_the_model_solutions():
    check_quorum_available(lambda side, reps, r, w: (len(set(reps) & side) >= r,
                                                     len(set(reps) & side) >= w))
    check_sloppy_targets(sloppy_targets)
    check_preference_list(lambda tokens, pos, n: list(_walk(tokens, pos))[:n])
    check_reconcile(reconcile)


def _walk(tokens, pos):
    start = next((i for i, (p, _) in enumerate(tokens) if p >= pos), 0)
    seen = []
    for step in range(len(tokens)):
        node = tokens[(start + step) % len(tokens)][1]
        if node not in seen:
            seen.append(node)
    return seen


def test_exercise_checks_explain_wrong_answers():
    with pytest.raises(CheckFailed, match="other nodes do not count"):
        check_quorum_available(lambda side, reps, r, w: (len(side) >= r, len(side) >= w))
    with pytest.raises(CheckFailed, match="wrong hints|wrong targets"):
        check_sloppy_targets(lambda walk, n, sus: {t: None for t in walk if t not in sus})
    with pytest.raises(CheckFailed, match="wrap"):
        check_preference_list(lambda tokens, pos, n: [node for p, node in tokens if p >= pos][:n])
    with pytest.raises(CheckFailed, match="wrong siblings"):
        check_reconcile(lambda versions: versions[-1:])
    with pytest.raises(CheckFailed, match="not written yet"):
        def stub(*args):
            raise NotImplementedError()
        check_reconcile(stub)
