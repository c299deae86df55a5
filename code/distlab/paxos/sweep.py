"""Seed checks for chaos sweeps of Paxos (``distlab.chaos``: ``paxos``, ``multipaxos``).

``check_paxos``: three proposers with different values, three acceptors, under loss,
duplication, reordering, crashes and restarts of any node (acceptors keep their
durable state), and partitions; then the faults stop and the run goes on. Judged from
the trace: agreement, validity, and termination (every node learned a value once the
faults had stopped).

``check_multipaxos``: three servers and three key-value clients under the same faults
(at most one server down at a time). Judged from the trace and the client history:
one command per slot (agreement), only submitted commands or no-ops (validity), a
linearizable history for the key-value model (``distlab.consistency``), and catch-up
(every server learned the whole log once the faults had stopped).

Modes, for ``benchmarks/sweep.py --mode``: ``None`` (the protocol as written),
``"volatile"`` (acceptors forget their state when they crash), ``"own-value"``
(proposers ignore the promises and send their own value in phase 2). The last two are
unsafe, and sweeps find seeds that show it. ``check_paxos`` also takes ``"none"`` and
``"leader"``: the other ways out of duelling proposers (the default is ``"random"``).

Taught in notebook 2.4.
"""

from __future__ import annotations

from typing import Any

from ..chaos import Violation
from ..consistency import check_linearizable, models
from ..sim import Exponential, FaultPlan, Network, child_stream
from .checks import Problem, agreement, decided_logs, slot_agreement, slot_validity, \
    termination, validity
from .multipaxos import MultiPaxosServer, build_multipaxos
from .synod import SynodNode, build_synod

__all__ = ["check_paxos", "check_multipaxos", "PAXOS_PLAN", "MULTIPAXOS_PLAN", "MODES",
           "paxos_run", "multipaxos_run", "OwnValueNode", "OwnValueServer"]

#: Faults for single-decree runs: any node may crash (two at a time at most).
PAXOS_PLAN = FaultPlan(loss=0.1, duplicate=0.05, reorder=0.1, crash_every=40,
                       restart_after=(5, 40), max_crashed=2, partition_every=120,
                       partition_duration=(10, 60), partition_mode="random")
#: Faults for Multi-Paxos runs (on servers only: at most one down at a time).
MULTIPAXOS_PLAN = FaultPlan(loss=0.05, duplicate=0.05, reorder=0.1, crash_every=120,
                            restart_after=(20, 60), max_crashed=1, partition_every=250,
                            partition_duration=(20, 80), partition_mode="random")
MODES = (None, "volatile", "own-value", "none", "leader")
PAXOS_FAULTS_UNTIL = 400.0
PAXOS_END = 1500.0
MULTIPAXOS_FAULTS_UNTIL = 1200.0
MULTIPAXOS_END = 2400.0


class OwnValueNode(SynodNode):
    """A broken proposer: it ignores the promises and always sends its own value."""

    choose_value = staticmethod(lambda promises, own: own)


class OwnValueServer(MultiPaxosServer):
    """A broken leader: it never recovers accepted commands (it proposes no-ops)."""

    choose_value = staticmethod(lambda promises, own: own)


def _violations(seed: int, protocol: str, problems: list[Problem]) -> list[Violation]:
    return [Violation(seed, protocol, p.property, p.detail) for p in problems]


def _check_mode(mode: str | None, allowed: tuple) -> None:
    if mode not in allowed:
        raise ValueError(f"mode must be one of {allowed}, got {mode!r}")


def paxos_run(seed: int, mode: str | None = None, *, faults: bool = True) -> Any:
    """The single-decree run that ``check_paxos`` judges (returned for inspection)."""
    _check_mode(mode, MODES)
    rng = child_stream(seed, "paxos-sweep")
    proposals = {"p1": "v1", "p2": "v2", "p3": "v3"}
    starts = {p: round(rng.uniform(0, 200), 1) for p in proposals}
    kwargs: dict[str, Any] = {"timeout": 60.0,
                              "backoff": mode if mode in ("none", "leader") else "random",
                              "durable": mode != "volatile"}
    if mode == "own-value":
        kwargs["node"] = OwnValueNode
    sim = build_synod(seed=seed, proposals=proposals, starts=starts,
                      network=Network(latency=Exponential(5, 1)), **kwargs)
    if faults:
        sim.apply(PAXOS_PLAN, until=PAXOS_FAULTS_UNTIL)
    sim.run(until=PAXOS_END)
    return sim


def check_paxos(seed: int, mode: str | None = None) -> list[Violation]:
    """Single-decree Paxos under faults: agreement, validity, termination."""
    sim = paxos_run(seed, mode)
    problems = agreement(sim) + validity(sim) + termination(sim, sim.node_ids)
    return _violations(seed, "paxos", problems)


def multipaxos_run(seed: int, mode: str | None = None, *, faults: bool = True) -> Any:
    """The Multi-Paxos run that ``check_multipaxos`` judges (returned for inspection)."""
    _check_mode(mode, (None, "volatile", "own-value"))
    server_args: dict[str, Any] = {"durable": mode != "volatile",
                                   "server": OwnValueServer if mode == "own-value" else None}
    sim = build_multipaxos(seed=seed, servers=3, clients=3, ops=6,
                           network=Network(latency=Exponential(5, 1)),
                           client_args={"think": 20.0, "retry": 40.0, "give_up": 300.0},
                           **server_args)
    servers = [n for n in sim.node_ids if n.startswith("n")]
    if faults:
        sim.apply(MULTIPAXOS_PLAN, until=MULTIPAXOS_FAULTS_UNTIL, nodes=servers)
    sim.run(until=MULTIPAXOS_END)
    return sim


def check_multipaxos(seed: int, mode: str | None = None) -> list[Violation]:
    """Multi-Paxos under faults: agreement, validity, linearizability, catch-up."""
    sim = multipaxos_run(seed, mode)
    problems = slot_agreement(sim) + slot_validity(sim)
    result = check_linearizable(sim.history, models.kv(), max_steps=2_000_000)
    if result.verdict == "unknown":
        problems.append(Problem("linearizability", "unknown: search budget exhausted"))
    elif not result.linearizable:
        bad = ", ".join(repr(op) for op in result.unplaceable[:3])
        problems.append(Problem("linearizability",
                                f"{len(result.longest_partial)} ops linearized, then none "
                                f"of: {bad}"))
    logs = decided_logs(sim, [n for n in sim.node_ids if n.startswith("n")])
    lengths = {n: len(log) for n, log in logs.items()}
    top = max((max(log, default=-1) for log in logs.values()), default=-1) + 1
    behind = [f"{n} has {k} of {top} slots" for n, k in lengths.items() if k < top]
    if behind and not problems:
        problems.append(Problem("catch-up", "after the faults stopped: " + "; ".join(behind)))
    return _violations(seed, "multipaxos", problems)
