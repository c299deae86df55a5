"""``distlab.pbft``: Byzantine fault tolerance (notebook 2.5).

- ``generals``: the Byzantine generals and the oral-messages algorithm OM(m)
  (Lamport, Shostak & Pease 1982), and why ``3f+1`` generals are needed;
- ``messages``, ``auth``: PBFT's messages, digests and (modelled) signatures;
- ``quorums``: quorum sizes and the certificates replicas check (prepared, checkpoint,
  view change, new view);
- ``replica``, ``client``: Practical Byzantine Fault Tolerance (Castro & Liskov 1999;
  TOCS 2002): normal case, checkpoints and state transfer, view changes, recovery
  from durable storage;
- ``byzantine``: Byzantine replicas as fault injection (silence, equivocation,
  corrupted digests, replays, lies, forgeries) and a tampering network hook;
- ``checks``, ``sweep``: safety checkers over traces and histories, and the chaos
  sweep ``check_pbft``.

``build(seed, ...)`` makes a ready-to-run simulation of replicas ``r0..r{n-1}`` (``r0``
is the primary of view 0) and clients ``c1, c2, ...``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..sim import Network, Simulation
from .auth import NULL_DIGEST, canonical, digest, forge, sign, verify
from .byzantine import (BEHAVIOURS, AmnesiacReplica, ByzantineReplica, ScriptedByzantine,
                        tamper)
from .checks import (Problem, check_agreement, check_client_results, check_exactly_once,
                     check_history, check_order, check_run, completion, executions)
from .client import Accepted, PBFTClient
from .generals import (ATTACK, RETREAT, General, TraitorGeneral, check_generals, decisions,
                       exhaustive, majority, om_messages, run_om)
from .messages import (Checkpoint, Commit, FetchState, NewView, Order, Prepare,
                       PreparedCertificate, PrePrepare, Reply, Request, Snapshot,
                       StateTransfer, ViewChange)
from .quorums import (Group, checkpoint_digest, intersection, prepared_certificate,
                      reproposals, valid_certificate, valid_new_view, valid_view_change)
from .replica import Execution, PBFTReplica, apply_op

__all__ = [
    "build", "replica_ids",
    # generals
    "ATTACK", "RETREAT", "General", "TraitorGeneral", "majority", "run_om", "decisions",
    "check_generals", "om_messages", "exhaustive",
    # messages and authentication
    "Order", "Request", "Reply", "PrePrepare", "Prepare", "Commit", "Checkpoint",
    "PreparedCertificate", "ViewChange", "NewView", "Snapshot", "FetchState",
    "StateTransfer", "canonical", "digest", "sign", "verify", "forge", "NULL_DIGEST",
    # quorums and certificates
    "Group", "intersection", "prepared_certificate", "valid_certificate",
    "checkpoint_digest", "valid_view_change", "reproposals", "valid_new_view",
    # the protocol
    "PBFTReplica", "PBFTClient", "Execution", "Accepted", "apply_op",
    "ByzantineReplica", "BEHAVIOURS", "tamper", "ScriptedByzantine", "AmnesiacReplica",
    # checks
    "Problem", "executions", "check_agreement", "check_order", "check_exactly_once",
    "check_client_results", "check_history", "check_run", "completion",
]


def replica_ids(n: int) -> tuple[str, ...]:
    """``("r0", ..., "r{n-1}")``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return tuple(f"r{i}" for i in range(n))


def build(seed: int = 0, *, n: int = 4, f: int | None = None, quorum: int | None = None,
          byzantine: Mapping[str, str | Sequence[str]] | None = None, rate: float = 1.0,
          clients: int = 2, ops: int = 4, scripts: Mapping[str, Sequence[tuple]] | None = None,
          network: Network | None = None, view_timeout: float = 80.0,
          checkpoint_interval: int = 4, window: int | None = None,
          client_timeout: float = 60.0, think: float = 5.0,
          client_start: float | None = None) -> Simulation:
    """A simulation of ``n`` PBFT replicas and ``clients`` clients (not yet run).

    ``byzantine`` maps a replica to its behaviours (see ``distlab.pbft.byzantine``),
    each applied with probability ``rate``. ``scripts`` maps a client (``"c1"``) to its
    list of operations (default: ``ops`` random reads and writes each).
    """
    ids = replica_ids(n)
    group = Group.make(ids, f, quorum)
    byzantine = dict(byzantine or {})
    for r in byzantine:
        if r not in ids:
            raise ValueError(f"byzantine replica {r!r} is not one of {ids}")
    if isinstance(clients, bool) or not isinstance(clients, int) or clients < 0:
        raise ValueError(f"clients must be a non-negative int, got {clients!r}")
    scripts = dict(scripts or {})
    names = tuple(f"c{i + 1}" for i in range(clients))
    for c in scripts:
        if c not in names:
            raise ValueError(f"script for {c!r}, but the clients are {names}")
    sim = Simulation(seed=seed, network=network)
    common: dict[str, Any] = dict(replicas=ids, f=group.f, quorum=quorum,
                                  view_timeout=view_timeout,
                                  checkpoint_interval=checkpoint_interval, window=window)
    for r in ids:
        if r in byzantine:
            sim.add_node(r, ByzantineReplica, behaviours=byzantine[r], rate=rate, **common)
        else:
            sim.add_node(r, PBFTReplica, **common)
    for i, c in enumerate(names):
        sim.add_node(c, PBFTClient, replicas=ids, f=group.f, ops=ops, script=scripts.get(c),
                     timeout=client_timeout, think=think, first_value=100 * (i + 1) + 1,
                     start=client_start)
    return sim
