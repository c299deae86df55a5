"""The Dynamo-style store under chaos (``check_kv``), its checkers, and the CAP and
PACELC experiments of notebook 2.12. Full-size sweeps (1000 seeds) are run with
``benchmarks/sweep.py kv``; these use CI-sized seed counts."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from distlab.chaos import check_function, sweep
from distlab.dynamo import (Config, add_client, check_convergence, check_durability,
                            check_register, cluster, stale_reads)
from distlab.dynamo.experiments import cap_run, cap_summary, pacelc_run
from distlab.dynamo.sweep import MODES, check_kv
from distlab.sim import Constant, History, Network

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("mode,seeds", [(None, range(0, 50)), ("sloppy", range(100, 130)),
                                        ("membership", range(200, 215))])
def test_claimed_guarantees_hold_on_every_seed(mode, seeds):
    """Strict quorums with R+W>N: durable, convergent, single-writer keys linearizable.
    Sloppy quorums (also while a node joins and another leaves): durable, convergent."""
    bad = [str(v) for seed in seeds for v in check_kv(seed, mode)]
    assert not bad, "\n".join(bad[:5])


@pytest.mark.parametrize("mode", ["r1w1", "lww", "coordinator-clocks"])
def test_overclaiming_modes_are_caught_with_a_seed_that_replays(mode):
    """Each of these claims more than its configuration gives; the sweep must find a
    seed that shows it, and the seed must reproduce the violation."""
    for seed in range(40):
        found = check_kv(seed, mode)
        if found:
            break
    else:
        pytest.fail(f"{mode}: no violation in 40 seeds ({MODES[mode].note})")
    assert all(v.seed == seed and v.protocol == f"kv/{mode}" for v in found)
    assert str(found[0]).startswith(f"SEED={seed} kv/{mode}: ")
    assert check_kv(seed, mode) == found


def test_kv_is_registered_with_the_chaos_sweeps():
    assert check_function("kv") is check_kv
    assert sweep("kv", range(3)).violations == []
    with pytest.raises(ValueError, match="mode must be one of"):
        check_kv(0, "eventual")


def test_command_line_runs_the_kv_sweep():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sweep.py"), "kv",
                          "--seeds", "2", "--start-seed", "7", "--mode", "sloppy"],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1].startswith("seeds: 2 violations: 0 ")
    assert out.returncode == 0


def test_convergence_checker_reports_replicas_left_apart():
    """With anti-entropy, handoff and read repair all off, a replica that missed
    writes during a partition stays behind, and the checker says which key."""
    cfg = Config(read_repair="off", gossip_every=None, anti_entropy_every=None,
                 handoff_every=None, quorum="strict")
    sim = cluster(0, nodes=3, config=cfg, network=Network(latency=Constant(1)))
    add_client(sim, "c1", contacts=["n1"], config=cfg, script=[(5, ("put", "k", "v"))])
    sim.partition(["n1", "n2", "c1"], ["n3"], at=0)
    sim.heal(at=50)
    sim.run(until=100)
    problems = check_convergence(sim, n=3, vnodes=cfg.vnodes)
    assert len(problems) == 1 and problems[0].startswith("replicas of 'k' differ (")
    assert "n3: 0 version(s)" in problems[0] and "n1: 1 version(s)" in problems[0]
    with_ae = cluster(0, nodes=3, config=replace(cfg, anti_entropy_every=10.0),
                      network=Network(latency=Constant(1)))
    add_client(with_ae, "c1", contacts=["n1"], config=cfg, script=[(5, ("put", "k", "v"))])
    with_ae.partition(["n1", "n2", "c1"], ["n3"], at=0)
    with_ae.heal(at=50)
    with_ae.run(until=100)
    assert check_convergence(with_ae, n=3, vnodes=cfg.vnodes) == []


def test_durability_needs_a_final_read():
    sim = cluster(0, nodes=3, config=Config(gossip_every=None, anti_entropy_every=None,
                                           handoff_every=None))
    add_client(sim, "c1", contacts=["n1"], script=[(0, ("put", "k", "v"))])
    sim.run(until=50)
    assert check_durability(sim, after=40) == [
        "no successful read of 'k' after t=40 to check 'v' against"]


def history_of(events):
    h = History()
    for i, (kind, process, f, value) in enumerate(events):
        h.record(kind, process, f, value, float(i))
    return h


class _Fake:
    """Just enough of a Simulation for the history-only checkers."""

    def __init__(self, history):
        from distlab.sim import Simulation
        self.sim = Simulation(seed=0)
        self.sim.history = history


def test_stale_reads_are_reads_older_than_the_last_acknowledged_write():
    h = history_of([("invoke", "w", "put", ("x", "a")), ("ok", "w", "put", ("x", "a")),
                    ("invoke", "r", "get", "x"), ("ok", "r", "get", ("a",)),
                    ("invoke", "w", "put", ("x", "b")), ("ok", "w", "put", ("x", "b")),
                    ("invoke", "r", "get", "x"), ("ok", "r", "get", ("a",)),
                    ("invoke", "r", "get", "x"), ("ok", "r", "get", ())])
    sim = _Fake(h).sim
    assert [(got, want) for got, want, _ in stale_reads(sim, "x")] == [("a", "b"), (None, "b")]
    assert check_register(sim, "x").verdict == "not linearizable"


def test_cap_experiment_shows_both_sides_of_the_trade_off():
    groups = [["n1", "n2"], ["n3", "n4", "n5"]]
    cp, ap = (cap_summary(cap_run(groups, mode), mode) for mode in ("CP", "AP"))
    assert cp.linearizable == "yes" and cp.stale == 0 and cp.failed > 0
    assert ap.availability == 1.0 and ap.stale > 0 and ap.linearizable == "no"
    calm = cap_summary(cap_run(None, "AP"), "AP")
    assert calm.availability == 1.0 and calm.linearizable == "yes"
    with pytest.raises(ValueError, match="'n9' is not a storage node"):
        cap_run([["n9"]], "CP")
    with pytest.raises(ValueError, match="mode must be one of"):
        cap_run(None, "CA")


def test_pacelc_waiting_for_more_replicas_costs_latency():
    fast, slow = pacelc_run(1, 1, until=250), pacelc_run(3, 1, until=250)
    assert slow.read_latency > 1.5 * fast.read_latency
    assert slow.stale == 0.0
