"""Chaos sweeps: same results in one process and on Dask; violations carry seeds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from distlab.chaos import Violation, check_function, sweep

ROOT = Path(__file__).resolve().parent.parent


def test_local_reads_sweep_reports_seeds_that_reproduce():
    result = sweep("local-reads", range(12))
    assert result.failing_seeds, "stale reads should show up within 12 seeds"
    check = check_function("local-reads")
    for seed in result.failing_seeds[:3]:
        again = check(seed)
        assert again and all(v.seed == seed for v in again)   # the seed reproduces it
    assert str(result.violations[0]).startswith(f"SEED={result.violations[0].seed} local-reads")


def test_abd_sweep_is_clean():
    assert sweep("abd", range(30)).violations == []


def test_dask_gives_the_same_results_as_one_process():
    seeds = range(16)
    local = sweep("local-reads", seeds)
    seen = []
    dask = sweep("local-reads", seeds, workers=2, batch=4, on_violation=seen.append)
    assert dask.violations == local.violations
    assert sorted(seen, key=lambda v: v.seed) == sorted(local.violations, key=lambda v: v.seed)


def test_bad_requests_get_clear_errors():
    with pytest.raises(ValueError, match="unknown protocol 'nope'"):
        sweep("nope", range(3))
    with pytest.raises(ValueError, match="workers must be a positive int"):
        sweep("abd", range(3), workers=0)
    with pytest.raises(TypeError, match="seeds must be ints"):
        sweep("abd", ["1"])


def test_command_line_output_format():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sweep.py"), "local-reads",
                          "--seeds", "8", "--start-seed", "10"], capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    assert lines[-1].startswith("seeds: 8 violations: ")
    n = int(lines[-1].split()[3])
    assert len(lines) == n + 1 and all(l.startswith("SEED=") for l in lines[:-1])
    assert out.returncode == (1 if n else 0)
