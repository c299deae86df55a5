"""One workload, several counter designs: build, run (with faults), judge, summarise.

``build_counter(kind, seed)`` makes a simulation with replicas ``r1..rN`` (or one
server ``s`` for the naive design) and clients ``c1..cM``, client ``ci`` homed at
replica ``r((i-1) mod N + 1)``. ``run_counter`` adds a ``FaultPlan``, runs until every client has finished (faults stop, the network heals and crashed
replicas restart at ``fault_until``), then lets the replicas settle for ``settle`` time
units, and returns a ``CounterRun`` that can ``check()`` itself and ``summary()`` its
costs. The same seed gives every design the same clients' think times.

Taught in notebook 1.5 ("Project: a distributed counter").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import FaultPlan, Network, Simulation, Uniform
from ..sim import _check
from .checks import Convergence, check_convergence
from .client import CounterClient
from .gossip import CRDTCounterReplica
from .lww import LWWCounterReplica
from .naive import ReadModifyWriteClient, RegisterServer
from .oplog import OpLogReplica

__all__ = ["DESIGNS", "CounterRun", "build_counter", "run_counter"]

#: The designs the notebook compares, with a one-line description of each.
DESIGNS: dict[str, str] = {
    "naive": "one register, clients read-modify-write",
    "lww": "replicas gossip a last-writer-wins value",
    "oplog-unreliable": "Lamport-ordered operation log, each operation sent once",
    "oplog": "Lamport-ordered operation log, retransmitted until acknowledged",
    "gcounter": "replicas gossip a G-Counter",
    "pncounter": "replicas gossip a PN-Counter",
}


@dataclass(frozen=True)
class CounterRun:
    """A counter simulation with the names of its replicas and clients."""

    kind: str
    sim: Simulation
    replicas: tuple[str, ...]
    clients: tuple[str, ...]
    ops: int

    def finished(self) -> bool:
        """Has every client completed all its operations (ok or fail)?"""
        done = sum(1 for e in self.sim.history.events if e.type in ("ok", "fail"))
        return done >= self.ops * len(self.clients)

    def check(self) -> Convergence:
        """Judge the run from its history and trace (see ``checks.check_convergence``)."""
        return check_convergence(self.sim, self.replicas)

    def replica_messages(self) -> int:
        """Messages sent from one replica to another (the cost of replication)."""
        members = set(self.replicas)
        return sum(1 for e in self.sim.trace.of_kind("send")
                   if e.node in members and e.peer in members)

    def summary(self) -> dict[str, Any]:
        """One row of the comparison table."""
        verdict = self.check()
        values = list(verdict.values.values())
        sizes = [self.sim.node(r).state_size() for r in self.replicas if self.sim.is_up(r)]
        return {
            "design": self.kind,
            "acknowledged": verdict.expected,
            "final values": "/".join("-" if v is None else str(v) for v in values),
            "lost": verdict.expected - min((v for v in values if v is not None),
                                           default=0),
            "correct": verdict.correct,
            "messages": self.sim.stats["sent"],
            "replica messages": self.replica_messages(),
            "state size": max(sizes, default=0),
        }


def build_counter(kind: str, seed: int, *, replicas: int = 3, clients: int | None = None,
                  ops: int = 5, think: Any = Uniform(10.0, 40.0), decrement: float = 0.0,
                  timeout: float = 30.0, network: Network | None = None,
                  **options: Any) -> CounterRun:
    """A fresh (not yet run) simulation of design ``kind`` (a key of ``DESIGNS``).

    ``options`` go to the replica class (e.g. ``gossip_every=5``, ``durable=False``,
    ``reincarnate=True``, ``retransmit_every=10``).
    """
    _check.one_of("kind", kind, list(DESIGNS))
    _check.integer("replicas", replicas, minimum=1)
    clients = replicas if clients is None else _check.integer("clients", clients, minimum=1)
    _check.integer("ops", ops, minimum=0)
    sim = Simulation(seed=seed, network=network)
    client_ids = tuple(f"c{i}" for i in range(1, clients + 1))
    if kind == "naive":
        if decrement:
            raise ValueError("the naive counter only increments: use decrement=0")
        sim.add_node("s", RegisterServer, **options)
        for c in client_ids:
            sim.add_node(c, ReadModifyWriteClient, server="s", ops=ops, think=think)
        return CounterRun(kind, sim, ("s",), client_ids, ops)
    replica_ids = tuple(f"r{i}" for i in range(1, replicas + 1))
    if kind == "lww":
        factory, extra = LWWCounterReplica, {}
    elif kind.startswith("oplog"):
        factory, extra = OpLogReplica, {"retransmit": kind == "oplog"}
    else:
        factory, extra = CRDTCounterReplica, {"crdt": "g" if kind == "gcounter" else "pn"}
    if kind == "gcounter" and decrement:
        raise ValueError("a G-Counter cannot decrement: use kind='pncounter' for decrement > 0")
    for r in replica_ids:
        sim.add_node(r, factory, replicas=replica_ids, **extra, **options)
    for i, c in enumerate(client_ids):
        sim.add_node(c, CounterClient, replica=replica_ids[i % replicas], ops=ops,
                     think=think, decrement=decrement, timeout=timeout)
    return CounterRun(kind, sim, replica_ids, client_ids, ops)


def run_counter(kind: str, seed: int, *, plan: FaultPlan | None = None,
                fault_until: float = 150.0, settle: float = 40.0, max_time: float = 5000.0,
                faulty: str = "all", **build: Any) -> CounterRun:
    """Build, apply ``plan`` until ``fault_until``, run to completion, then settle.

    ``faulty`` says which nodes the plan acts on: ``"all"`` (replicas and clients: a
    partition may separate a client from its replica, and clients crash too) or
    ``"replicas"``. Note that nodes outside the plan form a group of their own during
    a partition, so with ``"replicas"`` the clients reach no replica while one lasts.
    Runs until every client has finished (checking every 10 time units, up to
    ``max_time``), then ``settle`` more time units for the replicas to converge.
    """
    run = build_counter(kind, seed, **build)
    fault_until = _check.number("fault_until", fault_until, minimum=0.0)
    _check.one_of("faulty", faulty, ("all", "replicas"))
    settle = _check.number("settle", settle, minimum=0.0)
    if plan is not None:
        if kind == "naive":
            raise ValueError("the naive counter has no retries: run it without a fault plan")
        nodes = run.replicas if faulty == "replicas" else run.replicas + run.clients
        run.sim.apply(plan, until=fault_until, nodes=nodes)
    run.sim.run(until=fault_until)
    while not run.finished() and run.sim.now < max_time:
        run.sim.run(until=run.sim.now + 10.0)
    run.sim.run(until=run.sim.now + settle)
    return run
