"""Sequential and causal consistency, and session guarantees, on histories whose
answers are known (Lamport 1979; Bouajjani et al. 2017; Terry et al. 1994)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from distlab.consistency import (Op, check_causal, check_linearizable, check_sequential,
                                 check_sessions, models)

from test_linearizability import concurrent_histories

REG = models.register()


def op(i, process, f, arg, out, call, ret):
    return Op(i, process, f, arg, out, float(call), float(ret))


def test_sequential_but_not_linearizable():
    # p1's write completes before p2 reads the old value: real time forbids it,
    # but reordering the processes' operations (p2 first) is sequentially fine.
    h = [op(0, "p1", "write", 1, None, 0, 1), op(1, "p2", "read", None, None, 2, 3)]
    assert not check_linearizable(h, REG).linearizable
    r = check_sequential(h, REG)
    assert r.consistent and [o.id for o in r.order] == [1, 0]


def test_not_sequentially_consistent_when_two_readers_disagree_on_the_order():
    # p3 sees 1 then 2, p4 sees 2 then 1: no single order of the two writes explains both.
    h = [op(0, "p1", "write", 1, None, 0, 1), op(1, "p2", "write", 2, None, 0, 1),
         op(2, "p3", "read", None, 1, 2, 3), op(3, "p3", "read", None, 2, 4, 5),
         op(4, "p4", "read", None, 2, 2, 3), op(5, "p4", "read", None, 1, 4, 5)]
    r = check_sequential(h, REG)
    assert not r.consistent and r.stuck


@given(concurrent_histories())
@settings(max_examples=200, deadline=None)
def test_linearizable_implies_sequentially_consistent(h):
    if any(not o.known for o in h):
        return  # keep to histories where every process's ops are all known
    if check_linearizable(h, REG).linearizable:
        assert check_sequential(h, REG).consistent


def w(i, p, key, value, t):
    return op(i, p, "write", (key, value), None, t, t + 1)


def r(i, p, key, value, t):
    return op(i, p, "read", key, value, t, t + 1)


def test_causal_bad_patterns():
    # p2 reads x=1 and then writes y=1; p3 reads y=1 and then x=1: consistent.
    ok = [w(0, "p1", "x", 1, 0), r(1, "p2", "x", 1, 2), w(2, "p2", "y", 1, 4),
          r(3, "p3", "y", 1, 6), r(4, "p3", "x", 1, 8)]
    assert check_causal(ok).consistent
    # p3 saw y=1, which causally follows x=1 via p2, yet p3 reads the initial x.
    stale = ok[:4] + [r(4, "p3", "x", None, 8)]
    res = check_causal(stale)
    assert [v[0] for v in res.violations] == ["WriteCOInitRead"]
    # p1 overwrote x=1 with x=2 before writing z=1; p2 sees z=1 then the old x=1.
    overwritten = [w(0, "p1", "x", 1, 0), w(1, "p1", "x", 2, 2), w(2, "p1", "z", 1, 4),
                   r(3, "p2", "z", 1, 6), r(4, "p2", "x", 1, 8)]
    assert [v[0] for v in check_causal(overwritten).violations] == ["WriteCORead"]
    assert [v[0] for v in check_causal([r(0, "p1", "x", 7, 0)]).violations] == ["ThinAirRead"]
    # p1 reads y=1 then writes x=1; p2 reads x=1 then writes y=1: a causal cycle.
    cyclic = [r(0, "p1", "y", 1, 0), w(1, "p1", "x", 1, 2), r(2, "p2", "x", 1, 0),
              w(3, "p2", "y", 1, 2)]
    assert [v[0] for v in check_causal(cyclic).violations] == ["CyclicCO"]


def test_causal_but_not_sequential():
    # Two writers, two readers that see the concurrent writes in different orders:
    # allowed by causal consistency, not by sequential consistency.
    h = [w(0, "p1", "x", 1, 0), w(1, "p2", "x", 2, 0),
         r(2, "p3", "x", 1, 2), r(3, "p3", "x", 2, 4),
         r(4, "p4", "x", 2, 2), r(5, "p4", "x", 1, 4)]
    assert check_causal(h).consistent
    assert not check_sequential(h, REG).consistent


def test_causal_needs_differentiated_histories():
    with pytest.raises(ValueError, match="not differentiated"):
        check_causal([w(0, "p1", "x", 1, 0), w(1, "p2", "x", 1, 2)])


def test_session_guarantees():
    def wv(i, p, key, version, t):  # write, the store gave it `version`
        return op(i, p, "write", (key, f"v{version}"), version, t, t + 1)

    def rv(i, p, key, version, t):  # read, it returned `version`
        return op(i, p, "read", key, version, t, t + 1)

    good = [wv(0, "s1", "x", 1, 0), rv(1, "s1", "x", 1, 2), rv(2, "s1", "x", 3, 4),
            wv(3, "s1", "x", 4, 6)]
    assert all(not v for v in check_sessions(good).values())
    bad = [wv(0, "s1", "x", 5, 0), rv(1, "s1", "x", 2, 2),      # missed its own write
           rv(2, "s2", "x", 6, 0), rv(3, "s2", "x", 5, 2),      # went back in time
           wv(4, "s3", "x", 9, 0), wv(5, "s3", "x", 8, 2),      # later write, older version
           rv(6, "s4", "x", 9, 0), wv(7, "s4", "x", 7, 2)]      # wrote "before" what it read
    out = check_sessions(bad)
    assert [(a.id, b.id) for a, b in out["read-your-writes"]] == [(0, 1)]
    assert [(a.id, b.id) for a, b in out["monotonic reads"]] == [(2, 3)]
    assert [(a.id, b.id) for a, b in out["monotonic writes"]] == [(4, 5)]
    assert [(a.id, b.id) for a, b in out["writes-follow-reads"]] == [(6, 7)]


def test_a_timed_out_write_is_not_ordered_before_the_clients_later_operations():
    """Jepsen's rule, applied by the program-order checkers themselves: ABD runs with a
    lost reply are linearizable, so they must be causally consistent too."""
    from distlab.consistency import from_history
    from distlab.registers import build
    from distlab.sim import FaultPlan, Network, Uniform

    checked = 0
    for seed in range(8):
        sim = build("abd", seed=seed, clients=3, ops=8, think=4,
                    network=Network(latency=Uniform(1, 10)))
        sim.apply(FaultPlan(loss=0.05), until=500)
        sim.run(until=1000)
        ops = [op for op in from_history(sim.history)
               if op.f == "read" or op.f == "write"]
        if not any(not op.known for op in ops):
            continue
        checked += 1
        kv = [Op(o.id, o.process, o.f, "x" if o.f == "read" else ("x", o.input),
                 o.output, o.call, o.ret, o.status) for o in ops]
        assert check_linearizable(ops, REG).linearizable, seed
        assert check_causal(kv).consistent, seed
    assert checked >= 2


def test_a_process_runs_one_operation_at_a_time():
    with pytest.raises(ValueError, match="runs one operation at a time"):
        check_linearizable([op(0, "p1", "write", 1, None, 0, 2),
                            op(1, "p1", "read", None, 1, 1, 3)], REG)
    # ... but after an operation with an unknown outcome it may go on (as a new process)
    from distlab.consistency import UNKNOWN
    check_linearizable([Op(0, "p1", "write", 1, UNKNOWN, 0.0, float("inf")),
                        op(1, "p1", "read", None, 1, 1, 3)], REG)


def test_same_client_operations_at_the_same_instant_keep_their_order():
    from distlab.consistency import from_history
    from distlab.sim import History

    h = History()
    h.invoke("p1", "write", 1, 0.0)
    h.ok("p1", "write", None, 1.0)
    h.invoke("p1", "read", None, 1.0)      # the very instant the write returned
    h.ok("p1", "read", None, 2.0)          # ... and it misses its own write
    assert not check_linearizable(from_history(h, by="time"), REG).linearizable
    assert not check_linearizable(h, REG).linearizable
