"""Seed checks for chaos sweeps of the commit protocols (``distlab.chaos``).

Each seed builds a coordinator ``c`` and three participants running five overlapping
transactions; each participant votes no on each transaction with probability 0.1
(drawn from the seed). A ``FaultPlan`` acts until t = 600; at its end the network
heals and every crashed node restarts, and the run goes on to t = 2000 so that
recovery can finish. The trace is then judged by ``distlab.commit.checks``.

- ``check_2pc``: loss, duplication, reordering, crashes with restarts and random
  partitions. Atomicity and validity must hold on every seed, and after the recovery
  every participant must have decided. Participants blocked on the way are expected,
  not violations (``blocked_2pc`` lists them).
- ``check_3pc``: mode ``"all"`` (default) is the same plan; ``"partitions"`` has only
  partitions; ``"crash-only"`` has crashes with restarts, loss and duplication but no
  partitions and no extra reordering (the synchronous model 3PC assumes). With
  partitions atomicity fails on some seeds (the lesson); crash-only must stay clean,
  including termination for the participants that stay up.

Taught in notebook 2.3 ("Two-phase and three-phase commit").
"""

from __future__ import annotations

from ..chaos import Violation
from ..sim import FaultPlan, Simulation
from ..sim.randomness import child_stream
from . import checks
from .threepc import three_phase
from .twopc import two_phase

__all__ = ["check_2pc", "check_3pc", "run_2pc", "run_3pc", "blocked_2pc", "PLANS", "MODES",
           "TRANSACTIONS", "PLAN_UNTIL", "RUN_UNTIL"]

TRANSACTIONS = (("T1", 0.0), ("T2", 60.0), ("T3", 150.0), ("T4", 250.0), ("T5", 380.0))
PLAN_UNTIL = 600.0
RUN_UNTIL = 2000.0
NO_VOTE = 0.1

PLANS: dict[str, FaultPlan] = {
    "all": FaultPlan(loss=0.1, duplicate=0.1, reorder=0.1, crash_every=80,
                     restart_after=(20, 150), max_crashed=2, partition_every=100,
                     partition_duration=(150, 500), partition_mode="random"),
    "partitions": FaultPlan(partition_every=100, partition_duration=(150, 500),
                            partition_mode="random"),
    "crash-only": FaultPlan(loss=0.05, duplicate=0.05, crash_every=80,
                            restart_after=(20, 150), max_crashed=2),
}
MODES = tuple(PLANS)


def _mode(mode: str | None) -> str:
    mode = "all" if mode is None else mode
    if mode not in PLANS:
        raise ValueError(f"mode must be one of {list(MODES)} (or None for 'all'), "
                         f"got {mode!r}")
    return mode


def _votes(seed: int, participants: int = 3) -> dict[str, list[str]]:
    rng = child_stream(seed, "commit-votes")
    out: dict[str, list[str]] = {}
    for i in range(participants):
        for txid, _ in TRANSACTIONS:
            if rng.random() < NO_VOTE:
                out.setdefault(f"p{i + 1}", []).append(txid)
    return out


def _run(factory, seed: int, mode: str | None) -> Simulation:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    sim = factory(seed, transactions=TRANSACTIONS, vote_no=_votes(seed))
    sim.apply(PLANS[_mode(mode)], until=PLAN_UNTIL)
    sim.run(until=RUN_UNTIL)
    return sim


def run_2pc(seed: int, mode: str | None = None) -> Simulation:
    """The simulation ``check_2pc`` judges, after its run."""
    return _run(two_phase, seed, mode)


def run_3pc(seed: int, mode: str | None = None) -> Simulation:
    """The simulation ``check_3pc`` judges, after its run."""
    return _run(three_phase, seed, mode)


def _as_chaos(seed: int, name: str, found: list[checks.Violation]) -> list[Violation]:
    return [Violation(seed, name, v.property, f"{v.txid}: {v.detail}") for v in found]


def check_2pc(seed: int, mode: str | None = None) -> list[Violation]:
    """2PC under every fault: atomicity, validity, and termination once all recovered."""
    sim = run_2pc(seed, mode)
    return _as_chaos(seed, "2pc", checks.check_commit(sim, termination="all"))


def check_3pc(seed: int, mode: str | None = None) -> list[Violation]:
    """3PC: atomicity, validity, and termination for participants that stayed up."""
    sim = run_3pc(seed, mode)
    return _as_chaos(seed, "3pc", checks.check_commit(sim, termination="up"))


def blocked_2pc(seed: int, mode: str | None = None) -> list[checks.InDoubt]:
    """The participants that were blocked (in doubt, asking) in ``check_2pc``'s run."""
    return checks.blocked(run_2pc(seed, mode))
