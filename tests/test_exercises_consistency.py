"""Notebooks 2.1 and 2.2: the helpers of ``distlab.exercises.consistency``, the pictures
of ``distlab.viz.consistency``, and the exercise checks (each passes on the model
solution and fails, helpfully, on wrong ones). Herlihy & Wing 1990; Lamport 1979;
Ahamad et al. 1995; Bouajjani et al. 2017; Terry et al. 1994; Wing & Gong 1993;
Lowe 2017."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from distlab.consistency import (UNKNOWN, Op, check_causal, check_linearizable,  # noqa: E402
                                 check_sessions, from_history, models, parse_etcd)
from distlab.exercises import CheckFailed  # noqa: E402
from distlab.exercises import consistency as ex  # noqa: E402
from distlab.registers import build  # noqa: E402
from distlab.sim import Exponential, FaultPlan, Network  # noqa: E402
from distlab.viz import consistency as vc  # noqa: E402

REG = models.register()


# --- the notation and the memory model ------------------------------------------------------
def test_history_notation_reads_writes_reads_and_unknown_outcomes():
    ops = ex.history("p1: w(x,1)@0-2, r(x)=1@3-4", "p2: r(y)=0@1-5, w(y,2)@6-?")
    assert [(o.process, o.f, o.input, o.output, o.call, o.ret) for o in ops] == [
        ("p1", "write", ("x", 1), None, 0.0, 2.0),
        ("p2", "read", "y", 0, 1.0, 5.0),
        ("p1", "read", "x", 1, 3.0, 4.0),
        ("p2", "write", ("y", 2), UNKNOWN, 6.0, math.inf)]
    assert [o.id for o in ops] == [0, 1, 2, 3]
    assert ops[3].status == "info"


@pytest.mark.parametrize("lines, message", [
    (("p1 w(x,1)@0-1",), "write 'process: op"),
    (("p1: w(x 1)@0-1",), "cannot read"),
    (("p1: w(x,1)@2-1",), "returns before it is called"),
    (("p1: w(x,1)@0-2, r(x)=1@1-3",), "does not start after the previous one"),
    (("p1: w(x,1)@0-2, r(x)=1@2-3",), "ops that touch count as concurrent"),
    ((), "at least one line"),
])
def test_history_notation_errors_say_what_to_write(lines, message):
    with pytest.raises(ValueError, match=message):
        ex.history(*lines)


def test_memory_model_reads_the_last_write_per_key():
    m = ex.memory()
    legal, s = m.step(m.init, ("write", ("x", 1)), None)
    assert legal and dict(s) == {"x": 1}
    assert m.step(s, ("read", "x"), 1)[0] and not m.step(s, ("read", "x"), 0)[0]
    assert m.step(s, ("read", "y"), 0)[0]          # unwritten keys hold the initial value
    assert m.step(s, ("read", "x"), UNKNOWN)[0]
    with pytest.raises(ValueError, match="no operation 'cas'"):
        m.step(s, ("cas", (1, 2)), True)


@st.composite
def register_histories(draw):
    """Random overlapping single-register reads and writes, often wrong."""
    n = draw(st.integers(1, 7))
    ops = []
    for i in range(n):
        call = draw(st.integers(0, 10))
        ret = call + draw(st.integers(1, 5))
        if draw(st.booleans()):
            ops.append(Op(i, f"p{i}", "write", draw(st.integers(1, 3)), None, call, ret))
        else:
            ops.append(Op(i, f"p{i}", "read", None, draw(st.sampled_from([None, 1, 2, 3])),
                          call, ret))
    return ops


@given(register_histories())
@settings(max_examples=150, deadline=None)
def test_memory_model_agrees_with_the_register_model(ops):
    as_memory = ex.register_ops(ops)
    assert check_linearizable(as_memory, ex.memory(initial=None)).verdict == \
        check_linearizable(ops, REG).verdict


# --- the models and how they relate ----------------------------------------------------------
def test_the_five_histories_of_notebook_2_1_separate_the_models():
    """Each row is the textbook example of one separation (Herlihy & Wing 1990 §2;
    Lamport 1979; Ahamad et al. 1995 §3; Vogels 2009)."""
    stale = ex.judge(ex.history("p1: w(x,1)@0-1, r(x)=1@2-3", "p2: r(x)=0@4-5, r(x)=1@6-7"))
    assert stale == {"linearizable": False, "sequential": True, "causal": True,
                     "converged": True}
    two_orders = ex.judge(ex.history("p1: w(x,1)@0-1", "p2: w(x,2)@0-1",
                                     "p3: r(x)=1@2-3, r(x)=2@4-5",
                                     "p4: r(x)=2@2-3, r(x)=1@4-5"))
    assert two_orders == {"linearizable": False, "sequential": False, "causal": True,
                          "converged": False}
    reply_first = ex.history("p1: w(x,1)@0-1", "p2: r(x)=1@2-3, w(y,1)@4-5",
                             "p3: r(y)=1@6-7, r(x)=0@8-9, r(x)=1@10-11")
    assert ex.judge(reply_first) == {"linearizable": False, "sequential": False,
                                     "causal": False, "converged": True}
    assert [p for p, _ in check_causal(reply_first, initial=0).violations] == \
        ["WriteCOInitRead"]


@st.composite
def memory_histories(draw):
    """Differentiated read/write histories on two keys; reads return a written value."""
    ops, written, value = [], {"x": [0], "y": [0]}, 1
    for p in range(draw(st.integers(1, 3))):
        t = draw(st.integers(0, 2))
        for _ in range(draw(st.integers(1, 3))):
            key, ret = draw(st.sampled_from("xy")), t + draw(st.integers(1, 4))
            if draw(st.booleans()):
                ops.append((t, f"p{p}", "write", (key, value), None, ret))
                written[key].append(value)
                value += 1
            else:
                ops.append((t, f"p{p}", "read", key, draw(st.sampled_from(written[key])), ret))
            t = ret + draw(st.integers(1, 2))
    ops.sort(key=lambda o: (o[0], o[1]))
    return [Op(i, p, f, arg, out, float(c), float(r))
            for i, (c, p, f, arg, out, r) in enumerate(ops)]


@given(memory_histories())
@settings(max_examples=200, deadline=None)
def test_linearizable_implies_sequential_implies_causal_and_linearizable_converges(ops):
    v = ex.judge(ops)
    if v["linearizable"]:
        assert v["sequential"] and v["converged"], v
    if v["sequential"]:
        assert v["causal"], v


def test_convergence_looks_at_the_last_reads_after_the_writes():
    agree = ex.history("p1: w(x,1)@0-1", "p2: r(x)=0@0.5-0.8, r(x)=1@2-3", "p3: r(x)=1@4-5")
    assert ex.check_convergence(agree).consistent
    split = ex.history("p1: w(x,1)@0-1", "p2: r(x)=1@2-3", "p3: r(x)=0@4-5")
    res = ex.check_convergence(split)
    assert not res.consistent and "final reads disagree" in res.violations[0]
    thin_air = ex.history("p1: w(x,1)@0-1", "p2: r(x)=5@2-3")
    assert "nobody wrote" in ex.check_convergence(thin_air).violations[0]
    # a write with an unknown outcome never lets the store look quiescent
    assert ex.check_convergence(ex.history("p1: w(x,1)@0-?", "p2: r(x)=1@2-3",
                                           "p3: r(x)=0@4-5")).consistent


def test_retire_after_unknown_renames_the_client_after_a_timeout():
    ops = ex.history("p1: w(x,1)@0-?", "p2: r(x)=1@2-3")
    later = Op(2, "p1", "read", "x", 0, 5.0, 6.0)
    retired = ex.retire_after_unknown(ops + [later])
    assert [o.process for o in retired] == ["p1", "p2", "p1'"]
    # the causal checker applies the same rule itself: the timed-out write is not put
    # before p1's later read, whichever form the history comes in
    assert check_causal(ops + [later], initial=0).consistent
    assert check_causal(retired, initial=0).consistent


def test_as_versioned_makes_values_versions_for_the_session_checker():
    ops = ex.as_versioned(ex.history("s1: w(x,1)@0-1, r(x)=0@2-3"))
    assert ops[0].output == 1 and ops[1].output is None
    assert [(a.id, b.id) for a, b in check_sessions(ops)["read-your-writes"]] == [(0, 1)]


@pytest.mark.parametrize("scheme", ["abd", "primary", "local-reads"])
def test_register_runs_under_faults_respect_the_chain_of_models(scheme):
    """Seed sweep: a linearizable register history (after Jepsen's renaming) is causally
    consistent too (Ahamad et al. 1995: linearizability implies causality)."""
    plan = FaultPlan(loss=0.1, duplicate=0.05, crash_every=80, restart_after=(10, 40),
                     max_crashed=1)
    for seed in range(12):
        sim = build(scheme, seed=seed, clients=3, ops=8, think=3,
                    network=Network(latency=Exponential(6, 1)))
        sim.apply(plan, until=400, nodes=["n1", "n2", "n3"])
        sim.run(until=1000)
        if check_linearizable(sim.history, REG).linearizable:
            ops = ex.retire_after_unknown(ex.register_ops(sim.history))
            assert check_causal(ops, initial=None).consistent, f"seed={seed}: {scheme}"


# --- the key-value store, the log format, the partition schedules ------------------------------
def test_kv_store_histories_are_linearizable_and_partitioning_keeps_the_verdict():
    plan = FaultPlan(loss=0.1, duplicate=0.1, reorder=0.1)
    for seed in range(10):
        sim = ex.kv_store(seed, clients=4, keys=3, ops=8, plan=plan, until=4000)
        a = check_linearizable(sim.history, models.kv())
        b = check_linearizable(sim.history, models.kv(partitioned=False), max_steps=300_000)
        assert a.linearizable, f"seed={seed}: {a}"
        assert b.verdict in ("linearizable", "unknown"), f"seed={seed}: {b}"
        assert len(a.partitions) == 3 and a.steps <= b.steps, f"seed={seed}"


def test_kv_store_validates_its_arguments():
    with pytest.raises(ValueError, match="keys must be a positive int"):
        ex.kv_store(0, keys=0)


def test_etcd_log_round_trip_keeps_the_verdict():
    for seed in range(6):
        sim = build("local-reads", seed=seed, clients=3, ops=6, think=3, timeout=40,
                    network=Network(latency=Exponential(6, 1)))
        sim.apply(FaultPlan(loss=0.15), until=300)
        sim.run(until=800)
        parsed = parse_etcd(ex.to_etcd_log(sim.history))
        assert len(parsed) == len(from_history(sim.history, observed_failures=()))
        assert check_linearizable(parsed, REG).verdict == \
            check_linearizable(sim.history, REG).verdict, f"seed={seed}"


def test_to_etcd_log_rejects_what_the_format_cannot_hold():
    sim = ex.kv_store(0, clients=1, keys=1, ops=1)
    with pytest.raises(ValueError, match="knows read and write"):
        ex.to_etcd_log(sim.history)
    with pytest.raises(TypeError, match="needs a distlab.sim.History"):
        ex.to_etcd_log([])


def test_partition_schedules_cut_and_heal_at_the_given_times():
    sim = build("abd", seed=0, clients=3, ops=1)
    ex.partition_schedule(sim, "majority flips")
    sim.run(until=300)
    cuts = [(e.time, e.kind) for e in sim.trace.events if e.kind in ("partition", "heal")]
    want = [(t, k) for s, e, _ in ex.SCHEDULES["majority flips"]
            for t, k in ((s, "partition"), (e, "heal"))]
    assert cuts == want
    with pytest.raises(ValueError, match="schedule must be one of"):
        ex.partition_schedule(sim, "no such schedule")
    with pytest.raises(ValueError, match="need start < end"):
        ex.partition_schedule(sim, [(10.0, 5.0, (("n1",),))])


# --- the pictures ---------------------------------------------------------------------------------
def test_hierarchy_is_drawn_from_its_data_and_rejects_unknown_models():
    ax = vc.hierarchy(checked=["linearizable"], highlight={"causal": True})
    assert len(ax.texts) >= len(vc.KINDS)
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation"]
    assert len(arrows) == len(vc.HIERARCHY)
    assert all(a in vc.KINDS and b in vc.KINDS for a, b, _ in vc.HIERARCHY)
    with pytest.raises(ValueError, match="unknown model"):
        vc.hierarchy(checked=["strict serializable"])


@given(register_histories())
@settings(max_examples=100, deadline=None)
def test_search_steps_replay_the_library_search_to_its_verdict(ops):
    steps = vc.search_steps(ops, REG, max_steps=10_000)
    assert steps[-1].result is not None
    assert steps[-1].result == check_linearizable(ops, REG).linearizable
    if steps[-1].result:
        order = [ops[i] for i in steps[-1].linearized]
        state = REG.init
        for op in order:
            legal, state = REG.step(state, (op.f, op.input), op.output)
            assert legal
        assert steps[-1].states[-1] == state if order else True


def test_search_steps_tell_the_story_of_a_backtrack():
    tiny = [Op(0, "p0", "write", 1, None, 0, 10), Op(1, "p1", "write", 2, None, 1, 3),
            Op(2, "p2", "read", None, 1, 4, 5)]
    steps = vc.search_steps(tiny, REG)
    assert steps[0].linearized == () and steps[-1].linearized == (1, 0, 2)
    assert any("backtrack" in s.action for s in steps)
    fig = vc.draw_search_step(steps[4], tiny, REG)
    assert fig.axes
    anim = vc.animate_search(tiny, REG, dpi=30)
    assert anim.frames == len(steps)


# --- the exercise checks: model solutions pass ------------------------------------------------------
def mr_solution(ops):
    def older(a, b):
        return b is not None and (a is None or a < b)

    newest, out = {}, []
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        if op.f != "read":
            continue
        seen = newest.get((op.process, op.input))
        if seen is not None and older(op.output, seen.output):
            out.append((seen, op))
        else:
            newest[(op.process, op.input)] = op
    return out


def lift(nxt, prv, match, e):
    r = match[e]
    nxt[prv[e]] = nxt[e]
    prv[nxt[e]] = prv[e]
    nxt[prv[r]] = nxt[r]
    if nxt[r] != -1:
        prv[nxt[r]] = prv[r]


def unlift(nxt, prv, match, e):
    r = match[e]
    if nxt[r] != -1:
        prv[nxt[r]] = r
    nxt[prv[r]] = r
    prv[nxt[e]] = e
    nxt[prv[e]] = e


def stack_step(state, inp, out):
    f, arg = inp
    if f == "push":
        return True, state + (arg,)
    if out is UNKNOWN:
        return True, state[:-1]
    if not state:
        return out is None, state
    return out == state[-1], state[:-1]


ANSWERS = {"P": "none", "Q": "causal", "R": "linearizable", "S": "sequential"}


def test_checks_pass_on_the_model_solutions(capsys):
    ex.check_classification(ANSWERS)
    ex.check_monotonic_reads(mr_solution)
    ex.check_lift_unlift(lift, unlift)
    ex.check_stack_model(stack_step)
    assert capsys.readouterr().out.count("✔") == 4


# --- ... and fail helpfully on wrong ones -------------------------------------------------------------
def failure(check, *args) -> str:
    with pytest.raises(CheckFailed) as info:
        check(*args)
    return str(info.value)


def test_classification_check_points_the_way_without_giving_the_answer():
    msg = failure(ex.check_classification, {**ANSWERS, "S": "linearizable"})
    assert "history S is not 'linearizable'" in msg and "real time" in msg
    assert "expected" not in msg
    msg = failure(ex.check_classification, {**ANSWERS, "R": "causal"})
    assert "stronger model" in msg
    assert "add an answer for Q" in failure(ex.check_classification, {"P": "none"})
    assert "not one of the models" in failure(ex.check_classification,
                                              {**ANSWERS, "P": "eventual"})
    assert "no answer yet" in failure(ex.check_classification, {**ANSWERS, "P": None})


def test_monotonic_reads_check_catches_common_mistakes():
    def previous_only(ops):  # compares with the previous read, not the newest seen
        last, out = {}, []
        for op in sorted(ops, key=lambda o: (o.call, o.id)):
            if op.f == "read":
                seen = last.get((op.process, op.input))
                if seen is not None and seen.output is not None and \
                        (op.output is None or op.output < seen.output):
                    out.append((seen, op))
                last[(op.process, op.input)] = op
        return out

    def all_keys(ops):  # forgets that keys are separate
        return mr_solution([Op(o.id, o.process, o.f, "k" if o.f == "read" else o.input,
                               o.output, o.call, o.ret) for o in ops])

    def stub(ops):
        raise NotImplementedError()

    msg = failure(ex.check_monotonic_reads, previous_only)
    assert "two steps back" in msg and "expected" in msg and "hint" in msg
    assert "two keys are judged separately" in failure(ex.check_monotonic_reads, all_keys)
    assert "not written yet" in failure(ex.check_monotonic_reads, stub)
    assert "list of (earlier, later) pairs" in failure(ex.check_monotonic_reads,
                                                       lambda ops: [1, 2])


def test_lift_unlift_check_catches_a_missing_guard_and_a_missing_link():
    def lift_unguarded(nxt, prv, match, e):  # writes prv[-1] when the return is last
        r = match[e]
        nxt[prv[e]] = nxt[e]
        prv[nxt[e]] = prv[e]
        nxt[prv[r]] = nxt[r]
        prv[nxt[r]] = prv[r]

    def unlift_forgets_prv(nxt, prv, match, e):
        r = match[e]
        if nxt[r] != -1:
            prv[nxt[r]] = r
        nxt[prv[r]] = r
        nxt[prv[e]] = e

    def lift_call_only(nxt, prv, match, e):
        nxt[prv[e]] = nxt[e]
        prv[nxt[e]] = prv[e]

    assert "after unlift" in failure(ex.check_lift_unlift, lift_unguarded, unlift)
    msg = failure(ex.check_lift_unlift, lift, unlift_forgets_prv)
    assert "backwards" in msg and "prv" in msg
    msg = failure(ex.check_lift_unlift, lift_call_only, unlift)
    assert "after lift" in msg and "match[e]" in msg
    assert "not written yet" in failure(
        ex.check_lift_unlift, lambda *a: (_ for _ in ()).throw(NotImplementedError()), unlift)


def test_stack_check_catches_fifo_lists_and_unknown_outputs():
    def fifo(state, inp, out):
        f, arg = inp
        if f == "push":
            return True, state + (arg,)
        if not state:
            return out is None, state
        return out == state[0], state[1:]

    def lists(state, inp, out):
        ok, new = stack_step(state, inp, out)
        return ok, list(new)

    def strict_unknown(state, inp, out):
        f, arg = inp
        if f == "push":
            return True, state + (arg,)
        if not state:
            return out is None, state
        return out == state[-1], state[:-1]

    assert "LIFO" in failure(ex.check_stack_model, fifo)
    assert "tuples" in failure(ex.check_stack_model, lists)
    assert "UNKNOWN" in failure(ex.check_stack_model, strict_unknown)
    assert "pair (legal, new_state)" in failure(ex.check_stack_model,
                                                lambda s, i, o: True)
