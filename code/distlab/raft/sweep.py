"""Chaos sweep for Raft: random faults on many seeds, judged from the trace and history.

``check_raft(seed)`` (registered as ``"raft"`` in ``distlab.chaos.SWEEPS``) builds a
cluster of five servers and three key-value clients, injects a ``FaultPlan`` for
``FAULTS_UNTIL`` time units (lost, duplicated and reordered messages, partitions of
the seed's mode, crashes of up to two servers with restarts), then lets the cluster
recover in quiet: until the probe below and every client are done, plus ``SETTLE``
(at most until ``RUN_UNTIL``). In the default mode the servers also snapshot
every ``SNAPSHOT_THRESHOLD`` entries, and an administrator adds a sixth server and
removes one of the first five while the faults go on. Then it judges:

- the five trace properties of ``checks.py`` (election safety, leader append-only,
  log matching, leader completeness, state machine safety);
- linearizability of the clients' history (``distlab.consistency``, key-value model);
- recovery: a probe client that starts after the faults end must complete its write.

Each failure is a ``distlab.chaos.Violation`` naming the seed, the property and what
went wrong where. Modes: ``None``/``"full"`` (all of the above), ``"basic"`` (no
snapshots and no membership changes), ``"crash"`` (crashes only, reliable network),
``"partition"`` (partitions only, reliable network).

``sweep_class(MyServer, seeds)`` runs the same check against a learner's subclass, in
this process, and returns a report with the trace around each violation.
Command line: ``python benchmarks/sweep.py raft --seeds 1000 --workers 2``.
Taught in notebook 2.8.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..chaos import Violation
from ..sim import FaultPlan, Network, Uniform
from . import checks
from .kv import KVClient
from .scenarios import Cluster, describe_exception
from .server import RaftServer

__all__ = ["check_raft", "run_chaos", "sweep_class", "SweepReport", "MODES", "FAULTS_UNTIL",
           "RUN_UNTIL", "SETTLE", "SNAPSHOT_THRESHOLD", "plan_for"]

MODES = (None, "full", "basic", "crash", "partition")
FAULTS_UNTIL = 1500.0
RUN_UNTIL = 2600.0
SETTLE = 300.0
SNAPSHOT_THRESHOLD = 8
_PARTITION_MODES = ("halves", "isolate", "random")


def plan_for(seed: int, mode: str | None = None) -> FaultPlan:
    """The seed's fault plan (the partition mode rotates with the seed)."""
    lossy = mode not in ("crash", "partition")
    return FaultPlan(
        loss=0.05 if lossy else None, duplicate=0.05 if lossy else None,
        reorder=0.05 if lossy else None,
        partition_every=None if mode == "crash" else 250.0,
        partition_duration=Uniform(50.0, 300.0),
        partition_mode=_PARTITION_MODES[seed % 3],
        crash_every=None if mode == "partition" else 200.0,
        restart_after=Uniform(30.0, 200.0), max_crashed=2)


def run_chaos(seed: int, server_class: type[RaftServer] = RaftServer,
              mode: str | None = None) -> Cluster:
    """Build and run one chaos experiment (see the module docstring); returns the cluster."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    full = mode in (None, "full")
    c = Cluster(5, seed=seed, server_class=server_class, spares=1 if full else 0,
                network=Network(latency=Uniform(1.0, 10.0)),
                snapshot_threshold=SNAPSHOT_THRESHOLD if full else None)
    c.add_clients(3, ops=7, think=(20.0, 120.0), op_timeout=400.0)
    c.sim.add_node("probe", KVClient, servers=list(c.ids),
                   script=[("append", "probe", "done;")], start_at=FAULTS_UNTIL + 150.0,
                   think=(0.0, 1.0), op_timeout=RUN_UNTIL - FAULTS_UNTIL - 200.0)
    if full:
        rng = c.rng
        victim = rng.choice(c.ids)
        t_add = rng.uniform(200.0, 700.0)
        c.add_admin([(t_add, "add", c.spares[0]),
                     (t_add + rng.uniform(100.0, 500.0), "remove", victim)],
                    give_up=RUN_UNTIL)
    c.sim.apply(plan_for(seed, mode), until=FAULTS_UNTIL, nodes=c.servers)
    c.sim.run(until=FAULTS_UNTIL)
    # The quiet period: once the probe and every client are done, give the servers
    # SETTLE more time units to catch up and apply, then stop (or at RUN_UNTIL).
    probe = c.sim.node("probe")
    while c.now < RUN_UNTIL and not (probe.finished and c.clients_finished()):
        c.sim.run(until=min(RUN_UNTIL, c.now + 100.0))
    c.sim.run(until=min(RUN_UNTIL, c.now + SETTLE))
    return c


def judge(c: Cluster, *, max_steps: int = 500_000) -> list[checks.Finding]:
    """Every property of the sweep on a finished chaos run."""
    found = checks.check_all(c.sim, max_steps=max_steps)
    probe = [op for op in c.sim.history.operations() if op.process == "probe"]
    if not probe or probe[-1].status != "ok":
        status = probe[-1].status if probe else "never invoked"
        found.append(checks.Finding(
            "recovery", f"a write started {150:g} after the faults ended did not complete "
                        f"({status}) by t={c.now:g}", c.now, "probe"))
    return found


def _violation(seed: int, f: checks.Finding) -> Violation:
    where = "" if f.time is None else f" (t={f.time:g}" + (f", {f.node})" if f.node else ")")
    return Violation(seed, "raft", f.property, f.detail + where)


def check_raft(seed: int, mode: str | None = None) -> list[Violation]:
    """The chaos check of ``distlab.chaos``: one ``Violation`` per failed property."""
    return [_violation(seed, f) for f in judge(run_chaos(seed, RaftServer, mode))]


@dataclass
class SweepReport:
    """Violations found by ``sweep_class``, each with the trace around it."""

    server_class: str
    seeds: list[int]
    violations: list[Violation] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def failing_seeds(self) -> list[int]:
        return sorted({v.seed for v in self.violations})

    def __str__(self) -> str:
        lines = [f"{self.server_class}: {len(self.seeds)} seeds, {len(self.violations)} "
                 f"violations" + (f" on seeds {self.failing_seeds[:10]}" if self.violations
                                  else "")]
        shown = set()
        for v, w in zip(self.violations, self.windows):
            if v.seed in shown:
                lines.append(str(v))
                continue
            shown.add(v.seed)
            lines.append(str(v))
            if w and len(shown) <= 3:
                lines += ["  trace around it:"] + ["    " + x for x in w.splitlines()]
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(str(self))


def sweep_class(server_class: type[RaftServer], seeds: Iterable[int], *,
                mode: str | None = None, stop_after: int | None = None) -> SweepReport:
    """Run the chaos check against ``server_class`` on each seed (in this process).

    ``stop_after``: stop once that many seeds have failed."""
    if not (isinstance(server_class, type) and issubclass(server_class, RaftServer)):
        raise TypeError(f"server_class must be RaftServer or a subclass, got {server_class!r}")
    seeds = list(seeds)
    report = SweepReport(server_class.__name__, seeds)
    for seed in seeds:
        try:
            c = run_chaos(seed, server_class, mode)
            found = judge(c)
        except Exception as exc:   # a learner's handler raised: report it as a finding
            report.violations.append(Violation(seed, "raft", "exception",
                                               describe_exception(exc)))
            report.windows.append("")
            found = []
        for f in found:
            report.violations.append(_violation(seed, f))
            report.windows.append(checks.window(c.sim, f.time))
        if stop_after is not None and len(report.failing_seeds) >= stop_after:
            report.seeds = seeds[:seeds.index(seed) + 1]
            break
    return report
