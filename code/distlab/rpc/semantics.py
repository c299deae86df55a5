"""RPC call semantics as configurations of client and server, and a system builder.

=============== ======================= ==================== ============================
semantics       client                  server               a call that returns ran ...
=============== ======================= ==================== ============================
maybe           sends once              executes each copy   once (or 0-1 if no reply)
at-least-once   retries on timeout      executes each copy   once or more
at-most-once    retries on timeout      deduplicates         exactly once
=============== ======================= ==================== ============================

In every row a call that *gives up* leaves the client not knowing whether the
operation ran (Birrell & Nelson 1984, §1.3: "either once or not at all").

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..sim import Network, Simulation
from .client import DEFAULT_WORKLOAD, RPCClient
from .server import RPCServer

__all__ = ["Semantics", "SEMANTICS", "rpc_system"]


@dataclass(frozen=True, slots=True)
class Semantics:
    """How many times the client sends a request, and how the server deduplicates."""

    name: str
    attempts: int
    dedup: str


SEMANTICS: dict[str, Semantics] = {
    "maybe": Semantics("maybe", attempts=1, dedup="none"),
    "at-least-once": Semantics("at-least-once", attempts=4, dedup="none"),
    "at-most-once": Semantics("at-most-once", attempts=4, dedup="volatile"),
}


def rpc_system(seed: int = 0, semantics: str = "at-most-once", *,
               clients: Sequence[str] = ("c1",), workload: Sequence = DEFAULT_WORKLOAD,
               network: Network | None = None, timeout: float = 25.0,
               attempts: int | None = None, durable: bool = False, think: float = 0.0,
               server: str = "server") -> Simulation:
    """A simulation with one ``RPCServer`` and ``clients`` calling it (not yet run).

    ``durable=True`` keeps the at-most-once table in durable storage. ``attempts``
    overrides the semantics' number of sends per call.
    """
    if semantics not in SEMANTICS:
        raise ValueError(f"semantics must be one of {list(SEMANTICS)}, got {semantics!r}")
    if isinstance(clients, str):
        raise TypeError(f"clients must be a list of node ids such as ['c1', 'c2'], not the "
                        f"string {clients!r}")
    if not isinstance(durable, bool):
        raise TypeError(f"durable must be True or False, got {durable!r}")
    sem = SEMANTICS[semantics]
    dedup = sem.dedup
    if durable:
        if dedup == "none":
            raise ValueError(f"durable=True needs a deduplication table, which "
                             f"{semantics!r} does not keep; use 'at-most-once'")
        dedup = "durable"
    sim = Simulation(seed=seed, network=network)
    sim.add_node(server, RPCServer, dedup=dedup)
    for c in clients:
        sim.add_node(c, RPCClient, server=server, workload=workload, timeout=timeout,
                     attempts=sem.attempts if attempts is None else attempts, think=think)
    return sim
