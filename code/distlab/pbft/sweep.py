"""The chaos sweep of PBFT (``distlab.chaos.SWEEPS["pbft"]``).

``check_pbft(seed)``: four replicas (``f = 1``) and three clients, under message loss,
duplication and reordering, partitions, and crashes with restarts of the replicas
(at most one down at a time); on most seeds one replica is also Byzantine, with a
random mix of the behaviours of ``distlab.pbft.byzantine``. Faults stop at t = 1500
(a global stabilisation time); the run ends at t = 3000. The honest replicas'
executions and the clients' results and history are then judged by
``distlab.pbft.checks``. Modes:

- ``None``: as above (no violation is expected);
- ``"honest"``: no Byzantine replica;
- ``"3f"``: three replicas with quorums of two (``n = 3f``), an equivocating primary:
  below the ``3f+1`` bound, violations are expected.

Run it with ``python benchmarks/sweep.py pbft --seeds 300``. Taught in notebook 2.5.
"""

from __future__ import annotations

from ..chaos import Violation
from ..sim import FaultPlan, Network, Uniform, child_stream
from . import build, replica_ids
from .byzantine import BEHAVIOURS
from .checks import check_run

__all__ = ["check_pbft", "PLAN", "MODES", "sweep_run"]

PLAN = FaultPlan(loss=0.05, duplicate=0.05, reorder=0.1, crash_every=250,
                 restart_after=(20, 80), max_crashed=1, partition_every=500,
                 partition_duration=(20, 80))
MODES = (None, "honest", "3f")
FAULTS_UNTIL = 1500.0
RUN_UNTIL = 3000.0


def sweep_run(seed: int, mode: str | None = None):
    """Build and run the sweep's simulation for ``seed``; returns ``(sim, honest,
    byzantine)`` where ``byzantine`` maps the faulty replica to its behaviours."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    rng = child_stream(seed, "pbft-sweep")
    if mode == "3f":
        n, quorum = 3, 2
        byz = {"r0": ("equivocate",)}
        rate = 1.0
    else:
        n, quorum = 4, None
        byz = {}
        if mode is None and rng.random() < 0.85:
            victim = rng.choice(replica_ids(n))
            byz[victim] = tuple(sorted(rng.sample(BEHAVIOURS, rng.randint(1, 3))))
        rate = rng.uniform(0.3, 1.0)
    sim = build(seed, n=n, f=1, quorum=quorum, byzantine=byz, rate=rate, clients=3, ops=6,
                network=Network(latency=Uniform(1, 10)))
    replicas = replica_ids(n)
    sim.apply(PLAN, until=FAULTS_UNTIL, nodes=replicas)
    sim.run(until=RUN_UNTIL)
    honest = [r for r in replicas if r not in byz]
    return sim, honest, byz


def check_pbft(seed: int, mode: str | None = None) -> list[Violation]:
    """Safety of PBFT on one seed: agreement, order, exactly-once, client results and
    linearizability, judged from the trace and the history."""
    sim, honest, byz = sweep_run(seed, mode)
    name = "pbft" if mode is None else f"pbft[{mode}]"
    who = ", ".join(f"{r} {'+'.join(b)}" for r, b in byz.items()) or "none"
    return [Violation(seed, name, p.property, f"{p.detail} (Byzantine: {who})")
            for p in check_run(sim, honest)]
