"""Checks for the exercises of notebook 1.6, "Project: a distributed chat".

Each check first tries the learner's function on small cases (so a failure names the
input, the expected and the received answer, and a hint), then plugs it into the real
protocol and runs the chat over many seeds with reordering and loss, judging the
result with the trace checkers of ``distlab.broadcast.checks``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..broadcast import (CausalBroadcast, FifoBroadcast, ReliableBroadcast, check_causal,
                         check_fifo, check_reliable, chat_simulation)
from ..clocks import VectorClock
from ..sim import FaultPlan, Network, Simulation
from . import call, expect, fail, passed

__all__ = ["check_can_deliver", "check_fifo_release", "check_eager_messages"]

SWEEP = FaultPlan(loss=0.15, duplicate=0.1, reorder=0.3)


def _call(fn: Callable[..., Any], name: str, args: tuple, shown: str, hint: str) -> Any:
    return call(fn, name, args, shown=shown, hint=hint)


def _sweep(layer: type, seeds: range, judge: Callable[[Simulation], list]) -> None:
    """Run the chat over ``layer`` for each seed; fail on the first violation."""
    for seed in seeds:
        sim = chat_simulation(layer, seed=seed, members=("ann", "bob", "cat", "dan"),
                              posts=1, retransmit=40.0)
        sim.apply(SWEEP, until=100)
        try:
            sim.run(until=400)
        except Exception as exc:
            cause = exc.__cause__ or exc
            fail(f"your rule made a node raise {type(cause).__name__}: {cause} "
                 f"(chat over {layer.__name__}, seed={seed})", got=type(cause).__name__,
                 hint="the rule receives mappings in which a missing entry counts as 0")
        violations = judge(sim)
        if violations:
            v = violations[0]
            fail(f"with your rule inside the protocol, seed={seed} breaks {v.property} "
                 f"({len(violations)} violation(s))", given=f"the chat, seed={seed}",
                 got=str(v), hint=_SWEEP_HINTS.get(v.property, ""))


_SWEEP_HINTS = {
    "causal order": "a message was let through too early: check every entry of W",
    "fifo order": "a message was let through before an earlier one from the same sender",
    "validity": "some message was never delivered: the rule holds messages back forever",
    "agreement": "some message was never delivered: the rule holds messages back forever",
    "no duplication": "a message was delivered twice: is an old message (W[j] <= V[j]) "
                      "refused?",
}


# --- exercise: the causal delivery condition ---------------------------------------------
_CAUSAL_CASES: list[tuple[dict, dict, str, bool, str]] = [
    ({"a": 1}, {}, "a", True,
     "a's first message, nothing else needed: W[a] = V[a] + 1 = 1"),
    ({"a": 2}, {}, "a", False,
     "W[a] = 2 but a's message 1 has not been delivered: W[a] must be exactly V[a] + 1"),
    ({"a": 1}, {"a": 1}, "a", False,
     "already delivered (W[a] = V[a]): an old copy must not be delivered again"),
    ({"a": 1, "b": 1}, {}, "a", False,
     "a had delivered b's first message before sending; we have not: W[b] > V[b]"),
    ({"a": 1, "b": 1}, {"b": 1}, "a", True,
     "we have everything a had when it sent: W[k] <= V[k] for every k other than a"),
    ({"a": 3, "b": 1, "c": 2}, {"a": 2, "b": 4, "c": 2}, "a", True,
     "having *more* than the sender had (V[b] = 4 > W[b] = 1) is fine"),
    ({"a": 3, "b": 1, "c": 3}, {"a": 2, "b": 4, "c": 2}, "a", False,
     "W[c] = 3 > V[c] = 2: one of c's messages is missing"),
    ({"b": 1}, {"a": 5}, "b", True,
     "entries missing from a dict count as 0 (use W.get(k, 0))"),
]


def check_can_deliver(fn: Callable[[Any, Any, str], bool]) -> None:
    """``fn(W, V, sender)``: the causal delivery condition."""
    if not callable(fn):
        fail("check_can_deliver needs your function", expected="a function (W, V, sender)",
             got=fn, hint="define can_deliver in the cell above and run that cell first")
    for W, V, sender, expected, hint in _CAUSAL_CASES:
        shown = f"{W}, {V}, {sender!r}"
        got = _call(fn, "can_deliver", (dict(W), dict(V), sender), shown, hint)
        expect(got == expected and isinstance(got, bool),
               "can_deliver gave a wrong answer", given=f"can_deliver({shown})",
               expected=expected, got=got, hint=hint)
    # Vector clocks, as the protocol passes them.
    got = _call(fn, "can_deliver", (VectorClock({"a": 1, "b": 2}), VectorClock({"b": 2}), "a"),
                "VectorClock({'a': 1, 'b': 2}), VectorClock({'b': 2}), 'a'",
                "the protocol passes VectorClock objects: use W.get(k, 0) or W[k]")
    expect(got is True, "can_deliver gave a wrong answer on VectorClocks",
           given="can_deliver(VectorClock({'a': 1, 'b': 2}), VectorClock({'b': 2}), 'a')",
           expected=True, got=got, hint="iterate over W's entries; V may lack some of them")
    layer = type("LearnerCausal", (CausalBroadcast,), {"condition": staticmethod(fn)})
    _sweep(layer, range(20),
           lambda sim: check_causal(sim) + check_reliable(sim))
    passed(f"can_deliver is right on {len(_CAUSAL_CASES) + 1} cases, and inside "
           f"CausalBroadcast it keeps a 4-member chat causal and reliable over 20 seeds "
           f"with loss, duplication and reordering")


# --- exercise: the FIFO hold-back queue --------------------------------------------------------
_FIFO_CASES: list[tuple[int, dict, list, int, str]] = [
    (1, {1: "m1"}, ["m1"], 2, "the expected message is there: deliver it"),
    (1, {2: "m2"}, [], 1, "message 1 is missing: hold message 2 back"),
    (1, {2: "m2", 1: "m1", 3: "m3"}, ["m1", "m2", "m3"], 4,
     "once 1 is there, 2 and 3 can follow, in order"),
    (3, {5: "m5", 3: "m3"}, ["m3"], 4, "deliver 3, then stop: 4 is missing"),
    (2, {}, [], 2, "nothing held: nothing to deliver"),
]


def check_fifo_release(fn: Callable[[int, dict], tuple[list, int]]) -> None:
    """``fn(next_seq, held) -> (ready, next_seq)``: FIFO hold-back, removing from held."""
    if not callable(fn):
        fail("check_fifo_release needs your function", expected="a function (next_seq, held)",
             got=fn, hint="define fifo_release in the cell above and run that cell first")
    for next_seq, held, ready, new_next, hint in _FIFO_CASES:
        mine = dict(held)
        shown = f"{next_seq}, {held}"
        got = _call(fn, "fifo_release", (next_seq, mine), shown, hint)
        if not (isinstance(got, tuple) and len(got) == 2):
            fail("fifo_release must return a pair (ready, next_seq)",
                 given=f"fifo_release({shown})", expected=(ready, new_next), got=got,
                 hint="return ready_list, next_seq")
        expect(list(got[0]) == ready and got[1] == new_next, "fifo_release gave a wrong answer",
               given=f"fifo_release({shown})", expected=(ready, new_next), got=got, hint=hint)
        left = {k: v for k, v in held.items() if v not in ready}
        expect(mine == left, "fifo_release must remove what it delivers from held",
               given=f"fifo_release({shown})", expected=f"held == {left} afterwards",
               got=f"held == {mine}", hint="use held.pop(next_seq)")
    layer = type("LearnerFifo", (FifoBroadcast,), {"release": staticmethod(fn)})
    _sweep(layer, range(20), lambda sim: check_fifo(sim) + check_reliable(sim))
    passed(f"fifo_release is right on {len(_FIFO_CASES)} cases, and inside FifoBroadcast it "
           f"keeps a 4-member chat FIFO-ordered and reliable over 20 seeds with loss, "
           f"duplication and reordering")


# --- exercise: the price of eager reliable broadcast ---------------------------------------
class _OneShot(ReliableBroadcast):
    """Broadcasts one message at start if it is the first node."""

    def on_start(self) -> None:
        super().on_start()
        if self.id == self.nodes[0]:
            self.bcast("hello")


def _measured(n: int) -> int:
    sim = Simulation(seed=n, network=Network())
    sim.add_nodes([f"n{i}" for i in range(1, n + 1)], _OneShot)
    sim.run(until=100)
    return sim.stats["sent"]


def check_eager_messages(fn: Callable[[int], int]) -> None:
    """``fn(n)``: messages sent by eager reliable broadcast for one broadcast, no faults."""
    if not callable(fn):
        fail("check_eager_messages needs your function", expected="a function of n",
             got=fn, hint="define eager_messages in the cell above and run that cell first")
    for n in (1, 2, 3, 4, 5, 8):
        measured = _measured(n)
        got = _call(fn, "eager_messages", (n,), repr(n),
                    "the origin sends n - 1 copies; count what each other node relays")
        expect(got == measured, "eager_messages disagrees with the simulation",
               given=f"eager_messages({n})", expected=measured, got=got,
               hint="the origin sends to n - 1 nodes; each of them relays, once, to every "
                    "node except itself and the origin")
    passed("eager_messages(n) matches the messages the simulation counts for n = 1..8: "
           "(n - 1)² per broadcast, against n - 1 for best effort")

