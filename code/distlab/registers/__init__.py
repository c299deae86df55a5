"""``distlab.registers``: replicated read/write registers whose histories the
consistency checkers judge (notebooks 2.1 and 2.2).

``build(scheme, ...)`` makes a ready-to-run simulation: ``"abd"`` (majority quorums
with read write-back: linearizable), ``"abd-no-write-back"`` (not linearizable),
``"primary"`` (a primary serving reads: linearizable without failover) or
``"local-reads"`` (any replica serves reads from its copy: etcd 2.0's stale reads).
"""

from __future__ import annotations

from ..sim import Network, Simulation
from .abd import ABDReplica
from .clients import RegisterClient, ScriptedClient
from .messages import Read, ReadOk, Write, WriteOk
from .primary import PrimaryReplica

__all__ = ["build", "SCHEMES", "ABDReplica", "PrimaryReplica", "RegisterClient",
           "ScriptedClient",
           "Read", "Write", "ReadOk", "WriteOk"]

SCHEMES = ("abd", "abd-no-write-back", "primary", "local-reads")


def build(scheme: str, *, seed: int, replicas: int = 3, clients: int = 3, ops: int = 10,
          write_ratio: float = 0.5, think: float = 5.0, timeout: float = 60.0,
          network: Network | None = None) -> Simulation:
    """A simulation of ``clients`` clients using a register replicated ``replicas`` ways."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    for name, v in (("replicas", replicas), ("clients", clients), ("ops", ops)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    sim = Simulation(seed=seed, network=network)
    ids = tuple(f"n{i + 1}" for i in range(replicas))
    for r in ids:
        if scheme.startswith("abd"):
            sim.add_node(r, ABDReplica, replicas=ids, write_back=(scheme == "abd"))
        else:
            sim.add_node(r, PrimaryReplica, replicas=ids,
                         reads="primary" if scheme == "primary" else "local")
    for c in range(clients):
        if scheme.startswith("abd"):
            targets, writes_to = ids, ids
        elif scheme == "primary":
            targets, writes_to = ids[:1], ids[:1]
        else:
            targets, writes_to = ids, ids[:1]
        sim.add_node(f"c{c + 1}", RegisterClient, targets=targets, writes_to=writes_to,
                     ops=ops, write_ratio=write_ratio, think=think, timeout=timeout,
                     first_value=1000 * (c + 1) + 1)
    return sim
