"""Chaos sweep of the Dynamo-style store: ``check_kv(seed, mode)`` for ``distlab.chaos``.

One seed = five nodes (``N=3``), three clients and an auditor, under a fault plan that
loses, duplicates and reorders messages, crashes and restarts one node at a time and
partitions the network, for the first ``FAULTS_UNTIL`` time units. Then the network
heals, every node is back, hinted handoff and anti-entropy run, and the auditor reads
every key. Keys ``x`` and ``y`` each have one writer (``c1``, ``c2``); ``z`` is written
by all three clients (siblings). Each mode is a configuration and the guarantees it
*claims*; a violation is a claim that failed on that seed:

- ``durable``: no acknowledged write is lost (``checks.check_durability``);
- ``convergent``: replicas converge after healing (``checks.check_convergence``);
- ``linearizable``: the single-writer keys are linearizable registers
  (``checks.check_register``).

Modes that should pass on every seed: ``None``/``"strict"`` (strict quorums,
``R + W > N``, blocking read repair: all three claims), ``"sloppy"`` (sloppy quorums
with hinted handoff, async read repair: durable and convergent, i.e. eventually
consistent) and ``"membership"`` (the same while ``n6`` joins and ``n2`` leaves).

Modes that claim more than their configuration gives, to show the checkers catch it
(expected to fail on some seeds): ``"r1w1"`` (``R + W <= N``, on about one seed in
ten), ``"sloppy-linearizable"`` (sloppy quorums claimed linearizable: a stale read
needs a write and a read on opposite sides of a partition, about one seed in fifty)
and ``"async-repair"`` (read repair after answering: its new/old inversion window is
so small that random faults rarely hit it) claim linearizability; ``"lww"``
(last-writer-wins with skewed clocks) and ``"coordinator-clocks"`` (the paper's
server-side clock entries) claim durability and fail on most seeds.

Run ``python benchmarks/sweep.py kv --seeds 1000 --start-seed 0 [--mode sloppy]``.
Taught in notebooks 2.12 and 2.13.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..chaos import Violation
from ..sim import Exponential, FaultPlan, Network, Simulation
from .checks import check_convergence, check_durability, check_register
from .cluster import add_client, add_operator, cluster
from .node import Config
from .ring import Ring

__all__ = ["check_kv", "scenario", "MODES", "Mode", "PLAN", "FAULTS_UNTIL", "AUDIT_AT", "END"]

PLAN = FaultPlan(loss=0.05, duplicate=0.05, reorder=0.1, crash_every=100,
                 restart_after=(20, 60), max_crashed=1, partition_every=120,
                 partition_duration=(30, 90))
FAULTS_UNTIL = 300.0
AUDIT_AT = 450.0
END = 600.0

_STRICT = Config(quorum="strict", read_repair="blocking", gossip_every=15,
                 anti_entropy_every=25, handoff_every=10, vnodes=4, fallback_after=12)
_SLOPPY = replace(_STRICT, quorum="sloppy", read_repair="async")


@dataclass(frozen=True)
class Mode:
    """A configuration, and the guarantees claimed for it."""

    config: Config
    claims: tuple[str, ...]
    membership: bool = False
    skew: bool = False
    note: str = ""


MODES: dict[str, Mode] = {
    "strict": Mode(_STRICT, ("durable", "convergent", "linearizable"),
                   note="strict quorums, R+W>N, blocking read repair"),
    "sloppy": Mode(_SLOPPY, ("durable", "convergent"),
                   note="sloppy quorums, hinted handoff: eventually consistent"),
    "membership": Mode(_SLOPPY, ("durable", "convergent"), membership=True,
                       note="sloppy quorums while n6 joins and n2 leaves"),
    "async-repair": Mode(replace(_STRICT, read_repair="async"), ("linearizable",),
                         note="strict quorums, R+W>N, but read repair after answering"),
    "sloppy-linearizable": Mode(_SLOPPY, ("linearizable",),
                                note="sloppy quorums claimed linearizable"),
    "r1w1": Mode(replace(_STRICT, r=1, w=1), ("linearizable",),
                 note="strict quorums with R+W<=N"),
    "lww": Mode(replace(_SLOPPY, versions="lww"), ("durable",), skew=True,
                note="last-writer-wins with skewed clocks"),
    "coordinator-clocks": Mode(replace(_SLOPPY, actor="coordinator"), ("durable",),
                               note="vector clocks incremented by the coordinator"),
}

SINGLE_WRITER_KEYS = ("x", "y")


def scenario(seed: int, mode: str | None = None, *, faults: bool = True) -> Simulation:
    """The simulation ``check_kv`` judges, after its run (for replaying a seed)."""
    m = _mode(mode)
    cfg = m.config
    clocks = None
    if m.skew:   # physical clocks up to 15 time units apart
        clocks = {f"n{i}": {"offset": (seed * 7 + 11 * i) % 31 - 15.0} for i in range(1, 7)}
    sim = cluster(seed, nodes=5, standby=1 if m.membership else 0, config=cfg,
                  network=Network(latency=Exponential(4, 1)), clocks=clocks)
    storage = list(sim.node_ids)
    common = dict(config=cfg, ops=16, think=10.0, delete_ratio=0.2, timeout=60.0,
                  keys=("x", "y", "z"), until=FAULTS_UNTIL)
    homes = ("n1", "n3", "n5")
    if m.config.actor == "coordinator":   # one coordinator for all: where it goes wrong
        homes = (Ring(storage, cfg.vnodes).coordinator("z"),) * 3
    add_client(sim, "c1", home=homes[0], writes=("x", "z"), **common)
    add_client(sim, "c2", home=homes[1], writes=("y", "z"), **common)
    add_client(sim, "c3", home=homes[2], writes=("z",), **common)
    audit = [(AUDIT_AT, ("get", k)) for _ in range(2) for k in ("x", "y", "z")]
    add_client(sim, "audit", home="n2" if not m.membership else "n4", script=audit,
               config=cfg)
    if m.membership:
        add_operator(sim, [(60.0, "n6", "join"), (160.0, "n2", "leave")],
                     seeds=("n1", "n3"))
    if faults:
        sim.apply(PLAN, until=FAULTS_UNTIL, nodes=storage)
    sim.run(until=END)
    return sim


def _mode(mode: str | None) -> Mode:
    name = "strict" if mode is None else mode
    if name not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)} (or None), got {mode!r}")
    return MODES[name]


def check_kv(seed: int, mode: str | None = None) -> list[Violation]:
    """Run one seed of ``mode`` under chaos; a violation for each claim that failed."""
    m = _mode(mode)
    name = "kv" if mode is None else f"kv/{mode}"
    sim = scenario(seed, mode)
    out: list[Violation] = []
    if "durable" in m.claims:
        for problem in check_durability(sim, after=AUDIT_AT):
            out.append(Violation(seed, name, "no acknowledged write lost", problem))
    if "convergent" in m.claims:
        for problem in check_convergence(sim, n=m.config.n, vnodes=m.config.vnodes):
            out.append(Violation(seed, name, "replicas converge", problem))
    if "linearizable" in m.claims:
        for key in SINGLE_WRITER_KEYS:
            result = check_register(sim, key)
            if result.verdict == "not linearizable":
                bad = ", ".join(repr(op) for op in result.unplaceable[:2])
                out.append(Violation(seed, name, f"{key!r} linearizable",
                                     f"{len(result.longest_partial)} ops linearized, then "
                                     f"none of: {bad}"))
            elif result.verdict == "unknown":
                out.append(Violation(seed, name, f"{key!r} linearizable",
                                     "unknown: search budget exhausted"))
    return out
