"""The linearizability checker: tiny histories with known answers, properties, and
Porcupine's 108 real histories with their known verdicts (Herlihy & Wing 1990;
Wing & Gong 1993; Lowe 2017)."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.consistency import (UNKNOWN, Op, ParseError, check_linearizable,
                                 linearization_points, models, parse_etcd, parse_kv)
from distlab.sim import History

INF = math.inf
REG = models.register()


def op(i, f, arg, out, call, ret, process=None):
    return Op(i, process or f"p{i}", f, arg, out, float(call), float(ret))


# --- tiny histories --------------------------------------------------------------------
def test_empty_history_is_linearizable():
    r = check_linearizable([], REG)
    assert r.linearizable and r.linearization == []


def test_sequential_read_of_the_last_write():
    h = [op(0, "write", 1, None, 0, 1), op(1, "read", None, 1, 2, 3)]
    assert check_linearizable(h, REG).linearizable


def test_stale_read_after_a_completed_write_is_not_linearizable():
    h = [op(0, "write", 1, None, 0, 1), op(1, "read", None, None, 2, 3)]
    r = check_linearizable(h, REG)
    assert r.verdict == "not linearizable"
    assert [o.id for o in r.longest_partial] == [0]
    assert [o.id for o in r.unplaceable] == [1]


def test_overlapping_read_may_see_either_value():
    for seen in (None, 1):
        h = [op(0, "write", 1, None, 0, 10), op(1, "read", None, seen, 2, 3)]
        assert check_linearizable(h, REG).linearizable, seen


def test_two_reads_cannot_disagree_in_order_when_sequential():
    # Both overlap the write, but the first read returns before the second starts:
    # seeing 1 then None would need the write to take effect and then be undone.
    h = [op(0, "write", 1, None, 0, 10), op(1, "read", None, 1, 1, 2),
         op(2, "read", None, None, 3, 4)]
    assert not check_linearizable(h, REG).linearizable


def test_failed_cas_observes_a_different_value():
    h = [op(0, "write", 1, None, 0, 1), op(1, "cas", (1, 2), False, 2, 3)]
    assert not check_linearizable(h, REG).linearizable
    h = [op(0, "write", 1, None, 0, 1), op(1, "cas", (5, 2), False, 2, 3),
         op(2, "read", None, 1, 4, 5)]
    assert check_linearizable(h, REG).linearizable


def test_pending_write_may_take_effect_late_or_never():
    late = [op(0, "write", 1, UNKNOWN, 0, INF), op(1, "read", None, None, 1, 2),
            op(2, "read", None, 1, 3, 4)]
    assert check_linearizable(late, REG).linearizable
    never = [op(0, "write", 1, UNKNOWN, 0, INF), op(1, "read", None, None, 5, 6)]
    assert check_linearizable(never, REG).linearizable
    # but not before it was called
    early = [op(0, "read", None, 1, 0, 1), op(1, "write", 1, UNKNOWN, 2, INF)]
    assert not check_linearizable(early, REG).linearizable


def test_witness_is_legal_and_respects_real_time():
    h = [op(0, "write", 1, None, 0, 5), op(1, "write", 2, None, 1, 6),
         op(2, "read", None, 2, 7, 8), op(3, "cas", (2, 3), True, 9, 12),
         op(4, "read", None, 3, 10, 13)]
    r = check_linearizable(h, REG)
    assert r.linearizable
    assert_witness(r.linearization, REG)
    points = linearization_points(r.linearization)
    for o in h:
        assert o.call <= points[o.id] <= o.ret


def assert_witness(order, model):
    state = model.init
    for o in order:
        legal, state = model.step(state, (o.f, o.input), o.output)
        assert legal, o
    pos = {o.id: i for i, o in enumerate(order)}
    for a in order:
        for b in order:
            if a.ret < b.call:
                assert pos[a.id] < pos[b.id], (a, b)


def test_kv_keys_are_checked_independently_and_first_failure_decides():
    KV = models.kv()
    ok_key = [op(i, "append", ("a", f"x{i}"), None, 2 * i, 2 * i + 1) for i in range(5)]
    bad = [op(10, "put", ("b", "1"), None, 0, 1), op(11, "get", "b", "2", 2, 3)]
    r = check_linearizable(ok_key + bad, KV)
    assert r.verdict == "not linearizable"
    assert {tuple(p.ops[0].input)[0] if p.ops[0].f != "get" else p.ops[0].input
            for p in r.partitions} == {"a", "b"}
    assert [o.id for o in r.unplaceable] == [11]


def test_queue_and_set_models():
    Q = models.queue()
    h = [op(0, "enqueue", 1, None, 0, 1), op(1, "enqueue", 2, None, 2, 3),
         op(2, "dequeue", None, 2, 4, 5)]
    assert not check_linearizable(h, Q).linearizable
    S = models.set_model()
    h = [op(0, "add", 1, None, 0, 1), op(1, "read", None, {1}, 2, 3),
         op(2, "remove", 1, None, 4, 5), op(3, "read", None, set(), 6, 7)]
    assert check_linearizable(h, S).linearizable


def test_budget_gives_unknown_never_a_hang():
    rng = random.Random(3)
    h = []
    for i in range(24):  # many concurrent writes and one impossible read at the end
        h.append(op(i, "write", rng.randrange(3), None, 0, 100))
    h.append(op(99, "read", None, 7, 101, 102))
    r = check_linearizable(h, REG, max_steps=500)
    assert r.verdict == "unknown" and r.steps <= 500


def test_bad_arguments():
    with pytest.raises(TypeError, match="model must be"):
        check_linearizable([], "register")
    with pytest.raises(ValueError, match="has no operation 'incr'"):
        check_linearizable([op(0, "incr", 1, None, 0, 1)], REG)
    with pytest.raises(TypeError, match="not an Op"):
        check_linearizable([("write", 1)], REG)
    with pytest.raises(ValueError, match="max_steps"):
        check_linearizable([], REG, max_steps=0)


def test_history_from_the_simulator():
    h = History()
    h.invoke("c1", "write", 1, 0.0)
    h.ok("c1", "write", None, 1.0)
    h.invoke("c2", "cas", (1, 2), 2.0)
    h.fail("c2", "cas", None, 3.0)      # observed: the value was not 1 ...
    h.invoke("c1", "read", None, 4.0)
    h.ok("c1", "read", 1, 5.0)           # ... yet nobody changed it: not linearizable
    assert not check_linearizable(h, REG).linearizable


# --- properties ---------------------------------------------------------------------------
@st.composite
def sequential_histories(draw):
    """A register history produced by some sequential execution, with each op's
    interval stretched around its effect but never past its neighbours' effects."""
    n = draw(st.integers(0, 9))
    state, ops, t = None, [], 0.0
    for i in range(n):
        f = draw(st.sampled_from(["read", "write", "cas"]))
        if f == "read":
            arg, out = None, state
        elif f == "write":
            arg, out = draw(st.integers(0, 3)), None
            state = arg
        else:
            arg = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
            out = state == arg[0]
            if out:
                state = arg[1]
        point = t + 1.0
        call = point - draw(st.floats(0.0, 1.4))
        ret = point + draw(st.floats(0.0, 1.4))
        ops.append(Op(i, f"p{i}", f, arg, out, call, ret))
        t = point + 1.0
    return ops


@given(sequential_histories())
@settings(max_examples=150, deadline=None)
def test_sequential_executions_are_linearizable_and_witness_checks_out(h):
    r = check_linearizable(h, REG)
    assert r.linearizable
    assert_witness(r.linearization, REG)


@given(sequential_histories(), st.data())
@settings(max_examples=150, deadline=None)
def test_reading_a_value_never_written_is_not_linearizable(h, data):
    reads = [o for o in h if o.f == "read"]
    if not reads:
        return
    victim = data.draw(st.sampled_from(reads))
    forged = [Op(o.id, o.process, o.f, o.input, 99, o.call, o.ret) if o is victim else o
              for o in h]
    assert not check_linearizable(forged, REG).linearizable


@st.composite
def concurrent_histories(draw):
    """Random overlapping register operations with random (often wrong) outputs."""
    n = draw(st.integers(1, 8))
    ops = []
    for i in range(n):
        f = draw(st.sampled_from(["read", "write", "cas"]))
        call = draw(st.integers(0, 12))
        unknown = draw(st.integers(0, 5)) == 0
        ret = INF if unknown else call + draw(st.integers(1, 6))
        arg = (None if f == "read" else draw(st.integers(0, 2)) if f == "write"
               else (draw(st.integers(0, 2)), draw(st.integers(0, 2))))
        out = (UNKNOWN if unknown else draw(st.sampled_from([None, 0, 1, 2])) if f == "read"
               else None if f == "write" else draw(st.booleans()))
        ops.append(Op(i, f"p{i}", f, arg, out, float(call), float(ret)))
    return ops


@given(concurrent_histories())
@settings(max_examples=200, deadline=None)
def test_memoisation_never_changes_the_verdict_and_saves_steps(h):
    plain = check_linearizable(h, REG, memoize=False, prune=False)
    memo = check_linearizable(h, REG, prune=False)
    assert plain.verdict == memo.verdict
    assert memo.steps <= plain.steps


@given(concurrent_histories())
@settings(max_examples=400, deadline=None)
def test_read_only_pruning_never_changes_the_verdict(h):
    pruned = check_linearizable(h, REG)
    full = check_linearizable(h, REG, prune=False)
    assert pruned.verdict == full.verdict
    assert pruned.steps <= full.steps
    if pruned.linearizable:
        assert_witness(pruned.linearization, REG)


# --- Porcupine's histories -------------------------------------------------------------------
DATA = Path(os.environ.get("DISTLAB_PORCUPINE_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data" / "porcupine"))
needs_data = pytest.mark.skipif(
    not (DATA / "expected.json").is_file(),
    reason=f"Porcupine's test histories are not at {DATA} (set DISTLAB_PORCUPINE_DATA); "
           f"a reader's clone does not have them, CI does")


def expected():
    if not (DATA / "expected.json").is_file():
        return []
    return sorted(json.loads((DATA / "expected.json").read_text()).items())


@needs_data
def test_porcupine_set_is_complete():
    verdicts = dict(expected())
    assert len(verdicts) == 108
    assert sum(v["linearizable"] for k, v in verdicts.items() if v["model"] == "etcd") == 23


@needs_data
@pytest.mark.parametrize("name, want", expected(), ids=[n for n, _ in expected()])
def test_porcupine_verdicts(name, want):
    fmt = "etcd" if want["model"] == "etcd" else "kv"
    ops = (parse_etcd if fmt == "etcd" else parse_kv)((DATA / name).read_text(), name)
    model = models.register() if fmt == "etcd" else models.kv()
    r = check_linearizable(ops, model)
    assert r.linearizable == want["linearizable"], f"{name}: got {r.verdict}"
    if r.linearizable:
        for part in r.partitions:
            assert_witness(part.linearization, model)


@needs_data
@pytest.mark.parametrize("name", ["kv/c01-ok.txt", "kv/c01-bad.txt"])
def test_unpartitioned_map_model_agrees(name):
    ops = parse_kv((DATA / name).read_text(), name)
    a = check_linearizable(ops, models.kv()).verdict
    b = check_linearizable(ops, models.kv(partitioned=False)).verdict
    assert a == b


# --- parsers and the command line -----------------------------------------------------------
def test_parsers_name_file_and_line():
    with pytest.raises(ParseError, match=r"x\.log:2: not an etcd history line"):
        parse_etcd("INFO  jepsen.util - 0\t:invoke\t:read\tnil\ngarbage\n", "x.log")
    with pytest.raises(ParseError, match=r"x\.log:1: cas needs \[expected new\]"):
        parse_etcd("INFO  jepsen.util - 0 :invoke :cas 3\n", "x.log")
    with pytest.raises(ParseError, match=r"k\.txt:1: missing field\(s\) :key"):
        parse_kv('{:process 0, :type :invoke, :f :get, :value nil}\n', "k.txt")
    with pytest.raises(ParseError, match="completes an operation it never invoked"):
        parse_kv('{:process 0, :type :ok, :f :get, :key "1", :value ""}\n', "k.txt")


def test_etcd_timeouts_become_unknown_outcomes():
    text = ("INFO  jepsen.util - 0\t:invoke\t:write\t3\n"
            "INFO  jepsen.util - 0\t:info\t:write\t:timed-out\n"
            "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
            "INFO  jepsen.util - 1\t:ok\t:read\t3\n")
    ops = parse_etcd(text)
    w = next(o for o in ops if o.f == "write")
    assert w.output is UNKNOWN and w.ret == INF
    assert check_linearizable(ops, REG).linearizable


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "distlab.consistency", *args],
                          capture_output=True, text=True)


def test_cli_exit_codes_and_messages(tmp_path):
    good = tmp_path / "good.log"
    good.write_text("INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
                    "INFO  jepsen.util - 0\t:ok\t:write\t1\n")
    bad = tmp_path / "bad.log"
    bad.write_text(good.read_text() + "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
                                      "INFO  jepsen.util - 1\t:ok\t:read\t2\n")
    broken = tmp_path / "broken.log"
    broken.write_text("INFO  jepsen.util - 0\t:invoke\t:write\t1\n\x00 nonsense\n")
    r = run_cli("--format", "etcd", str(good))
    assert r.returncode == 0 and r.stdout.startswith(f"{good}: linearizable (")
    r = run_cli("--format", "etcd", str(good), str(bad))
    assert r.returncode == 1 and f"{bad}: not linearizable (" in r.stdout
    r = run_cli("--format", "etcd", str(broken))
    assert r.returncode == 2 and "broken.log:2:" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("--format", "kv", str(good))
    assert r.returncode == 2 and "good.log:1:" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("--format", "etcd", str(tmp_path / "missing.log"))
    assert r.returncode == 2 and "cannot read" in r.stderr
