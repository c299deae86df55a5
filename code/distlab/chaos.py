"""Chaos sweeps: run a protocol under random faults on many seeds, report violations.

Each protocol that can be swept provides a *seed check*: a module-level function
``check(seed: int, mode: str | None = None) -> list[Violation]`` that builds a
simulation from the seed, injects random faults (a ``FaultPlan``), runs it, and judges
the trace and history with the protocol's invariant checkers. A violation always
carries the seed that reproduces it (TigerBeetle's VOPR prints ``SEED=``; Jepsen keeps
the history).

``sweep(name, seeds)`` runs the checks in this process, or, with ``workers=K``, on
Dask (``distributed``): a ``LocalCluster`` of K single-threaded worker processes by
default, or any running Dask cluster given by ``address``. Seeds are sent in batches
so the scheduler's overhead stays small. The same code runs either way; the results
are identical and in seed order.

The command line is ``benchmarks/sweep.py PROTOCOL --seeds N --start-seed S
[--workers K]``. Taught in Part 2 (notebooks on commit, Paxos, Raft, the key-value
store).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Violation", "SweepResult", "SWEEPS", "register", "check_function", "sweep",
           "check_batch"]


@dataclass(frozen=True, slots=True)
class Violation:
    """A property that failed on one seed."""

    seed: int
    protocol: str
    property: str
    detail: str = ""

    def __str__(self) -> str:
        return f"SEED={self.seed} {self.protocol}: {self.property}" + (
            f": {self.detail}" if self.detail else "")


@dataclass
class SweepResult:
    """What a sweep found."""

    protocol: str
    seeds: list[int]
    violations: list[Violation] = field(default_factory=list)
    mode: str | None = None

    @property
    def failing_seeds(self) -> list[int]:
        return sorted({v.seed for v in self.violations})

    def __repr__(self) -> str:
        return (f"SweepResult({self.protocol!r}, seeds={len(self.seeds)}, "
                f"violations={len(self.violations)}, failing seeds={self.failing_seeds[:10]})")


#: Protocol name -> "module:function" of its seed check (imported when first used,
#: so that listing the sweeps costs nothing and Dask workers import only what they run).
SWEEPS: dict[str, str] = {
    "abd": "distlab.registers.sweep:check_abd",
    "local-reads": "distlab.registers.sweep:check_local_reads",
    "2pc": "distlab.commit.sweep:check_2pc",
    "3pc": "distlab.commit.sweep:check_3pc",
    "paxos": "distlab.paxos.sweep:check_paxos",
    "multipaxos": "distlab.paxos.sweep:check_multipaxos",
    "pbft": "distlab.pbft.sweep:check_pbft",
    "raft": "distlab.raft.sweep:check_raft",
    "kv": "distlab.dynamo.sweep:check_kv",
    "maelstrom-broadcast": "distlab.maelstrom.workloads:check_broadcast",
    "maelstrom-g-counter": "distlab.maelstrom.workloads:check_g_counter",
    "maelstrom-pn-counter": "distlab.maelstrom.workloads:check_pn_counter",
    "maelstrom-lin-kv": "distlab.maelstrom.workloads:check_lin_kv",
}


def register(name: str, target: str | Callable[..., list[Violation]]) -> None:
    """Add (or replace) a sweep: ``target`` is a check or its ``"module:function"``."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if callable(target):
        target = f"{target.__module__}:{target.__qualname__}"
    if not isinstance(target, str) or ":" not in target:
        raise TypeError(f"target must be a function or 'module:function', got {target!r}")
    SWEEPS[name] = target


def check_function(name: str) -> Callable[..., list[Violation]]:
    """The seed check registered as ``name``."""
    if name not in SWEEPS:
        raise ValueError(f"unknown protocol {name!r}; sweeps: {', '.join(sorted(SWEEPS))}")
    module, _, func = SWEEPS[name].partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ValueError(f"the sweep {name!r} needs {module}, which is not written yet "
                         f"({exc.name} is missing)") from None
    try:
        return getattr(mod, func)
    except AttributeError:
        raise ValueError(f"{module} has no function {func!r} for the sweep {name!r}") from None


def check_batch(name: str, seeds: list[int], mode: str | None = None) -> list[Violation]:
    """Run the check on each seed of a batch (the unit of work sent to a Dask worker)."""
    check = check_function(name)
    out: list[Violation] = []
    for seed in seeds:
        found = check(seed) if mode is None else check(seed, mode=mode)
        for v in found:
            if not isinstance(v, Violation):
                raise TypeError(f"the check for {name!r} returned {v!r}, not a Violation")
            out.append(v)
    return out


def sweep(name: str, seeds: Iterable[int], *, mode: str | None = None,
          workers: int | None = None, address: str | None = None, batch: int = 10,
          progress: bool = False, on_violation: Callable[[Violation], Any] | None = None
          ) -> SweepResult:
    """Check ``name`` on every seed; in this process, or on Dask with ``workers``/``address``.

    ``on_violation`` is called for each violation as soon as its batch finishes (the
    command line prints them). Results come back in seed order either way.
    """
    check_function(name)  # fail fast on an unknown or unwritten protocol
    seeds = list(seeds)
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"seeds must be ints, got {s!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive int, got {batch!r}")
    batches = [seeds[i:i + batch] for i in range(0, len(seeds), batch)]
    result = SweepResult(name, seeds, mode=mode)
    if workers is None and address is None:
        for b in batches:
            found = check_batch(name, b, mode)
            for v in found:
                if on_violation:
                    on_violation(v)
            result.violations.extend(found)
        return result
    return _sweep_dask(result, name, batches, mode, workers, address, progress, on_violation)


def _sweep_dask(result: SweepResult, name: str, batches: list[list[int]], mode: str | None,
                workers: int | None, address: str | None, progress: bool,
                on_violation: Callable[[Violation], Any] | None) -> SweepResult:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - distributed is a dependency of the book
        raise ValueError("workers= needs Dask's 'distributed' package: "
                         "pip install distributed") from None
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        futures = [client.submit(check_batch, name, b, mode, pure=False) for b in batches]
        if progress:
            import contextlib
            import sys

            from distributed import progress as dask_progress

            with contextlib.redirect_stdout(sys.stderr):  # the bar is not a result
                dask_progress(futures)
        by_batch: dict[int, list[Violation]] = {}
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            found = fut.result()
            by_batch[index[fut.key]] = found
            for v in found:
                if on_violation:
                    on_violation(v)
        for i in range(len(batches)):
            result.violations.extend(by_batch[i])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return result
