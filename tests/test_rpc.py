"""RPC over the simulated network: stubs, call semantics, deduplication (notebook 1.1).

Reference: Birrell & Nelson 1984, §3.2 (call identifiers; the server's table of the
last call of each activity; "if the call returns, the procedure was invoked exactly
once; otherwise it may have been invoked once or not at all").
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.rpc import (IDEMPOTENT, SEMANTICS, CounterService, Execution, Reply, Request,
                         RPCClient, RPCServer, at_most_once, execution_counts, executions,
                         retransmissions, rpc_system)
from distlab.sim import Constant, FaultPlan, Network


def fast() -> Network:
    """A fresh network with a constant delay of 5 (a Network holds partition state)."""
    return Network(latency=Constant(5.0))


def lose_reply(request_id: int, client: str = "c1"):
    """A network hook that loses the first reply to ``client``'s call ``request_id``."""
    lost: list[int] = []

    def hook(env):
        if isinstance(env.msg, Reply) and env.msg.key == (client, request_id) and not lost:
            lost.append(env.msg_id)
            return False
        return None
    return hook


def ops(sim):
    return [(o.f, o.status, o.output) for o in sim.history.operations()]


# --- the pieces -----------------------------------------------------------------------

def test_messages_name_the_call_and_print_readably():
    r = Request("c1", 3, "set", (10,))
    assert r.key == ("c1", 3) and repr(r) == "Request(c1#3 set(10))"
    assert repr(Reply("c1", 3, 10)) == "Reply(c1#3 -> 10)"
    assert repr(Reply("c1", 4, error="no")) == "Reply(c1#4 -> error: no)"
    assert repr(Execution("c1", 1, "increment", (), 1)) == "Execution(c1#1 increment() = 1)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.op = "get"


def test_counter_service_and_idempotence_table():
    c = CounterService()
    assert [c.apply("increment"), c.apply("increment"), c.apply("set", (7,)),
            c.apply("get")] == [1, 2, 7, 7]
    for op, idem in IDEMPOTENT.items():
        args = (5,) if op == "set" else ()
        once, twice = CounterService(3), CounterService(3)
        once.apply(op, args)
        twice.apply(op, args)
        twice.apply(op, args)
        assert (once.value == twice.value) is idem, op
    with pytest.raises(ValueError, match="unknown operation"):
        c.apply("delete")
    with pytest.raises(ValueError, match="bad arguments"):
        c.apply("set", ("x",))


def test_dedup_rule_new_duplicate_stale():
    table: dict = {}
    runs: list[Request] = []

    def execute(r):
        runs.append(r)
        return Reply(r.client_id, r.request_id, len(runs))

    first = at_most_once(table, Request("c1", 1, "increment"), execute)
    again = at_most_once(table, Request("c1", 1, "increment"), execute)
    second = at_most_once(table, Request("c1", 2, "increment"), execute)
    stale = at_most_once(table, Request("c1", 1, "increment"), execute)
    assert again == first == Reply("c1", 1, 1)
    assert second == Reply("c1", 2, 2) and stale is None
    assert len(runs) == 2 and table == {"c1": (2, second)}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.integers(1, 6)),
                max_size=40))
def test_law_at_most_once_executes_each_call_at_most_once_and_in_order(calls):
    """Whatever the duplication and reordering: each call runs at most once; a duplicate
    gets the first reply; no call runs after a later call of its client."""
    table: dict = {}
    runs: list[tuple[str, int]] = []
    first_reply: dict[tuple[str, int], Reply] = {}

    def execute(r):
        runs.append(r.key)
        return Reply(r.client_id, r.request_id, len(runs))

    for c, i in calls:
        reply = at_most_once(table, Request(c, i, "increment"), execute)
        if reply is not None:
            assert first_reply.setdefault((c, i), reply) == reply
    assert len(runs) == len(set(runs))
    for c in ("c1", "c2", "c3"):
        mine = [i for cc, i in runs if cc == c]
        assert mine == sorted(mine)


# --- stories -----------------------------------------------------------------------------

def test_a_lost_reply_makes_at_least_once_run_an_increment_twice():
    sim = rpc_system(1, "at-least-once", workload=[("increment",), ("get",)], network=fast())
    sim.network.add_hook(lose_reply(1))
    sim.run(until=200)
    assert execution_counts(sim) == {("c1", 1): 2, ("c1", 2): 1}
    assert ops(sim) == [("increment", "ok", 2), ("get", "ok", 2)]   # one call, +2
    assert retransmissions(sim) == 1


def test_a_lost_reply_is_answered_from_the_table_under_at_most_once():
    sim = rpc_system(1, "at-most-once", workload=[("increment",), ("get",)], network=fast())
    sim.network.add_hook(lose_reply(1))
    sim.run(until=200)
    assert execution_counts(sim) == {("c1", 1): 1, ("c1", 2): 1}
    assert [e.msg for e in sim.trace.outputs("cached")] == [("c1", 1)]
    assert ops(sim) == [("increment", "ok", 1), ("get", "ok", 1)]


def test_maybe_never_retries_and_a_lost_request_leaves_the_outcome_unknown():
    sim = rpc_system(1, "maybe", workload=[("increment",), ("get",)], network=fast())
    sim.cut("c1", "server")
    sim.heal(at=20)
    sim.run(until=200)
    assert retransmissions(sim) == 0
    assert ops(sim) == [("increment", "info", None), ("get", "ok", 0)]


def test_giving_up_looks_the_same_whether_the_request_or_the_reply_was_lost():
    """§1.3 of B&N: after an exception the call ran "either once or not at all"."""
    results = {}
    for lost in ("request", "reply"):
        sim = rpc_system(1, "at-most-once", workload=[("increment",)], network=fast())
        if lost == "request":
            sim.cut("c1", "server")
        else:
            sim.cut("server", "c1")
        sim.run(until=300)
        results[lost] = (ops(sim), sum(execution_counts(sim).values()))
    assert results["request"][0] == results["reply"][0] == [("increment", "info", None)]
    assert results["request"][1] == 0 and results["reply"][1] == 1


def test_a_stale_copy_is_dropped_not_executed():
    # the first copy of call #1 is held back until after call #2 has run
    def hold_back(env):
        if isinstance(env.msg, Request) and env.msg.key == ("c1", 1) and env.msg_id == 1:
            return dataclasses.replace(env, delay=100.0)
        return None
    sim = rpc_system(1, "at-most-once", workload=[("increment",), ("increment",)],
                     network=fast(), timeout=20)
    sim.network.add_hook(hold_back)
    sim.run(until=300)
    assert execution_counts(sim) == {("c1", 1): 1, ("c1", 2): 1}
    assert [e.msg for e in sim.trace.outputs("stale")] == [("c1", 1)]


def test_a_server_crash_forgets_a_volatile_table_but_not_a_durable_one():
    """The reply to call #2 is lost and the server restarts before the retry arrives."""
    counts = {}
    for durable in (False, True):
        sim = rpc_system(1, "at-most-once", workload=[("increment",), ("increment",),
                                                       ("get",)],
                         network=fast(), durable=durable)
        sim.network.add_hook(lose_reply(2))
        sim.crash("server", at=16)
        sim.restart("server", at=25)
        sim.run(until=300)
        counts[durable] = execution_counts(sim)[("c1", 2)]
        final = ops(sim)[-1]
        assert final == ("get", "ok", 3 if not durable else 2), (durable, ops(sim))
        assert sim.storage("server")["counter"] == final[2]
    assert counts == {False: 2, True: 1}


def test_an_unknown_operation_fails_and_changes_nothing():
    sim = rpc_system(1, "at-most-once", workload=[("frobnicate", 1), ("get",)],
                     network=fast())
    sim.run(until=100)
    (bad, get) = sim.history.operations()
    assert bad.status == "fail" and "unknown operation" in bad.output
    assert (get.status, get.output) == ("ok", 0)


def test_a_restarted_client_never_reuses_a_request_id_and_reports_the_open_call():
    sim = rpc_system(1, "at-most-once", network=fast())
    sim.crash("c1", at=12)           # call #2 was sent at 10, its reply is due at 20
    sim.restart("c1", at=30)
    sim.run(until=300)
    ids = [e.msg.request_id for e in sim.trace.of_kind("send") if isinstance(e.msg, Request)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    statuses = [o.status for o in sim.history.operations()]
    assert statuses == ["ok", "info", "ok", "ok", "ok"]


def test_client_server_with_several_clients_and_think_time():
    sim = rpc_system(2, "at-most-once", clients=("c1", "c2", "c3"), think=5.0)
    sim.run(until=500)
    assert Counter(o.status for o in sim.history.operations()) == {"ok": 15}
    assert len(executions(sim)) == 15
    assert sim.node("server").state()["dedup"] == {"c1": 5, "c2": 5, "c3": 5}


# --- sweeps --------------------------------------------------------------------------------

LOSSY = dict(loss=0.2, duplicate=0.15, reorder=0.05)


def sweep(semantics: str, seeds: range, *, crashes: bool = False, durable: bool = False):
    """{seed: {call: executions}} under loss, duplication (and server crashes)."""
    out = {}
    for seed in seeds:
        sim = rpc_system(seed, semantics, clients=("c1", "c2"), durable=durable)
        plan = FaultPlan(**LOSSY, crash_every=60 if crashes else None,
                         restart_after=(5, 20))
        sim.apply(plan, until=500, nodes=["server"] if crashes else None)
        sim.run(until=800)
        out[seed] = execution_counts(sim)
        check_replies_match_executions(sim, seed)
    return out


def check_replies_match_executions(sim, seed):
    """Every ok result is the result of an execution of that very call."""
    results: dict[tuple[str, int], list] = {}
    for x in executions(sim):
        results.setdefault(x.key, []).append(x.result)
    for e in sim.trace.of_kind("deliver"):
        if isinstance(e.msg, Reply) and e.msg.error is None:
            assert e.msg.result in results.get(e.msg.key, []), f"seed={seed}: {e.msg}"


def test_sweep_at_least_once_runs_some_calls_twice_at_most_once_never():
    seeds = range(60)
    alo = sweep("at-least-once", seeds)
    amo = sweep("at-most-once", seeds)
    twice = [s for s, c in alo.items() if max(c.values()) > 1]
    assert twice, "at-least-once never executed a call twice in 60 lossy seeds"
    for seed, counts in amo.items():
        dups = {k: n for k, n in counts.items() if n > 1}
        assert not dups, f"seed={seed}: at-most-once executed {dups}"


def test_sweep_server_crashes_volatile_table_duplicates_durable_never():
    seeds = range(60)
    volatile = sweep("at-most-once", seeds, crashes=True)
    durable = sweep("at-most-once", seeds, crashes=True, durable=True)
    assert [s for s, c in volatile.items() if max(c.values()) > 1], \
        "no seed re-executed a call after a restart with a volatile table"
    for seed, counts in durable.items():
        dups = {k: n for k, n in counts.items() if n > 1}
        assert not dups, f"seed={seed}: durable at-most-once executed {dups}"


def test_history_is_well_formed_in_every_seed():
    for seed in range(30):
        sim = rpc_system(seed, "at-most-once", clients=("c1", "c2"))
        sim.apply(FaultPlan(**LOSSY, partition_every=100, partition_duration=(20, 80),
                            crash_every=150, restart_after=(5, 30)), until=600)
        sim.run(until=900)
        operations = sim.history.operations()     # raises if malformed
        assert len(operations) == 10, f"seed={seed}: {len(operations)} operations"
        assert all(o.status in ("ok", "info", "fail") for o in operations), f"seed={seed}"


# --- golden trace, determinism, inputs ----------------------------------------------------

GOLDEN = """\
0.000000 send c1 ->server #1 Request(c1#1 increment())
5.000000 deliver server <-c1 #1 Request(c1#1 increment())
5.000000 output server Execution(c1#1 increment() = 1) [execute]
5.000000 send server ->c1 #2 Reply(c1#1 -> 1)
10.000000 drop c1 <-server #2 Reply(c1#1 -> 1) [hook]
25.000000 annotate c1 [retry #1]
25.000000 send c1 ->server #3 Request(c1#1 increment())
30.000000 deliver server <-c1 #3 Request(c1#1 increment())
30.000000 output server ('c1', 1) [cached]
30.000000 send server ->c1 #4 Reply(c1#1 -> 1)
35.000000 deliver c1 <-server #4 Reply(c1#1 -> 1)"""


def test_golden_trace_of_a_lost_reply():
    """Regenerate on purpose by printing the dump below if the story changes."""
    sim = rpc_system(0, "at-most-once", workload=[("increment",)], network=fast())
    sim.network.add_hook(lose_reply(1))
    sim.run(until=100)
    assert sim.trace.dump(["send", "deliver", "drop", "output", "annotate"]) == GOLDEN


def test_same_seed_same_run():
    def run():
        sim = rpc_system(5, "at-least-once", clients=("c1", "c2"),
                         network=Network(loss=0.2, duplicate=0.2))
        sim.run(until=500)
        return sim.trace.dump()
    assert run() == run()


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="semantics"):
        rpc_system(0, "exactly-once")
    with pytest.raises(ValueError, match="durable"):
        rpc_system(0, "at-least-once", durable=True)
    with pytest.raises(TypeError, match="clients"):
        rpc_system(0, clients="c1")
    with pytest.raises(ValueError, match="dedup"):
        RPCServer(dedup="sometimes")
    with pytest.raises(ValueError, match="attempts"):
        RPCClient(attempts=0)
    with pytest.raises(ValueError, match="timeout"):
        RPCClient(timeout=0)
    with pytest.raises(TypeError, match="workload"):
        RPCClient(workload="increment")
    assert set(SEMANTICS) == {"maybe", "at-least-once", "at-most-once"}


# --- the notebook's exercises, pictures and explorer ------------------------------------

def test_exercise_checks_accept_the_right_answers_and_explain_wrong_ones():
    from distlab.exercises import CheckFailed
    from distlab.exercises.rpc import (OPERATIONS, check_dedup, check_idempotent,
                                       check_longest_silence, idempotent)

    check_dedup(at_most_once)

    def no_table(table, request, execute):
        return execute(request)

    def no_reply_for_duplicates(table, request, execute):
        last = table.get(request.client_id)
        if last is not None and request.request_id <= last:
            return None
        table[request.client_id] = request.request_id
        return execute(request)

    def stub(table, request, execute):
        raise NotImplementedError()

    for wrong, words in ((no_table, "more than once"), (no_reply_for_duplicates, "wrong reply"),
                         (stub, "not written yet")):
        with pytest.raises(CheckFailed, match=words):
            check_dedup(wrong)

    truth = {name: idempotent(name)[0] for name in OPERATIONS}
    assert truth["increment_x"] is False and truth["cas_x_3_to_4"] is True
    check_idempotent(truth)
    with pytest.raises(CheckFailed, match="increment_x"):
        check_idempotent({**truth, "increment_x": True})
    with pytest.raises(CheckFailed, match="no answer yet"):
        check_idempotent({name: ... for name in OPERATIONS})

    check_longest_silence(lambda period, low, high: period + high - low)
    with pytest.raises(CheckFailed, match="not the longest"):
        check_longest_silence(lambda period, low, high: period + high)


def test_rpc_labels_for_diagrams():
    from distlab.viz.rpc import rpc_label, rpc_outputs

    assert rpc_label(Request("c1", 2, "set", (10,))) == "set 10 #2"
    assert rpc_label(Reply("c1", 2, 10)) == "#2→10"
    sim = rpc_system(0, "at-most-once", workload=[("increment",)], network=fast())
    sim.network.add_hook(lose_reply(1))
    sim.run(until=100)
    labels = [rpc_outputs(e) for e in sim.trace.outputs()]
    assert labels == ["run #1=1", "cached #1"]


def test_an_explorer_can_drive_the_rpc_system():
    from distlab.widgets import Explorer

    ex = Explorer(lambda seed: rpc_system(seed, "at-most-once", clients=("c1", "c2")), seed=1)
    ex.advance(12)
    ex.crash("server")
    ex.advance(20)
    ex.restart("server")
    ex.partition("c1 | server,c2")
    ex.advance(100)
    rows = {r["node"]: r for r in ex.state_rows()}
    assert rows["server"]["status"] == "up" and "counter" in rows["server"]
    assert ex.error == ""
