"""Seed checks for chaos sweeps of the replicated registers (``distlab.chaos``).

``check_abd``: 3 replicas, 4 clients, loss, duplication, reordering, crashes and
restarts of at most one replica, partitions; the client history must be
linearizable. ``check_local_reads``: the same against reads served by any replica
(etcd 2.0's ``quorum=false``), which is expected to fail on some seeds.
"""

from __future__ import annotations

from ..chaos import Violation
from ..consistency import check_linearizable, models
from ..sim import Exponential, FaultPlan, Network
from . import build

__all__ = ["check_abd", "check_local_reads", "PLAN"]

PLAN = FaultPlan(loss=0.05, duplicate=0.05, reorder=0.1, crash_every=150,
                 restart_after=(20, 60), max_crashed=1, partition_every=300,
                 partition_duration=(20, 80))


def _check(scheme: str, name: str, seed: int) -> list[Violation]:
    sim = build(scheme, seed=seed, clients=4, ops=8, network=Network(latency=Exponential(6, 1)))
    replicas = [n for n in sim.node_ids if n.startswith("n")]
    sim.apply(PLAN, until=1500, nodes=replicas)
    sim.run(until=3000)
    result = check_linearizable(sim.history, models.register(), max_steps=2_000_000)
    if result.verdict == "linearizable":
        return []
    if result.verdict == "unknown":
        return [Violation(seed, name, "linearizability", "unknown: search budget exhausted")]
    bad = ", ".join(repr(op) for op in result.unplaceable[:3])
    return [Violation(seed, name, "linearizability",
                      f"{len(result.longest_partial)} ops linearized, then none of: {bad}")]


def check_abd(seed: int, mode: str | None = None) -> list[Violation]:
    """An ABD register's history under faults must be linearizable."""
    return _check("abd", "abd", seed)


def check_local_reads(seed: int, mode: str | None = None) -> list[Violation]:
    """Reads served locally: stale reads are expected on some seeds."""
    return _check("local-reads", "local-reads", seed)
