"""Checks for the exercises of notebook 1.1, "System models, IPC and RPC"."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ..detectors import Heartbeat, HeartbeatDetector, false_suspicions
from ..rpc import Reply, Request, RPCClient, RPCServer, duplicate_executions
from ..rpc.dedup import at_most_once
from ..sim import FaultPlan, Network, Simulation, Uniform
from . import CheckFailed, expect, fail, passed

__all__ = ["OPERATIONS", "idempotent", "check_dedup", "check_idempotent",
           "check_longest_silence"]


# --- exercise 1: the deduplication rule ------------------------------------------------

def _scenarios() -> list[tuple[str, list[Request]]]:
    inc = lambda c, i: Request(c, i, "increment")  # noqa: E731
    return [
        ("one call, then its retransmission",
         [inc("c1", 1), inc("c1", 1)]),
        ("three copies of a call, then the next call",
         [inc("c1", 1), inc("c1", 1), inc("c1", 1), inc("c1", 2)]),
        ("a late copy of call #1 arrives after call #2 (reordering)",
         [inc("c1", 1), inc("c1", 2), inc("c1", 1), inc("c1", 2)]),
        ("two clients with the same request ids, interleaved",
         [inc("c1", 1), inc("c2", 1), inc("c1", 1), inc("c2", 1), inc("c2", 2),
          inc("c1", 2), inc("c2", 2)]),
        ("call #1 was lost for good; call #2 runs, then a copy of #1 turns up",
         [inc("c1", 2), inc("c1", 1), Request("c1", 3, "set", (10,)),
          Request("c1", 3, "set", (10,))]),
    ]


class _Counter:
    """The server side of a scenario: executes increments, counts executions."""

    def __init__(self) -> None:
        self.value = 0
        self.runs: dict[tuple[str, int], int] = {}

    def execute(self, request: Request) -> Reply:
        if not isinstance(request, Request):
            fail("execute() was called with something that is not the Request",
                 expected="the Request you were given", got=request,
                 hint="call execute(request) with the request itself")
        self.runs[request.key] = self.runs.get(request.key, 0) + 1
        if request.op == "set":
            self.value = request.args[0]
        else:
            self.value += 1
        return Reply(request.client_id, request.request_id, self.value)


def _drive(rule: Callable, requests: list[Request]) -> tuple[list[Any], _Counter]:
    table: dict = {}
    server = _Counter()
    replies = [rule(table, r, server.execute) for r in requests]
    return replies, server


def check_dedup(rule: Callable[[dict, Request, Callable[[Request], Reply]], Reply | None]
                ) -> None:
    """``rule(table, request, execute)`` must give at-most-once execution.

    Compared, request by request, with the book's ``distlab.rpc.at_most_once`` on
    scripted sequences with duplicates and reordering, then plugged into an
    ``RPCServer`` and run under loss and duplication.
    """
    if not callable(rule):
        fail("check_dedup needs your function", expected="a function (table, request, "
             "execute) -> Reply | None", got=rule, hint="pass the function, e.g. dedup")
    for story, requests in _scenarios():
        shown = ", ".join(f"{r.client_id}#{r.request_id}" for r in requests)
        try:
            got, server = _drive(rule, requests)
        except NotImplementedError:
            fail("your rule is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with your code")
        except CheckFailed:
            raise
        except Exception as exc:
            fail(f"your rule raised {type(exc).__name__}: {exc}", given=shown,
                 got=type(exc).__name__,
                 hint="table starts as an empty dict; store what you need in it")
        want, reference = _drive(at_most_once, requests)
        twice = {k: n for k, n in server.runs.items() if n > 1}
        expect(not twice, f"a call was executed more than once ({story})",
               given=shown, expected="each call executed at most once",
               got={f"{c}#{i}": n for (c, i), n in twice.items()},
               hint="look the request up in `table` before calling execute()")
        for i, (r, g, w) in enumerate(zip(requests, got, want)):
            where = f"request {i + 1} ({r.client_id}#{r.request_id}) of: {shown}"
            if w is not None:
                expect(g == w, f"wrong reply ({story})", given=where, expected=w, got=g,
                       hint="a duplicate must get the reply that was sent the first time"
                            " (the first one may have been lost): keep it in the table")
            else:
                expect(g is None or (isinstance(g, Reply) and g.key == r.key
                                     and server.runs.get(r.key, 0) <= 1
                                     and reference.runs.get(r.key, 0) >= 1),
                       f"an old request must not run after a newer call of the same "
                       f"client ({story})", given=where,
                       expected="None (send nothing, execute nothing)", got=g,
                       hint="a request_id below the latest one executed for that client "
                            "is stale: return None")
        executed = sorted(server.runs)
        expected_runs = sorted(reference.runs)
        expect(executed == expected_runs, f"the wrong calls were executed ({story})",
               given=shown, expected=[f"{c}#{i}" for c, i in expected_runs],
               got=[f"{c}#{i}" for c, i in executed],
               hint="every new call runs once; duplicates and stale requests never run")
    # In a system: the rule inside a server, over a lossy, duplicating network.
    server_class = type("YourServer", (RPCServer,), {"rule": staticmethod(rule)})
    for seed in range(12):
        sim = Simulation(seed=seed, network=Network(latency=Uniform(1, 10)))
        sim.add_node("server", server_class, dedup="volatile")
        for c in ("c1", "c2"):
            sim.add_node(c, RPCClient, attempts=5, timeout=25.0)
        sim.apply(FaultPlan(loss=0.25, duplicate=0.25, reorder=0.1), until=600)
        try:
            sim.run(until=800)
        except Exception as exc:
            cause = exc.__cause__ or exc
            fail(f"seed={seed}: the server raised {type(cause).__name__}: {cause}",
                 got=type(cause).__name__, hint="test your rule on the scripted cases")
        dups = duplicate_executions(sim)
        expect(not dups, f"seed={seed}: in a simulated system, calls ran more than once",
               expected="no call executed twice",
               got={f"{c}#{i}": n for (c, i), n in dups.items()},
               hint="replay it: build the same simulation with this seed and look at "
                    "sim.trace.outputs('execute')")
    passed("each call runs at most once and duplicates get the first reply:\n"
           "  in the scripted cases, and in 12 seeds of a lossy, duplicating network")


# --- exercise 2: idempotence -------------------------------------------------------------

#: name -> (description, effect on the state {"x": int, "tags": frozenset, "log": tuple})
OPERATIONS: dict[str, tuple[str, Callable[[dict], dict]]] = {
    "get_x": ("read x", lambda s: dict(s)),
    "set_x_to_5": ("x := 5", lambda s: {**s, "x": 5}),
    "increment_x": ("x := x + 1", lambda s: {**s, "x": s["x"] + 1}),
    "double_x": ("x := 2·x", lambda s: {**s, "x": 2 * s["x"]}),
    "raise_x_to_7": ("x := max(x, 7)", lambda s: {**s, "x": max(s["x"], 7)}),
    "cas_x_3_to_4": ("if x = 3 then x := 4 (compare-and-set)",
                     lambda s: {**s, "x": 4 if s["x"] == 3 else s["x"]}),
    "append_a_to_log": ("log := log + ['a']", lambda s: {**s, "log": s["log"] + ("a",)}),
    "add_a_to_tags": ("tags := tags ∪ {'a'}",
                      lambda s: {**s, "tags": s["tags"] | {"a"}}),
    "remove_a_from_tags": ("tags := tags − {'a'}",
                           lambda s: {**s, "tags": s["tags"] - {"a"}}),
}

_STATES = [{"x": x, "tags": tags, "log": log}
           for x in (0, 3, 5, 10)
           for tags in (frozenset(), frozenset({"a"}), frozenset({"b"}))
           for log in ((), ("a",))]


def idempotent(name: str) -> tuple[bool, dict | None]:
    """Is ``OPERATIONS[name]`` idempotent? Tried on sample states: f(f(s)) == f(s).

    Returns the verdict and, if not, a state where applying twice differs.
    """
    if name not in OPERATIONS:
        raise ValueError(f"name must be one of {list(OPERATIONS)}, got {name!r}")
    f = OPERATIONS[name][1]
    for s in _STATES:
        once = f(s)
        if f(once) != once:
            return False, s
    return True, None


def check_idempotent(answers: dict[str, bool]) -> None:
    """``answers[name]`` must say whether each operation of ``OPERATIONS`` is idempotent."""
    if not isinstance(answers, dict):
        fail("check_idempotent needs a dict {operation name: True/False}",
             expected="a dict", got=answers,
             hint="fill in the dict `answers` in the cell above")
    missing = [n for n in OPERATIONS if n not in answers]
    expect(not missing, "some operations have no answer", expected=list(OPERATIONS),
           got=sorted(answers), hint=f"add an entry for {missing[:3]}")
    for name, (text, f) in OPERATIONS.items():
        a = answers[name]
        if a is ... or a is None:
            fail(f"no answer yet for {name!r} ({text})", expected="True or False", got=a,
                 hint="replace ... with True or False")
        if not isinstance(a, bool):
            fail(f"the answer for {name!r} must be True or False", got=a)
        truth, witness = idempotent(name)
        if a != truth:
            if truth:
                hint = (f"apply {text} twice to any state: the second time changes nothing")
            else:
                once = f(witness)
                hint = (f"start from x={witness['x']}, tags={set(witness['tags']) or '{}'}, "
                        f"log={list(witness['log'])}: once gives {_show(once)}, twice gives "
                        f"{_show(f(once))}")
            fail(f"{name!r} ({text}): wrong classification", expected=truth, got=a,
                 hint=hint)
    passed(f"all {len(OPERATIONS)} operations classified correctly\n"
           f"  (each verdict checked by applying it once and twice to {len(_STATES)} states)")


def _show(s: dict) -> str:
    return f"x={s['x']}, tags={set(s['tags']) or '{}'}, log={list(s['log'])}"


# --- exercise 3: the longest silence ------------------------------------------------------

class _Adversary:
    """A network hook: heartbeats before number ``switch`` take ``low``, later ones
    ``high`` (the fastest heartbeat followed by the slowest ones)."""

    def __init__(self, low: float, high: float, switch: int = 10) -> None:
        self.low, self.high, self.switch = low, high, switch

    def __call__(self, env):
        if isinstance(env.msg, Heartbeat):
            return dataclasses.replace(env, delay=self.low if env.msg.seq < self.switch
                                       else self.high)
        return None


def _silences(period: float, low: float, high: float, timeout: float,
              adversarial: bool, seed: int = 0) -> tuple[float, int]:
    """Run p -> q heartbeats; return (longest gap between arrivals at q, mistakes)."""
    sim = Simulation(seed=seed, network=Network(latency=Uniform(low, high)))
    if adversarial:
        sim.network.add_hook(_Adversary(low, high))
    sim.add_node("p", HeartbeatDetector, period=period, timeout=timeout, watch=())
    sim.add_node("q", HeartbeatDetector, period=period, timeout=timeout, send_to=())
    sim.run(until=40 * period)
    arrivals = [e.time for e in sim.trace.of_kind("deliver") if e.node == "q"]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    return max(gaps), len(false_suspicions(sim))


def check_longest_silence(fn: Callable[[float, float, float], float]) -> None:
    """``fn(period, d_min, d_max)``: the longest silence a monitor hears from a live
    peer whose heartbeats take between ``d_min`` and ``d_max`` (synchronous model)."""
    if not callable(fn):
        fail("check_longest_silence needs your function", expected="a function", got=fn)
    for period, low, high in [(10.0, 1.0, 10.0), (10.0, 5.0, 5.0), (5.0, 2.0, 20.0),
                              (20.0, 0.5, 3.0)]:
        given = f"longest_silence(period={period:g}, d_min={low:g}, d_max={high:g})"
        try:
            got = fn(period, low, high)
        except NotImplementedError:
            fail("longest_silence is not written yet", got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with your formula")
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            fail("longest_silence must return a number", given=given, got=got)
        worst, _ = _silences(period, low, high, timeout=1e9, adversarial=True)
        expect(abs(got - worst) < 1e-6, "that silence is not the longest one",
               given=given, expected=round(worst, 6), got=got,
               hint="heartbeat k leaves at k·period and arrives between d_min and d_max "
                    "later; what is the longest gap between two consecutive arrivals? "
                    "(the check measured it: a heartbeat as fast as possible, then the "
                    "next ones as slow as possible)")
        _, mistakes = _silences(period, low, high, timeout=got + 1e-6, adversarial=True)
        expect(mistakes == 0, "a timeout just above your bound still suspected a live node",
               given=given, expected=0, got=mistakes)
        for seed in range(3):
            longest, _ = _silences(period, low, high, timeout=1e9, adversarial=False,
                                   seed=seed)
            expect(longest <= got + 1e-9, f"seed={seed}: random delays made a longer "
                   f"silence than your bound", given=given, expected=f"<= {got}",
                   got=longest)
    passed("your bound is exactly the longest silence: a schedule of delays reaches it,\n"
           "  and a timeout just above it never suspects a live node")
