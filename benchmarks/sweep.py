"""Chaos sweep: run a protocol on many seeds under random faults and report violations.

Usage:
    python benchmarks/sweep.py PROTOCOL --seeds N --start-seed S [--workers K]
                               [--address HOST:PORT] [--mode MODE] [--batch B]

Prints one line per violation (``SEED=... protocol: property: detail``), then
``seeds: N violations: V seconds: T``. With ``--workers K`` the seeds run on a Dask
LocalCluster of K processes (with a progress bar); ``--address`` uses a running Dask
cluster instead. Exit status 1 if any violation was found. See distlab.chaos.
"""

from __future__ import annotations

import argparse
import sys
import time

from distlab.chaos import SWEEPS, sweep


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run a chaos sweep over many seeds.")
    p.add_argument("protocol", choices=sorted(SWEEPS), help="what to sweep")
    p.add_argument("--seeds", type=int, default=100, help="how many seeds (default 100)")
    p.add_argument("--start-seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--workers", type=int, default=None,
                   help="run on a Dask LocalCluster with this many worker processes")
    p.add_argument("--address", default=None, help="a running Dask scheduler's address")
    p.add_argument("--mode", default=None, help="a protocol-specific variant (e.g. crash-only)")
    p.add_argument("--batch", type=int, default=10, help="seeds per Dask task (default 10)")
    a = p.parse_args(argv)
    if a.seeds < 1:
        p.error("--seeds must be at least 1")
    if a.workers is not None and a.workers < 1:
        p.error("--workers must be at least 1")
    start = time.monotonic()
    try:
        result = sweep(a.protocol, range(a.start_seed, a.start_seed + a.seeds), mode=a.mode,
                       workers=a.workers, address=a.address, batch=a.batch,
                       progress=a.workers is not None or a.address is not None,
                       on_violation=lambda v: print(v, flush=True))
    except ValueError as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - start
    if a.workers is not None or a.address is not None:
        print(file=sys.stderr)  # end the progress bar's line
    print(f"seeds: {a.seeds} violations: {len(result.violations)} seconds: {elapsed:.1f}")
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
