"""Ready-made runs of notebook 2.9: one replicated system, its clients and its faults.

Each ``*_run(seed, ...)`` builds a simulation from the seed, applies the chapter's
fault plan (or none), runs it to the end and returns it; the seed checks of
``checks`` and the notebook's tables judge the returned history and trace.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ..sim import Exponential, FaultPlan, Network, Simulation
from .chain import ChainMaster, ChainServer
from .clients import KVClient, LogClient
from .gossip import CartClient, CartReplica
from .multileader import Leader
from .primary_backup import PrimaryBackupReplica
from .quorum import QuorumNode

__all__ = ["FAULTS_END", "FINAL_READ", "RUN_END", "PB_PLAN", "CHAIN_CRASHES",
           "CHAIN_PARTITIONS", "QUORUM_PLAN", "pb_build", "pb_run", "chain_build", "chain_run",
           "skewed_clocks", "quorum_build", "quorum_run", "MULTILEADER_PLAN",
           "multileader_build", "multileader_run", "CART_PLAN", "cart_build", "cart_run"]

FAULTS_END = 500.0   #: faults stop here (the network heals, crashed replicas restart) ...
FINAL_READ = 600.0  #: ... every client makes a final read here ...
RUN_END = 800.0     #: ... and the run ends here.

#: Primary-backup: lossy links, crashes with restarts (one replica at a time), partitions.
PB_PLAN = FaultPlan(loss=0.05, duplicate=0.02, reorder=0.05, crash_every=120,
                    restart_after=(30, 90), max_crashed=1, partition_every=250,
                    partition_duration=(40, 120))
#: Chain: fail-stop servers (no restarts), at most two of three, and lossy links.
CHAIN_CRASHES = FaultPlan(loss=0.05, duplicate=0.02, reorder=0.05, crash_every=200,
                          restart_after=None, max_crashed=2)
#: Chain: partitions among the servers, the master and the clients.
CHAIN_PARTITIONS = FaultPlan(partition_every=150, partition_duration=(40, 150))


def _clients(sim: Simulation, servers: tuple[str, ...], clients: int, ops: int,
             final: bool, read_any: bool = False, reader: str | None = None) -> None:
    for c in range(clients):
        sim.add_node(f"c{c + 1}", LogClient, servers=servers, ops=ops, think=12.0,
                     timeout=60.0, first_value=100 * (c + 1),
                     final_read_at=FINAL_READ if final else None, read_any=read_any,
                     reader=reader)


def pb_build(seed: int, *, mode: str = "sync", failover: bool = False, replicas: int = 3,
             clients: int = 3, ops: int = 12, final: bool = True,
             network: Network | None = None, **replica_kwargs) -> Simulation:
    """Primary-backup replicas ``n1..`` (``n1`` the first primary) and clients ``c1..``."""
    sim = Simulation(seed=seed, network=network or Network(latency=Exponential(5, 1)))
    ids = tuple(f"n{i + 1}" for i in range(replicas))
    sim.add_nodes(ids, PrimaryBackupReplica, replicas=ids, mode=mode, failover=failover,
                  **replica_kwargs)
    _clients(sim, ids, clients, ops, final, reader=ids[0])
    return sim


def pb_run(seed: int, *, mode: str = "sync", failover: bool = False,
           plan: FaultPlan | None = PB_PLAN, **kwargs) -> Simulation:
    """``pb_build`` under ``plan`` until ``FAULTS_END``, then run to ``RUN_END``."""
    sim = pb_build(seed, mode=mode, failover=failover, **kwargs)
    if plan is not None:
        servers = [n for n in sim.node_ids if n.startswith("n")]
        sim.apply(plan, until=FAULTS_END, nodes=servers)
    sim.run(until=RUN_END)
    return sim


def chain_build(seed: int, *, servers: int = 3, reads: str = "tail", clients: int = 3,
                ops: int = 12, final: bool = True, network: Network | None = None
                ) -> Simulation:
    """Chain servers ``s1..`` (head first), a master, and clients ``c1..``."""
    sim = Simulation(seed=seed, network=network or Network(latency=Exponential(5, 1)))
    ids = tuple(f"s{i + 1}" for i in range(servers))
    sim.add_nodes(ids, ChainServer, chain=ids, reads=reads)
    sim.add_node("master", ChainMaster, chain=ids)
    _clients(sim, ids, clients, ops, final, read_any=reads == "any")
    return sim


def chain_run(seed: int, *, faults: str | None = "crash", reads: str = "tail",
              **kwargs) -> Simulation:
    """``chain_build`` with fail-stop crashes (``faults="crash"``), partitions
    (``"partition"``) or no faults (``None``)."""
    if faults not in (None, "crash", "partition"):
        raise ValueError(f"faults must be None, 'crash' or 'partition', got {faults!r}")
    sim = chain_build(seed, reads=reads, **kwargs)
    servers = [n for n in sim.node_ids if n.startswith("s")]
    if faults == "crash":
        sim.apply(CHAIN_CRASHES, until=FAULTS_END, nodes=servers, heal_at_end=False)
    elif faults == "partition":
        sim.apply(CHAIN_PARTITIONS, until=FAULTS_END, nodes=servers + ["master"])
    sim.run(until=RUN_END)
    return sim


# --- leaderless quorums ------------------------------------------------------------------------
#: Leaderless store: partitions (any nodes, clients included), crashes with restarts, loss.
QUORUM_PLAN = FaultPlan(loss=0.03, crash_every=150, restart_after=(30, 90), max_crashed=1,
                        partition_every=100, partition_duration=(40, 120),
                        partition_mode="random")


def skewed_clocks(seed: int, nodes: Sequence[str], skew: float) -> dict[str, dict]:
    """A clock offset for each node, uniform in ``[-skew, skew]``, drawn from the seed."""
    rng = random.Random(f"clocks:{seed}")
    return {n: {"offset": rng.uniform(-skew, skew)} for n in nodes}


def quorum_build(seed: int, *, nodes: int = 5, keys: Sequence[str] = ("x", "y"),
                 clients: int = 3, ops: int = 12, skew: float = 0.0, final: bool = True,
                 network: Network | None = None, **node_kwargs) -> Simulation:
    """Store nodes ``d1..``, clients ``c1..``; ``skew``: clock offsets up to that much."""
    sim = Simulation(seed=seed, network=network or Network(latency=Exponential(5, 1)))
    ids = tuple(f"d{i + 1}" for i in range(nodes))
    clocks = skewed_clocks(seed, ids, skew) if skew else {}
    for d in ids:
        sim.add_node(d, QuorumNode, nodes=ids, clock=clocks.get(d), **node_kwargs)
    for c in range(clients):
        sim.add_node(f"c{c + 1}", KVClient, servers=ids, keys=tuple(keys), ops=ops,
                     think=12.0, timeout=60.0, first_value=100 * (c + 1),
                     final_read_at=FINAL_READ if final else None)
    return sim


def quorum_run(seed: int, *, plan: FaultPlan | None = QUORUM_PLAN, **kwargs) -> Simulation:
    """``quorum_build`` under ``plan`` (faults among every node, clients included)."""
    sim = quorum_build(seed, **kwargs)
    if plan is not None:
        stores = [x for x in sim.node_ids if x.startswith("d")]
        sim.apply(plan, until=FAULTS_END, nodes=stores)
    sim.run(until=RUN_END)
    return sim


# --- multi-leader -----------------------------------------------------------------------------
#: Multi-leader: the links between data centres fail for a while; messages get lost.
MULTILEADER_PLAN = FaultPlan(loss=0.05, partition_every=200, partition_duration=(50, 150))


def multileader_build(seed: int, *, leaders: int = 2, resolution: str = "siblings",
                      keys: Sequence[str] = ("x",), clients_per_leader: int = 2, ops: int = 10,
                      skew: float = 0.0, final: bool = True, network: Network | None = None,
                      sync_every: float = 50.0) -> Simulation:
    """Leaders ``dc1..`` each with local clients ``c1..``; ``skew``: clock offsets."""
    sim = Simulation(seed=seed, network=network or Network(latency=Exponential(5, 1)))
    ids = tuple(f"dc{i + 1}" for i in range(leaders))
    clocks = skewed_clocks(seed, ids, skew) if skew else {}
    for d in ids:
        sim.add_node(d, Leader, leaders=ids, resolution=resolution, clock=clocks.get(d),
                     sync_every=sync_every)
    c = 0
    for d in ids:
        for _ in range(clients_per_leader):
            c += 1
            sim.add_node(f"c{c}", KVClient, servers=ids, keys=tuple(keys), ops=ops,
                         think=15.0, timeout=60.0, first_value=100 * c, server=d,
                         final_read_at=FINAL_READ if final else None)
    return sim


def multileader_run(seed: int, *, plan: FaultPlan | None = MULTILEADER_PLAN,
                    **kwargs) -> Simulation:
    """``multileader_build`` under ``plan`` (partitions between the leaders)."""
    sim = multileader_build(seed, **kwargs)
    if plan is not None:
        leaders = [x for x in sim.node_ids if x.startswith("dc")]
        sim.apply(plan, until=FAULTS_END, nodes=leaders)
    sim.run(until=RUN_END)
    return sim


# --- a gossiped cart (notebook 2.10) ----------------------------------------------------------
#: The cart's faults: lossy, duplicating, reordering links, crashes, partitions.
CART_PLAN = FaultPlan(loss=0.2, duplicate=0.1, reorder=0.1, crash_every=150,
                      restart_after=(20, 80), partition_every=150,
                      partition_duration=(30, 120))


def cart_build(seed: int, *, replicas: int = 3, crdt: str = "orset", ops: int = 10,
               gossip_every: float = 20.0, network: Network | None = None,
               catalog: Sequence[str] = ("apples", "bread", "milk", "tea")) -> Simulation:
    """Cart replicas ``r1..`` with one shopper ``c1..`` each."""
    sim = Simulation(seed=seed, network=network or Network(latency=Exponential(5, 1)))
    ids = tuple(f"r{i + 1}" for i in range(replicas))
    sim.add_nodes(ids, CartReplica, replicas=ids, crdt=crdt, gossip_every=gossip_every)
    for i, r in enumerate(ids):
        sim.add_node(f"c{i + 1}", CartClient, replica=r, ops=ops, catalog=tuple(catalog))
    return sim


def cart_run(seed: int, *, plan: FaultPlan | None = CART_PLAN, until: float = 600.0,
             settle: float = 200.0, **kwargs) -> Simulation:
    """``cart_build`` under ``plan`` until ``until``, then ``settle`` more time units."""
    sim = cart_build(seed, **kwargs)
    if plan is not None:
        sim.apply(plan, until=until, nodes=[n for n in sim.node_ids if n.startswith("r")])
    sim.run(until=until + settle)
    return sim
