"""Ready-made simulations of the Dynamo-style store, for notebooks, tests and sweeps.

``cluster(seed, nodes=5, ...)`` adds the storage nodes ``n1..nK`` (plus ``standby``
nodes outside the ring, waiting for an operator's ``Join``); ``add_client`` adds a
``KVClient`` whose contacts start at a given node. Taught in notebooks 2.12 and 2.13.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import Network, Simulation
from .client import KVClient
from .membership import Operator
from .node import Config, DynamoNode

__all__ = ["cluster", "add_client", "add_operator", "storage_nodes"]


def cluster(seed: int, *, nodes: int | Sequence[str] = 5, config: Config | None = None,
            standby: int | Sequence[str] = 0, network: Network | None = None,
            clocks: dict[str, dict] | None = None) -> Simulation:
    """A simulation holding a Dynamo cluster (no clients yet).

    ``nodes``: how many members (``n1``, ``n2``, ...) or their ids; ``standby``: nodes
    that start outside the ring; ``clocks``: physical clocks per node, e.g.
    ``{"n1": {"offset": 5}}`` (last-writer-wins timestamps come from them).
    """
    config = config or Config()
    if not isinstance(config, Config):
        raise TypeError(f"config must be a distlab.dynamo.Config, got {config!r}")
    ids = _ids("nodes", nodes, "n", 1)
    extra = _ids("standby", standby, "n", len(ids) + 1)
    if set(ids) & set(extra):
        raise ValueError(f"standby nodes {sorted(set(ids) & set(extra))} are also members")
    sim = Simulation(seed=seed, network=network)
    clocks = clocks or {}
    for n in ids:
        sim.add_node(n, DynamoNode, members=ids, config=config, clock=clocks.get(n))
    for n in extra:
        sim.add_node(n, DynamoNode, members=(), config=config, member=False,
                     clock=clocks.get(n))
    return sim


def _ids(name: str, spec: int | Sequence[str], prefix: str, first: int) -> tuple[str, ...]:
    if isinstance(spec, bool):
        raise TypeError(f"{name} must be a count or a list of node ids, got {spec!r}")
    if isinstance(spec, int):
        if spec < 0:
            raise ValueError(f"{name} must be >= 0, got {spec}")
        return tuple(f"{prefix}{i}" for i in range(first, first + spec))
    if isinstance(spec, str):
        raise TypeError(f"{name} must be a list of node ids, not a string")
    return tuple(spec)


def storage_nodes(sim: Simulation) -> list[str]:
    """The ids of the simulation's Dynamo nodes that are up (all of them while a
    simulation is being built)."""
    return [n for n, node in sim.nodes.items() if isinstance(node, DynamoNode)]


def add_client(sim: Simulation, name: str, *, home: str | None = None,
               contacts: Sequence[str] | None = None, config: Config | None = None,
               **kwargs: Any) -> KVClient:
    """Add a ``KVClient`` called ``name``. Its contacts are every storage node (or
    ``contacts``), rotated to start at ``home``; ``kwargs`` go to ``KVClient``."""
    nodes = list(contacts) if contacts is not None else storage_nodes(sim)
    if not nodes:
        raise ValueError("add the storage nodes (cluster(...)) before the clients")
    if home is not None:
        if home not in nodes:
            raise ValueError(f"home {home!r} is not one of the contacts {nodes}")
        i = nodes.index(home)
        nodes = nodes[i:] + nodes[:i]
    if config is not None:
        kwargs.setdefault("actor", config.actor)
    return sim.add_node(name, KVClient, contacts=nodes, **kwargs)


def add_operator(sim: Simulation, script: Sequence[tuple[float, str, str]], *,
                 seeds: Sequence[str] | None = None, name: str = "operator") -> Operator:
    """Add an ``Operator`` that makes nodes join or leave at the scripted times."""
    seeds = tuple(seeds) if seeds is not None else tuple(storage_nodes(sim)[:2])
    return sim.add_node(name, Operator, script=script, seeds=seeds)
