"""Helpers and checks for notebooks 2.1 ("Consistency models") and 2.2 ("Checking
linearizability").

The helpers turn small hand-written histories and simulated runs into what the
checkers of ``distlab.consistency`` judge:

- :func:`history` reads a compact notation, one line per process:
  ``"p1: w(x,1)@0-2, r(x)=1@3-4"`` (a write of 1 to ``x`` called at 0 and returning at
  2, then a read of ``x`` that returned 1); ``@3-?`` means the client never learnt the
  outcome. :func:`memory` is the matching sequential specification: read/write
  registers named by key, as in Lamport (1979) and Ahamad et al. (1995).
- :func:`register_ops` gives a simulated register's history the same shape, so that
  the causal checker and :func:`check_convergence` can judge it; :func:`retire_after_unknown`
  applies Jepsen's rule that a client which timed out carries on as a new process.
- :func:`check_convergence` is a finite test of eventual consistency (Vogels 2009):
  once the writes have stopped, the last reads of every process agree.
- :func:`kv_store` runs clients of a multi-key store (get / put / append) in the
  simulator, for the partitioning experiment of notebook 2.2; :func:`to_etcd_log`
  writes a register history in the Jepsen etcd log format that Porcupine and
  ``python -m distlab.consistency`` read; :data:`SCHEDULES` are the partition
  schedules of notebook 2.2's widget.

The ``check_*`` functions at the end are the auto-checked exercises; the expected
answers are computed with the library's checkers, never typed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..consistency import (UNKNOWN, Model, Op, Search, check_causal, check_linearizable,
                           check_sequential, check_sessions, models)
from ..consistency.operations import as_ops, retire_after_unknown
from ..sim import FaultPlan, History, Network, Node, Simulation
from . import CheckFailed, expect, fail, passed

__all__ = ["history", "memory", "register_ops", "retire_after_unknown", "as_versioned",
           "check_convergence", "ConvergenceResult", "judge", "MODELS", "STRENGTH",
           "CLASSIFY", "Get", "Put", "Append", "KVReply", "KVServer", "KVClient", "kv_store",
           "to_etcd_log", "SCHEDULES", "partition_schedule",
           "check_classification", "check_monotonic_reads", "check_lift_unlift",
           "check_stack_model", "stack_model"]


# --- a notation for small histories --------------------------------------------------------
_OP = re.compile(r"""^\s*(?:
        w\(\s*(?P<wkey>\w+)\s*,\s*(?P<wval>-?\w+)\s*\)      # w(x,1)
      | r\(\s*(?P<rkey>\w+)\s*\)\s*=\s*(?P<rval>-?\w+|\?)  # r(x)=1
    )\s*@\s*(?P<call>\d+(?:\.\d+)?)\s*-\s*(?P<ret>\d+(?:\.\d+)?|\?)\s*$""", re.X)


def _value(text: str) -> Any:
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def history(*lines: str) -> list[Op]:
    """Operations written one process per line: ``"p1: w(x,1)@0-2, r(x)=1@3-4"``.

    ``w(k,v)@a-b`` writes ``v`` to ``k``; ``r(k)=v@a-b`` reads ``v``; ``a`` and ``b``
    are the call and return times; a return time ``?`` means the outcome is unknown
    (the client timed out). Writes have input ``(k, v)``, reads input ``k`` and output
    the value read: the shape :func:`memory`, ``check_causal`` and
    :func:`check_convergence` expect. Taught in notebook 2.1.
    """
    if len(lines) == 1 and "\n" in lines[0]:
        lines = tuple(line for line in lines[0].splitlines() if line.strip())
    if not lines:
        raise ValueError("history needs at least one line such as 'p1: w(x,1)@0-1'")
    pieces: list[tuple[int, str, str]] = []
    for n, line in enumerate(lines, start=1):
        if not isinstance(line, str) or ":" not in line:
            raise ValueError(f"line {n} ({line!r}): write 'process: op, op, ...', "
                             f"e.g. 'p1: w(x,1)@0-1, r(x)=1@2-3'")
        process, body = line.split(":", 1)
        process = process.strip()
        if not process:
            raise ValueError(f"line {n} ({line!r}) names no process before ':'")
        # commas separate operations, and also a write's key and value: split only
        # before the next "w(" or "r("
        for text in re.split(r",\s*(?=[wr]\()", body.strip()):
            pieces.append((n, process, text))
    rows = []
    for n, process, text in pieces:
        m = _OP.match(text)
        if not m:
            raise ValueError(f"line {n}: cannot read {text.strip()!r}; write w(x,1)@0-1, "
                             f"r(x)=1@2-3, or @2-? for an unknown outcome")
        call = float(m["call"])
        ret = math.inf if m["ret"] == "?" else float(m["ret"])
        if ret < call:
            raise ValueError(f"line {n}: {text.strip()!r} returns before it is called")
        if m["wkey"] is not None:
            f, arg = "write", (m["wkey"], _value(m["wval"]))
            out = UNKNOWN if ret == math.inf else None
        else:
            f, arg = "read", m["rkey"]
            out = UNKNOWN if ret == math.inf or m["rval"] == "?" else _value(m["rval"])
        rows.append((call, n, process, f, arg, out, ret))
    by_process: dict[str, list[tuple]] = {}
    for row in rows:
        by_process.setdefault(row[2], []).append(row)
    for p, seq in by_process.items():
        for a, b in zip(seq, seq[1:]):
            if b[0] <= a[6]:
                raise ValueError(f"process {p}: an operation called at {b[0]:g} does not "
                                 f"start after the previous one returns (at {a[6]:g}); a "
                                 f"process does one thing at a time, and ops that touch "
                                 f"count as concurrent")
    rows.sort(key=lambda r: (r[0], r[1]))
    return [Op(i, p, f, arg, out, call, ret, "info" if ret == math.inf else "ok")
            for i, (call, _, p, f, arg, out, ret) in enumerate(rows)]


# --- a memory of registers: the model for these histories ------------------------------------
def memory(initial: Any = 0) -> Model:
    """Read/write registers named by key, each starting as ``initial``.

    ``write((key, value))`` and ``read(key) -> value``; the state is the map as a sorted
    tuple of ``(key, value)`` pairs, and the model partitions a history per key (keys
    are independent objects: Herlihy & Wing 1990, §3.3), so ``check_linearizable`` and
    ``check_sequential`` (which searches whole interleavings) can both use it.
    """

    def step(state: tuple, inp: tuple[str, Any], out: Any) -> tuple[bool, tuple]:
        f, arg = inp
        current = dict(state)
        if f == "read":
            return (out is UNKNOWN or out == current.get(arg, initial)), state
        if f == "write":
            key, value = arg
            current[key] = value
            return True, tuple(sorted(current.items(), key=lambda kv: repr(kv[0])))
        raise ValueError(f"memory has no operation {f!r}")

    def partition(ops: list[Op]) -> list[list[Op]]:
        groups: dict[Any, list[Op]] = {}
        for op in ops:
            groups.setdefault(op.input if op.f == "read" else op.input[0], []).append(op)
        return [groups[k] for k in sorted(groups, key=repr)]

    def describe(inp: tuple[str, Any], out: Any) -> str:
        f, arg = inp
        if f == "read":
            return f"r({arg})={'?' if out is UNKNOWN else out}"
        return f"w({arg[0]},{arg[1]})" + ("?" if out is UNKNOWN else "")

    return Model("memory", (), step, partition=partition, functions=("read", "write"),
                 describe_operation=describe,
                 read_only=lambda inp, out: inp[0] == "read")


# --- simulated register histories in the same shape ---------------------------------------------
def register_ops(history_or_ops: Any, key: str = "x") -> list[Op]:
    """A single register's ops (``read()``, ``write(v)``) as memory ops on ``key``.

    Accepts a ``distlab.sim.History`` (from ``distlab.registers``) or a list of ``Op``.
    """
    ops = as_ops(history_or_ops)
    out = []
    for op in ops:
        if op.f == "write":
            out.append(Op(op.id, op.process, "write", (key, op.input), op.output, op.call,
                          op.ret, op.status))
        elif op.f == "read":
            out.append(Op(op.id, op.process, "read", key, op.output, op.call, op.ret,
                          op.status))
        else:
            raise ValueError(f"{op!r}: register_ops knows read and write only")
    return out


def as_versioned(ops: Sequence[Op]) -> list[Op]:
    """For the session checker: each write's output becomes the value it wrote.

    ``check_sessions`` needs the *version* each write created and each read saw. In
    histories where every write writes a larger number than the writes before it
    (one writer counting up, or the hand-made examples of notebook 2.1), the value
    is its own version; the initial value (``0`` or ``None``) is the oldest.
    """
    out = []
    for op in as_ops(list(ops)):
        if op.f == "write" and op.known:
            out.append(Op(op.id, op.process, op.f, op.input, op.input[1], op.call, op.ret,
                          op.status))
        elif op.f == "read" and op.known and op.output == 0:
            out.append(Op(op.id, op.process, op.f, op.input, None, op.call, op.ret,
                          op.status))
        else:
            out.append(op)
    return out


# --- eventual consistency, observed at the end of a finite history -------------------------------
@dataclass
class ConvergenceResult:
    """``consistent`` iff, per key, the final reads agree (and read written values)."""

    consistent: bool
    final_reads: dict[Any, list[Op]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "converged" if self.consistent else "not converged"


def check_convergence(history_or_ops: Any, *, initial: Any = 0) -> ConvergenceResult:
    """A finite test of eventual consistency (Vogels 2009; Viotti & Vukolić 2016, §3).

    Eventual consistency is a liveness property ("if no new updates are made,
    eventually all accesses return the last updated value"): no finite history can
    violate it for good. What a test can observe is what Jepsen's final reads check:
    per key, take each process's *last* read that starts after every write to that
    key has returned (the store is quiescent); those reads must all return the same
    value, and every read must return a value some write wrote (or ``initial``).
    """
    ops = [op for op in as_ops(history_or_ops) if op.status != "fail"]
    for op in ops:
        if op.f not in ("read", "write"):
            raise ValueError(f"{op!r}: check_convergence knows read(key) and "
                             f"write((key, value)) only")
    written: dict[Any, set] = {}
    quiet_from: dict[Any, float] = {}
    for op in ops:
        if op.f == "write":
            key, value = op.input
            written.setdefault(key, set()).add(value)
            quiet_from[key] = max(quiet_from.get(key, -math.inf), op.ret)
    violations = []
    for op in ops:
        if op.f == "read" and op.known and op.output != initial \
                and op.output not in written.get(op.input, set()):
            violations.append(f"{op!r} returns a value nobody wrote")
    final: dict[Any, dict[str, Op]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        if op.f == "read" and op.known and op.call > quiet_from.get(op.input, -math.inf):
            final.setdefault(op.input, {})[op.process] = op
    finals = {k: sorted(v.values(), key=lambda o: o.process)
              for k, v in sorted(final.items(), key=lambda kv: repr(kv[0]))}
    for key, reads in finals.items():
        values = sorted({repr(r.output) for r in reads})
        if len(values) > 1:
            shown = ", ".join(f"{r.process} read {r.output!r}" for r in reads)
            violations.append(f"key {key!r}: the final reads disagree ({shown})")
    return ConvergenceResult(not violations, finals, violations)


# --- one verdict per model ---------------------------------------------------------------------------
#: The models judged in notebook 2.1's table, strongest first along the chain.
MODELS = ("linearizable", "sequential", "causal", "converged")
#: The chain linearizable ⊂ sequential ⊂ causal, for classification exercises.
STRENGTH = ("linearizable", "sequential", "causal", "none")


def judge(ops: Sequence[Op], *, initial: Any = 0) -> dict[str, bool]:
    """Judge memory ops (from :func:`history` or :func:`register_ops`) under each model.

    Program-order checkers see the ops through :func:`retire_after_unknown`.
    """
    ops = as_ops(list(ops))
    model = memory(initial)
    retired = retire_after_unknown(ops)
    return {
        "linearizable": check_linearizable(ops, model).linearizable,
        "sequential": check_sequential(retired, model).consistent,
        "causal": check_causal(retired, initial=initial).consistent,
        "converged": check_convergence(ops, initial=initial).consistent,
    }


def _strongest(verdicts: Mapping[str, bool]) -> str:
    return next((m for m in STRENGTH[:-1] if verdicts[m]), "none")


# --- a multi-key store for notebook 2.2 -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Get:
    """Client -> server: read ``key``."""

    req: int
    key: str


@dataclass(frozen=True, slots=True)
class Put:
    """Client -> server: set ``key`` to ``value``."""

    req: int
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Append:
    """Client -> server: append ``value`` to ``key``'s string."""

    req: int
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class KVReply:
    req: int
    value: str | None = None


class KVServer(Node):
    """One server applying get / put / append atomically, in arrival order: a
    linearizable multi-key store (Porcupine's kv model) whose histories are long and
    concurrent, for measuring the checker. Keys start as ``""``."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        # At-most-once (notebook 1.1): each client's last request number and reply, so
        # a duplicated Append is not applied twice.
        self._last: dict[str, tuple[int, KVReply]] = {}

    def on_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, (Get, Put, Append)):
            return
        last = self._last.get(src)
        if last is not None and msg.req <= last[0]:
            if msg.req == last[0]:
                self.send(src, last[1])  # a duplicate of the last request: same reply
            return
        if isinstance(msg, Get):
            reply = KVReply(msg.req, self.data.get(msg.key, ""))
        elif isinstance(msg, Put):
            self.data[msg.key] = msg.value
            reply = KVReply(msg.req)
        else:
            self.data[msg.key] = self.data.get(msg.key, "") + msg.value
            reply = KVReply(msg.req)
        self._last[src] = (msg.req, reply)
        self.send(src, reply)

    def state(self) -> dict[str, Any]:
        return {"keys": len(self.data)}


class KVClient(Node):
    """Issues ``ops`` random gets, puts and appends on ``keys``, one at a time."""

    def __init__(self, server: str, keys: Sequence[str], ops: int = 10, think: float = 3.0,
                 timeout: float = 80.0) -> None:
        self.server, self.keys, self.ops = server, tuple(keys), ops
        self.think, self.timeout = think, timeout
        self.done = 0
        self._req = 0
        self._open: tuple[int, str, Any] | None = None

    def on_start(self) -> None:
        if self.incarnation == 0:
            self.set_timer(self.rng.uniform(0, self.think), "next")

    def _issue(self) -> None:
        self._req += 1
        key = self.rng.choice(self.keys)
        f = self.rng.choice(("get", "get", "put", "append"))
        if f == "get":
            arg: Any = key
            msg: Any = Get(self._req, key)
        else:
            value = f"{self.id}.{self._req}"
            arg = (key, value)
            msg = (Put if f == "put" else Append)(self._req, key, value)
        self._open = (self._req, f, arg)
        self.record("invoke", f, arg)
        self.send(self.server, msg)
        self.set_timer(self.timeout, "timeout", self._req)

    def _complete(self) -> None:
        self._open = None
        self.done += 1
        if self.done < self.ops:
            self.set_timer(self.rng.uniform(0.5, 1.5) * self.think, "next")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._issue()
        elif name == "timeout" and self._open is not None and self._open[0] == payload:
            self.record("info", self._open[1], self._open[2])
            self._complete()

    def on_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, KVReply) or self._open is None or msg.req != self._open[0]:
            return
        _, f, _ = self._open
        self.record("ok", f, msg.value if f == "get" else None)
        self.cancel_timer("timeout")
        self._complete()


def kv_store(seed: int, *, clients: int = 4, keys: int = 2, ops: int = 10,
             think: float = 3.0, network: Network | None = None,
             plan: FaultPlan | None = None, until: float = 5000.0) -> Simulation:
    """Run ``clients`` clients of a :class:`KVServer` on ``keys`` keys (with the faults
    of ``plan`` until half-way); returns the finished simulation, whose ``history`` is
    what the kv model judges. Notebook 2.2."""
    for name, v in (("clients", clients), ("keys", keys), ("ops", ops)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    sim = Simulation(seed=seed, network=network)
    sim.add_node("server", KVServer)
    names = [f"k{i}" for i in range(keys)]
    for c in range(clients):
        sim.add_node(f"c{c + 1}", KVClient, server="server", keys=names, ops=ops, think=think)
    if plan is not None:
        sim.apply(plan, until=until / 2)
    sim.run(until=until)
    return sim


# --- Jepsen's etcd log format ------------------------------------------------------------------------
def _edn(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"the etcd log format holds integers and nil only, got {value!r}")
    return str(value)


def to_etcd_log(hist: History) -> str:
    """A register history (read / write) as a Jepsen etcd log, one event a line.

    Processes are numbered in order of first appearance. Porcupine's etcd test data
    and ``python -m distlab.consistency --format etcd`` read this format. An
    ``info`` completion is written ``:timed-out``, as Jepsen did.
    """
    if not isinstance(hist, History):
        raise TypeError(f"to_etcd_log needs a distlab.sim.History, got {type(hist).__name__}")
    number: dict[str, int] = {}
    lines = []
    for e in hist:
        if e.f not in ("read", "write"):
            raise ValueError(f"history event {e.index}: to_etcd_log knows read and write, "
                             f"not {e.f!r}")
        p = number.setdefault(e.process, len(number))
        if e.type == "info":
            shown = ":timed-out"
        elif e.f == "read" and e.type == "invoke":
            shown = "nil"
        else:
            shown = _edn(e.value)
        lines.append(f"INFO  jepsen.util - {p}\t:{e.type}\t:{e.f}\t{shown}")
    return "\n".join(lines) + "\n"


# --- partition schedules (notebook 2.2's widget) -------------------------------------------------------
#: Each schedule: a list of ``(start, end, groups)``; nodes in no group form one more
#: group. Clients sit next to a replica (``c3`` beside ``n3``, ...), so a client cut
#: off with its replica can reach only that one, as in Jepsen's etcd tests.
SCHEDULES: dict[str, list[tuple[float, float, tuple[tuple[str, ...], ...]]]] = {
    "no partition": [],
    "isolate a follower (n3, c3)": [(40.0, 160.0, (("n3", "c3"),))],
    "isolate the primary (n1, c1)": [(40.0, 160.0, (("n1", "c1"),))],
    "majority flips": [(30.0, 90.0, (("n3", "c3"),)), (110.0, 170.0, (("n2", "c2"),)),
                       (190.0, 250.0, (("n1", "c1"),))],
    "split in three": [(40.0, 160.0, (("n1", "c1"), ("n2", "c2")))],
}


def partition_schedule(sim: Simulation, schedule: str | Iterable) -> None:
    """Schedule the partitions of ``schedule`` (a name from :data:`SCHEDULES`, or a
    list of ``(start, end, groups)``) on ``sim``; each heals at its ``end``."""
    if isinstance(schedule, str):
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {schedule!r}")
        schedule = SCHEDULES[schedule]
    last_end = -math.inf
    for item in schedule:
        start, end, groups = item
        if not start < end or start < last_end:
            raise ValueError(f"schedule entry {item!r}: need start < end, after the "
                             f"previous entry's end")
        sim.partition(*[list(g) for g in groups], at=start)
        sim.heal(at=end)
        last_end = end


# ======================================================================================
# Checks for the exercises
# ======================================================================================

#: Notebook 2.1's classification exercise: histories to classify.
CLASSIFY: dict[str, tuple[str, ...]] = {
    "P": ("p1: w(x,1)@0-4",
          "p2: r(x)=1@1-2, r(x)=0@5-6"),
    "Q": ("p1: w(x,1)@0-1, r(x)=2@2-3",
          "p2: w(x,2)@0-1, r(x)=1@2-3"),
    "R": ("p1: w(x,1)@0-1",
          "p2: r(x)=1@2-3, w(y,2)@4-5",
          "p3: r(y)=2@6-7, r(x)=1@8-9"),
    "S": ("p1: w(x,1)@0-1",
          "p2: w(x,2)@0-1",
          "p3: r(x)=2@2-3",
          "p4: r(x)=1@4-5, r(x)=2@6-7"),
}


def check_classification(answers: Mapping[str, str]) -> None:
    """``answers[name]``: the strongest of ``STRENGTH`` that history ``name`` satisfies."""
    if not isinstance(answers, Mapping):
        fail("answers must be a dict from history name to model name", expected="a dict",
             got=type(answers).__name__, hint="e.g. {'P': 'causal', 'Q': ...}")
    missing = sorted(set(CLASSIFY) - set(answers))
    if missing:
        fail("some histories are not classified", expected=sorted(CLASSIFY),
             got=sorted(answers), hint=f"add an answer for {', '.join(missing)}")
    for name in sorted(CLASSIFY):
        given = answers[name]
        if given is NotImplemented or given is None:
            fail(f"history {name} has no answer yet", got=given,
                 hint=f"one of {', '.join(STRENGTH)}")
        if given not in STRENGTH:
            fail(f"history {name}: {given!r} is not one of the models", given=name,
                 expected=f"one of {STRENGTH}", got=given,
                 hint="write the strongest model the history satisfies, or 'none'")
        verdicts = judge(history(*CLASSIFY[name]))
        want = _strongest(verdicts)
        if given != want:
            weaker = STRENGTH.index(given) > STRENGTH.index(want)
            hint = (f"it satisfies a stronger model too: look for a legal order that "
                    f"{'respects real time' if want == 'linearizable' else 'keeps each process in order'}"
                    if weaker else
                    f"it does not satisfy {given}: "
                    + {"linearizable": "some read returns a value that real time rules out",
                       "sequential": "no single order of all operations keeps every "
                                     "process's reads legal",
                       "causal": "some process sees an effect before its cause"}[given])
            # The expected answer is not shown: the hint says which way to look.
            fail(f"history {name} is not {given!r}", given=" / ".join(CLASSIFY[name]),
                 got=given, hint=hint)
    passed("every history is classified as the checkers judge it: "
           + ", ".join(f"{k} = {answers[k]}" for k in sorted(CLASSIFY)))


def _session_cases() -> list[tuple[str, list[Op]]]:
    def wv(i, p, key, version, t):
        return Op(i, p, "write", (key, f"v{version}"), version, float(t), float(t + 1))

    def rv(i, p, key, version, t):
        return Op(i, p, "read", key, version, float(t), float(t + 1))

    return [
        ("one session reads newer and newer versions",
         [wv(0, "s1", "x", 1, 0), rv(1, "s2", "x", 1, 2), rv(2, "s2", "x", 1, 4),
          rv(3, "s2", "x", 2, 6)]),
        ("a session goes back in time",
         [rv(0, "s1", "x", 3, 0), rv(1, "s1", "x", 2, 2), rv(2, "s1", "x", 3, 4)]),
        ("the initial version (None) after a newer one",
         [rv(0, "s1", "x", 1, 0), rv(1, "s1", "x", None, 2)]),
        ("two keys are judged separately",
         [rv(0, "s1", "x", 5, 0), rv(1, "s1", "y", 1, 2), rv(2, "s1", "x", 4, 4)]),
        ("other sessions do not count",
         [rv(0, "s1", "x", 5, 0), rv(1, "s2", "x", 1, 2)]),
        ("two steps back: both against the newest seen",
         [rv(0, "s1", "x", 5, 0), rv(1, "s1", "x", 4, 2), rv(2, "s1", "x", 3, 4)]),
        ("reads interleaved with writes",
         [rv(0, "s1", "x", 2, 0), wv(1, "s1", "x", 3, 2), rv(2, "s1", "x", 1, 4),
          rv(3, "s2", "x", 3, 1), rv(4, "s2", "x", 3, 5)]),
    ]


def check_monotonic_reads(fn: Callable[[list[Op]], list[tuple[Op, Op]]]) -> None:
    """``fn(ops)`` returns the monotonic-reads violations as ``(earlier, later)`` reads,
    as ``check_sessions`` finds them (Terry et al. 1994)."""
    if not callable(fn):
        fail("monotonic_reads_violations must be a function", got=fn,
             hint="define it in the cell above and run that cell first")
    for story, ops in _session_cases():
        expected = [(a.id, b.id) for a, b in check_sessions(ops)["monotonic reads"]]
        try:
            got_pairs = fn(list(ops))
        except NotImplementedError:
            fail("monotonic_reads_violations is not written yet", got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with your code")
        except Exception as exc:  # the learner's bug, shown as a failed case
            fail(f"monotonic_reads_violations raised {type(exc).__name__}: {exc}",
                 given=story, got=type(exc).__name__,
                 hint="reads have input key and output version (None = initial)")
        try:
            got = [(a.id, b.id) for a, b in got_pairs]
        except (TypeError, AttributeError, ValueError):
            fail("return a list of (earlier, later) pairs of Op", given=story,
                 expected="[(Op, Op), ...]", got=got_pairs)
        shown = "; ".join(f"{o.process} read {o.input}→{o.output}" if o.f == "read" else
                          f"{o.process} wrote {o.input[0]} (version {o.output})" for o in ops)
        expect(sorted(got) == sorted(expected), f"wrong violations for: {story}",
               given=shown, expected=[f"op {a} then op {b}" for a, b in expected],
               got=[f"op {a} then op {b}" for a, b in got],
               hint="per session and per key, compare each read with the newest version "
                    "an earlier read of that session saw; None is older than any version")
    passed(f"monotonic_reads_violations agrees with check_sessions on "
           f"{len(_session_cases())} histories")


def _search_for(ops: list[Op]) -> Search:
    return Search(ops, models.register())


def _lift_cases() -> list[tuple[str, list[Op], list[int]]]:
    def op(i, f, arg, out, call, ret):
        return Op(i, f"p{i}", f, arg, out, float(call), float(ret))

    three = [op(0, "write", 1, None, 0, 4), op(1, "read", None, 1, 1, 5),
             op(2, "write", 2, None, 2, 3)]
    nested = [op(0, "write", 1, None, 0, 9), op(1, "read", None, 1, 1, 2),
              op(2, "read", None, 1, 3, 4), op(3, "write", 2, None, 5, 6)]
    return [("lift the first call", three, [0]),
            ("lift a call in the middle", three, [2]),
            ("lift two, the second after the first", three, [0, 2]),
            ("lift everything", three, [0, 1, 2]),
            ("a long op around short ones, outermost first", nested, [0, 3]),
            ("ops nested inside a long one", nested, [1, 3, 0, 2])]


def _entries(nxt: list[int]) -> list[int]:
    out, e = [], nxt[0]
    while e != -1:
        out.append(e)
        e = nxt[e]
    return out


def _backwards(nxt: list[int], prv: list[int]) -> list[int] | None:
    """The list read from its last entry back to the head, or None if it loops."""
    live = _entries(nxt)
    e, out = (live[-1] if live else 0), []
    while e != -1 and len(out) <= len(nxt):
        out.append(e)
        e = prv[e]
    return out


def _call_lifted(fn: Callable, name: str, story: str, *args: Any) -> None:
    try:
        fn(*args)
    except NotImplementedError:
        fail(f"{name} is not written yet", got="NotImplementedError",
             hint="replace `raise NotImplementedError()` with your code")
    except CheckFailed:
        raise
    except Exception as exc:  # the learner's bug
        fail(f"{name} raised {type(exc).__name__}: {exc}", given=story,
             got=type(exc).__name__,
             hint="the last entry has nxt == -1: there is no entry after it to update")


def check_lift_unlift(lift: Callable[[list, list, list, int], None],
                      unlift: Callable[[list, list, list, int], None]) -> None:
    """``lift(nxt, prv, match, e)`` removes call entry ``e`` and its return
    ``match[e]`` from the doubly linked list; ``unlift`` puts them back (Lowe 2017, §3).

    The lists are those of the library's ``Search`` for small register histories;
    the check lifts calls in several orders, compares the list (forwards and
    backwards) after each lift, then unlifts in reverse order and compares again.
    """
    for fn, name in ((lift, "lift"), (unlift, "unlift")):
        if not callable(fn):
            fail(f"{name} must be a function", got=fn, hint="define it above and run the cell")
    for story, ops, order in _lift_cases():
        search = _search_for(ops)
        nxt, prv, match = list(search.nxt), list(search.prv), list(search.match)
        calls = {search.code[e]: e for e in range(1, len(search.code)) if search.code[e] >= 0}
        start = (list(nxt), list(prv))
        snapshots = []
        gone: set[int] = set()
        for k, i in enumerate(order):
            e = calls[i]
            snapshots.append(_entries(nxt))
            _call_lifted(lift, "lift", story, nxt, prv, match, e)
            gone |= {e, match[e]}
            want = [x for x in _entries(search.nxt) if x not in gone]
            what = f"{story}: lifted the calls of ops {order[:k + 1]}"
            expect(_entries(nxt) == want, "after lift, the list (read through nxt) is wrong",
                   given=what, expected=want, got=_entries(nxt),
                   hint="link the call's neighbours to each other, then do the same for "
                        "its return, match[e]")
            back = _backwards(nxt, prv)
            expect(back == list(reversed(want)) + [0] if want else True,
                   "after lift, the list read backwards (through prv) is wrong",
                   given=what, expected=list(reversed(want)) + [0], got=back,
                   hint="update prv of the entry after each removed one, unless there is "
                        "none (nxt == -1): in Python prv[-1] is the last element!")
        for k in reversed(range(len(order))):
            e = calls[order[k]]
            _call_lifted(unlift, "unlift", story, nxt, prv, match, e)
            expect(_entries(nxt) == snapshots[k],
                   "after unlift, the list is not what it was before the lift",
                   given=f"{story}: unlifted op {order[k]} (in reverse order of lifting)",
                   expected=snapshots[k], got=_entries(nxt),
                   hint="put the return back first, then the call: make their old "
                        "neighbours point at them again")
            back = _backwards(nxt, prv)
            expect(back == list(reversed(snapshots[k])) + [0],
                   "after unlift, the list read backwards (through prv) is wrong",
                   given=f"{story}: unlifted op {order[k]}",
                   expected=list(reversed(snapshots[k])) + [0], got=back,
                   hint="also set prv of the entry after the return (if any) and of the "
                        "entry after the call back to them")
        expect((nxt, prv) == start, "unlifting everything did not restore the arrays",
               given=story, expected={"nxt": start[0], "prv": start[1]},
               got={"nxt": nxt, "prv": prv},
               hint="lift must leave the lifted entries' own nxt and prv alone: unlift "
                    "reads them to find where to reinsert")
    passed(f"lift and unlift agree with the library's search on {len(_lift_cases())} cases, "
           f"and unlifting in reverse order restores the list exactly")


# --- a stack, for the model exercise of notebook 2.2 ---------------------------------------------
def stack_model(step: Callable[[Any, tuple[str, Any], Any], tuple[bool, Any]]) -> Model:
    """Wrap a learner's stack ``step`` as a Model (state: a tuple, top last)."""
    return Model("stack", (), step, functions=("push", "pop"),
                 read_only=lambda inp, out: inp[0] == "pop" and out is None)


def _reference_stack_step(state: tuple, inp: tuple[str, Any], out: Any) -> tuple[bool, tuple]:
    f, arg = inp
    if f == "push":
        return True, state + (arg,)
    if f == "pop":
        if out is UNKNOWN:
            return True, state[:-1]
        if not state:
            return out is None, state
        return out == state[-1], state[:-1]
    raise ValueError(f"stack has no operation {f!r}")


def _stack_histories() -> list[tuple[str, list[Op]]]:
    def op(i, f, arg, out, call, ret, p=None):
        return Op(i, p or f"p{i}", f, arg, out, float(call), float(ret))

    inf = math.inf
    return [
        ("push 1, push 2, pop → 2", [op(0, "push", 1, None, 0, 1), op(1, "push", 2, None, 2, 3),
                                     op(2, "pop", None, 2, 4, 5)]),
        ("push 1, push 2, pop → 1 (FIFO, wrong for a stack)",
         [op(0, "push", 1, None, 0, 1), op(1, "push", 2, None, 2, 3),
          op(2, "pop", None, 1, 4, 5)]),
        ("concurrent pushes: either may be on top",
         [op(0, "push", 1, None, 0, 5), op(1, "push", 2, None, 1, 6),
          op(2, "pop", None, 1, 7, 8), op(3, "pop", None, 2, 9, 10)]),
        ("pop on an empty stack → None", [op(0, "pop", None, None, 0, 1),
                                          op(1, "push", 3, None, 2, 3)]),
        ("pop → None after a completed push",
         [op(0, "push", 3, None, 0, 1), op(1, "pop", None, None, 2, 3)]),
        ("a pop with unknown outcome may have taken the top",
         [op(0, "push", 1, None, 0, 1), op(1, "push", 2, None, 2, 3),
          op(2, "pop", None, UNKNOWN, 4, inf), op(3, "pop", None, 1, 5, 6)]),
        ("two pops cannot both take the same push",
         [op(0, "push", 1, None, 0, 1), op(1, "pop", None, 1, 2, 4),
          op(2, "pop", None, 1, 3, 5)]),
    ]


def check_stack_model(step: Callable[[Any, tuple[str, Any], Any], tuple[bool, Any]]) -> None:
    """``step(state, (f, arg), output) -> (legal, new_state)`` for a LIFO stack:
    ``push(x)``; ``pop() -> x`` (the top) or ``None`` when empty; the state is a tuple
    with the top last; an UNKNOWN output may be anything."""
    if not callable(step):
        fail("stack_step must be a function", got=step, hint="define it above and run the cell")
    cases = [((), ("push", 1), None), ((1,), ("push", 2), None), ((1, 2), ("pop", None), 2),
             ((1, 2), ("pop", None), 1), ((), ("pop", None), None), ((), ("pop", None), 4),
             ((3,), ("pop", None), None), ((1, 2), ("pop", None), UNKNOWN),
             ((), ("pop", None), UNKNOWN)]
    for state, inp, out in cases:
        want = _reference_stack_step(state, inp, out)
        shown = f"step({state!r}, {inp!r}, {out!r})"
        try:
            got = step(state, inp, out)
        except NotImplementedError:
            fail("stack_step is not written yet", got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with your code")
        except Exception as exc:
            fail(f"{shown} raised {type(exc).__name__}: {exc}", given=shown, expected=want,
                 got=type(exc).__name__,
                 hint="a pop on an empty stack is legal only if it returned None")
        try:
            legal, new = got
        except (TypeError, ValueError):
            fail(f"{shown} must return a pair (legal, new_state)", given=shown,
                 expected=want, got=got)
        if not legal and not want[0]:
            continue  # an illegal step: the new state does not matter
        if isinstance(new, list):
            hint = "states must be hashable: return tuples (state + (arg,)), not lists"
        elif out is UNKNOWN:
            hint = "an UNKNOWN output could be anything: the pop is legal, and removes the top"
        else:
            hint = "pop takes the *last* element (LIFO) and must have returned it"
        expect((bool(legal), new) == want, "stack_step gives a wrong answer", given=shown,
               expected=want, got=(legal, new), hint=hint)
    model, ref = stack_model(step), stack_model(_reference_stack_step)
    for story, ops in _stack_histories():
        want = check_linearizable(ops, ref).verdict
        got = check_linearizable(ops, model).verdict
        expect(got == want, "check_linearizable with your model gives the wrong verdict",
               given=story, expected=want, got=got,
               hint="the step cases passed, so look at states: return tuples (hashable), "
                    "never lists")
    passed(f"stack_step is right on {len(cases)} steps, and check_linearizable with it "
           f"agrees with the reference on {len(_stack_histories())} histories")
