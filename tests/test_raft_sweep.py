"""The Raft chaos sweep (``distlab.chaos`` "raft"): random partitions, crashes,
restarts, loss, duplication and reordering, then quiet; every property on every seed."""

from __future__ import annotations

import pytest

from distlab.chaos import Violation, check_function, sweep
from distlab.raft import sweep as raft_sweep
from distlab.raft import variants


def test_the_sweep_is_clean_on_100_seeds():
    result = sweep("raft", range(100))
    assert result.violations == [], "\n".join(map(str, result.violations[:5]))


@pytest.mark.parametrize("mode", ["basic", "crash", "partition"])
def test_each_mode_is_clean(mode):
    result = sweep("raft", range(500, 510), mode=mode)
    assert result.violations == [], "\n".join(map(str, result.violations[:5]))


def test_the_sweep_really_injects_faults_and_exercises_every_mechanism():
    stats = {"crashes": 0, "partitions": 0, "leaders": 0, "installs": 0, "changes": 0,
             "info": 0, "ok": 0}
    for seed in range(10):
        c = raft_sweep.run_chaos(seed)
        stats["crashes"] += c.sim.stats["crashes"]
        stats["partitions"] += c.sim.stats["partitions"]
        stats["leaders"] += sum(e.msg[0] == "leader" for e in c.trace.outputs("role"))
        stats["installs"] += len(c.trace.outputs("install"))
        stats["changes"] += sum(r[2] == "ok" for r in c.sim.node("admin").results)
        for op in c.sim.history.operations():
            stats[op.status if op.status in ("ok", "info") else "info"] += 1
    assert stats["crashes"] >= 30 and stats["partitions"] >= 15, stats
    assert stats["leaders"] >= 20 and stats["installs"] >= 5 and stats["changes"] >= 15, stats
    assert stats["ok"] >= 150 and stats["info"] >= 5, stats


def test_a_run_is_a_function_of_its_seed():
    a, b = raft_sweep.run_chaos(11), raft_sweep.run_chaos(11)
    assert a.sim.trace.dump() == b.sim.trace.dump()
    assert raft_sweep.run_chaos(12).sim.trace.dump() != a.sim.trace.dump()


def test_the_sweep_is_registered_and_reports_violations_with_their_seed():
    assert check_function("raft") is raft_sweep.check_raft
    report = raft_sweep.sweep_class(variants.VoteForAnyLog, range(30), stop_after=2)
    assert not report.ok and len(report.failing_seeds) == 2
    v = report.violations[0]
    assert isinstance(v, Violation) and str(v).startswith(f"SEED={v.seed} raft: ")
    text = str(report)
    assert "trace around it" in text and "role" in text
    with pytest.raises(ValueError, match="mode must be one of"):
        raft_sweep.run_chaos(1, mode="gentle")
