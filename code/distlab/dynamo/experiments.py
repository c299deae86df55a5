"""The experiments of notebook 2.12: CAP under a partition, PACELC without one.

``cap_run(groups, "CP" | "AP")``: five nodes, one key ``x`` replicated ``N=3`` ways,
a writer and two readers, each client next to one node (it stays on that node's side
of the partition). Between ``start`` and ``end`` the network is split into ``groups``.
``CP`` is a strict quorum (``R=W=2``, blocking read repair): a side without two of
``x``'s replicas refuses. ``AP`` is a sloppy quorum with hinted handoff: every side
answers. ``cap_summary`` puts the two sides of the trade-off next to each other:
availability (the share of requests answered) and consistency (the linearizability
verdict and the stale reads).

``pacelc_run(r, w)``: the same store with no partition at all, for every ``R`` and
``W``: how long requests take, and how many reads are stale (Abadi 2012: *else*,
latency against consistency). Taught in notebook 2.12.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from ..sim import Constant, Exponential, FaultPlan, Network, Simulation
from .checks import availability, check_register, stale_reads
from .cluster import add_client, cluster
from .node import Config
from .ring import Ring

__all__ = ["CAP_MODES", "cap_config", "cap_run", "CapSummary", "cap_summary", "pacelc_run",
           "PacelcPoint", "CAP_CLIENTS", "KEY", "cap_chaos", "CAP_PLAN"]

KEY = "x"
CAP_MODES = ("CP", "AP")
#: client -> (its node, what it does)
CAP_CLIENTS = {"writer": ("n1", "put"), "reader1": ("n2", "get"), "reader2": ("n5", "get")}


def cap_config(mode: str) -> Config:
    """``"CP"``: strict quorum, R=W=2 of N=3, blocking read repair. ``"AP"``: sloppy
    quorum with hinted handoff, R=W=2, asynchronous read repair."""
    if mode not in CAP_MODES:
        raise ValueError(f"mode must be one of {CAP_MODES}, got {mode!r}")
    base = Config(n=3, r=2, w=2, vnodes=4, request_timeout=20.0, fallback_after=8.0,
                  gossip_every=10.0, anti_entropy_every=20.0, handoff_every=10.0)
    if mode == "CP":
        return Config(**{**base.__dict__, "quorum": "strict", "read_repair": "blocking"})
    return Config(**{**base.__dict__, "quorum": "sloppy", "read_repair": "async"})


def _groups(groups: Sequence[Sequence[str]] | None, nodes: Sequence[str]) -> list[list[str]]:
    if groups is None:
        return []
    out = [list(g) for g in groups]
    for g in out:
        for n in g:
            if n not in nodes:
                raise ValueError(f"{n!r} is not a storage node; nodes are {', '.join(nodes)}")
    return out


def _cap_cluster(mode: str, seed: int, until: float, think: float) -> Simulation:
    cfg = cap_config(mode)
    sim = cluster(seed, nodes=5, config=cfg, network=Network(latency=Exponential(2, 0.5)))
    for name, (home, kind) in CAP_CLIENTS.items():
        add_client(sim, name, home=home, contacts=[home], config=cfg, keys=(KEY,),
                   writes=(KEY,) if kind == "put" else (), write_ratio=1.0,
                   ops=10_000, think=think, timeout=2.5 * cfg.request_timeout,
                   until=until - 3 * cfg.request_timeout)
    return sim


def cap_run(groups: Sequence[Sequence[str]] | None, mode: str, *, seed: int = 0,
            start: float = 40.0, end: float = 160.0, until: float = 260.0,
            think: float = 5.0) -> Simulation:
    """Run the CAP experiment; ``groups`` of storage nodes (``None``: no partition).

    Each client joins the side of its node. Returns the simulation after its run.
    """
    if mode not in CAP_MODES:
        raise ValueError(f"mode must be one of {CAP_MODES}, got {mode!r}")
    sim = _cap_cluster(mode, seed, until, think)
    sides = _groups(groups, [n for n in sim.node_ids if n not in CAP_CLIENTS])
    if sides:
        for side in sides:
            side.extend(c for c, (home, _) in CAP_CLIENTS.items() if home in side)
        sim.partition(*sides, at=start)
        sim.heal(at=end)
    sim.run(until=until)
    return sim


@dataclass(frozen=True)
class CapSummary:
    """What a CAP run showed: availability next to consistency."""

    mode: str
    requests: int
    answered: int
    failed: int      # refused: Unavailable
    unknown: int     # timed out
    linearizable: str
    stale: int
    reads: int

    @property
    def availability(self) -> float:
        return self.answered / self.requests if self.requests else 1.0

    def row(self) -> dict:
        return {"mode": self.mode, "requests": self.requests,
                "answered": f"{100 * self.availability:.0f}%", "refused": self.failed,
                "timed out": self.unknown, "stale reads": f"{self.stale} of {self.reads}",
                "linearizable?": self.linearizable}


def cap_summary(sim: Simulation, mode: str) -> CapSummary:
    """Availability and consistency of a ``cap_run``."""
    counts = availability(sim)
    total = sum(sum(c.values()) for c in counts.values())
    ok = sum(c["ok"] for c in counts.values())
    fail = sum(c["fail"] for c in counts.values())
    verdict = check_register(sim, KEY).verdict
    reads = counts.get("get", {}).get("ok", 0)
    return CapSummary(mode, total, ok, fail, total - ok - fail,
                      "yes" if verdict == "linearizable" else
                      ("no" if verdict == "not linearizable" else "unknown"),
                      len(stale_reads(sim, KEY)), reads)


#: Random partitions (two random halves, then heal) for ``cap_chaos``.
CAP_PLAN = FaultPlan(partition_every=40.0, partition_duration=(20.0, 60.0),
                     partition_mode="halves")


def cap_chaos(seed: int, mode: str, *, until: float = 260.0) -> CapSummary:
    """The CAP workload under random partitions until ``until - 60`` (each client lands
    on a random side); returns the summary."""
    if mode not in CAP_MODES:
        raise ValueError(f"mode must be one of {CAP_MODES}, got {mode!r}")
    sim = _cap_cluster(mode, seed, until, 5.0)
    sim.apply(CAP_PLAN, until=until - 60, nodes=[n for n in sim.node_ids
                                                  if n not in CAP_CLIENTS])
    sim.run(until=until)
    return cap_summary(sim, mode)


@dataclass(frozen=True)
class PacelcPoint:
    """One configuration of the PACELC experiment."""

    r: int
    w: int
    read_latency: float      # median
    read_latency_p90: float
    write_latency: float     # median
    stale: float             # share of reads that were stale
    reads: int


def pacelc_run(r: int, w: int, *, seed: int = 0, n: int = 3, until: float = 400.0,
               readers: int = 3) -> PacelcPoint:
    """No partition, no failure: latency and staleness of ``R``/``W`` with ``N=n``.

    One writer (a put every 3 time units on average) and ``readers`` readers (a get
    every time unit), all next to one coordinator that is not a replica of the key;
    messages between nodes take 0.2 plus an exponential delay of mean 4, so waiting
    for more replies costs more. Read repair is asynchronous, as in Dynamo.
    """
    cfg = Config(n=n, r=r, w=w, vnodes=4, quorum="strict", read_repair="async",
                 gossip_every=None, anti_entropy_every=None, handoff_every=None,
                 request_timeout=200.0)
    sim = cluster(seed, nodes=5, config=cfg, network=Network(latency=Exponential(4, 0.2)))
    ring_nodes = list(sim.node_ids)
    replicas = Ring(ring_nodes, cfg.vnodes).preference_list(KEY, n)
    home = next(node for node in ring_nodes if node not in replicas)
    clients = ["writer"] + [f"reader{i + 1}" for i in range(readers)]
    for name in clients:
        add_client(sim, name, home=home, contacts=[home], config=cfg, keys=(KEY,),
                   writes=(KEY,) if name == "writer" else (), write_ratio=1.0,
                   ops=100_000, think=3.0 if name == "writer" else 1.0, until=until - 50)
        sim.network.set_link(name, home, latency=Constant(0.2))
    sim.run(until=until)
    ops = [o for o in sim.history.operations() if o.status == "ok"]
    reads = sorted(o.ret - o.call for o in ops if o.f == "get")
    writes = [o.ret - o.call for o in ops if o.f == "put"]
    p90 = reads[int(0.9 * (len(reads) - 1))] if reads else 0.0
    stale = len(stale_reads(sim, KEY))
    return PacelcPoint(r, w, median(reads) if reads else 0.0, p90,
                       median(writes) if writes else 0.0,
                       stale / len(reads) if reads else 0.0, len(reads))
