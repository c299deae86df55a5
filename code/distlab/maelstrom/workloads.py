"""Maelstrom's workloads inside the simulator: clients, runs, checkers, seed checks.

Because the nodes of ``distlab.maelstrom.nodes`` are ordinary ``distlab`` nodes, the
simulator can do what Maelstrom does, deterministically and under the book's fault
plans: ``WorkloadClient`` plays one of Maelstrom's clients (one request at a time,
Jepsen's rule; ``invoke`` then ``ok`` / ``fail`` for a definite error / ``info`` for an
indefinite one or a timeout), ``simulate`` builds and runs a workload with random
faults and then, once the faults are over, a final read on every server (as
Maelstrom's final generator does), and the checkers judge the history:

- *broadcast*: every acknowledged message is in every final read (nothing lost), and
  nothing that was never broadcast is (nothing invented);
- *g-counter* / *pn-counter*: every final read is the same number, between the sum
  of the acknowledged deltas and the sum of all the deltas attempted;
- *lin-kv*: the history is linearizable, key by key (``distlab.consistency``).

``check_broadcast``, ``check_g_counter`` and ``check_lin_kv`` are the seed checks for
``distlab.chaos`` sweeps (``check(seed) -> [Violation]``). Taught in notebook 2.14.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..chaos import Violation
from ..consistency import check_linearizable, models
from ..consistency.models import Model
from ..consistency.operations import Op
from ..sim import FaultPlan, Network, Node, Simulation, _check
from ..sim.randomness import child_stream
from .messages import (Add, Broadcast, Cas, CounterRead, CounterReadOk, KVRead, KVReadOk,
                       Read, ReadOk, Write)
from .nodes import BroadcastNode, GCounterNode, LinKVNode, PNCounterNode
from .protocol import Error, ErrorCode

__all__ = ["WorkloadClient", "PLAN", "simulate", "broadcast_problems", "counter_problems",
           "lin_kv_model", "lin_kv_result", "check_broadcast", "check_g_counter",
           "check_pn_counter", "check_lin_kv", "NODES"]

#: Workload -> server class.
NODES: dict[str, type[Node]] = {"broadcast": BroadcastNode, "g-counter": GCounterNode,
                                 "pn-counter": PNCounterNode, "lin-kv": LinKVNode}

#: The faults of the seed checks: Maelstrom's partitions, and worse (loss, duplicates,
#: reordering, a server crashing and restarting).
PLAN = FaultPlan(loss=0.1, duplicate=0.05, reorder=0.1, partition_every=250,
                 partition_duration=(50, 200), crash_every=300, restart_after=(30, 120),
                 max_crashed=1)


class WorkloadClient(Node):
    """One of Maelstrom's clients, in the simulator.

    ``script`` is a list of ``(time, target, request, f, value)``: at ``time`` (or when
    the previous request completes, if later) send ``request`` to ``target`` and record
    ``invoke f value``. The reply is recorded as ``ok`` (with what it returned), an
    error as ``fail`` if definite and ``info`` if not, and silence for ``timeout`` as
    ``info``. A lin-kv read of a missing key is ``ok`` with ``None`` (it observed the
    absence). After ``stop_at`` only the final reads (``f = "final-read"``) are still
    issued, as Jepsen's generators stop at the time limit.
    """

    def __init__(self, script: Sequence[tuple[float, str, Any, str, Any]],
                 timeout: float = 300.0, stop_at: float = float("inf")) -> None:
        self.script = list(script)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        self.stop_at = _check.number("stop_at", stop_at, allow_inf=True)
        self.i = 0
        self.msg_id = 0
        self._open: tuple[int, str, Any] | None = None

    def on_start(self) -> None:
        if self.incarnation == 0 and self.script:
            self.set_timer(max(0.0, self.script[0][0] - self.now), "next")

    def _issue(self) -> None:
        while self.i < len(self.script) and self.now >= self.stop_at \
                and self.script[self.i][3] != "final-read":
            self.i += 1                                   # past the time limit: skip
        if self.i == len(self.script):
            return
        if self.script[self.i][0] > self.now:
            self.set_timer(self.script[self.i][0] - self.now, "next")
            return
        _, target, request, f, value = self.script[self.i]
        self.msg_id += 1
        self._open = (self.msg_id, f, value)
        self.record("invoke", f, value)
        self.send(target, replace(request, msg_id=self.msg_id))
        self.set_timer(self.timeout, "timeout", self.msg_id)

    def _complete(self, kind: str, value: Any) -> None:
        _, f, _ = self._open  # type: ignore[misc]
        self.record(kind, f, value)
        self._open = None
        self.cancel_timer("timeout")
        self.i += 1
        if self.i < len(self.script):
            self.set_timer(max(0.0, self.script[self.i][0] - self.now), "next")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._issue()
        elif name == "timeout" and self._open is not None and self._open[0] == payload:
            self._complete("info", self._open[2])

    def on_message(self, src: str, msg: Any) -> None:
        if self._open is None or getattr(msg, "in_reply_to", None) != self._open[0]:
            return  # late or duplicate
        _, f, value = self._open
        if isinstance(msg, Error):
            if f == "read" and msg.code == ErrorCode.KEY_DOES_NOT_EXIST:
                self._complete("ok", None)
            else:
                self._complete("fail" if msg.definite else "info", value)
        elif isinstance(msg, ReadOk):
            self._complete("ok", tuple(msg.messages))
        elif isinstance(msg, (CounterReadOk, KVReadOk)):
            self._complete("ok", msg.value)
        else:
            self._complete("ok", value)


# --- building runs ----------------------------------------------------------------------------------
def _script(workload: str, rng: Any, servers: Sequence[str], client: int, ops: int,
            think: float, keys: int) -> list[tuple[float, str, Any, str, Any]]:
    out = []
    t = 0.0
    for j in range(ops):
        t += rng.uniform(0.5, 1.5) * think
        target = rng.choice(servers)
        r = rng.random()
        if workload == "broadcast":
            if r < 0.7:
                value = 1000 * client + j
                out.append((t, target, Broadcast(value), "broadcast", value))
            else:
                out.append((t, target, Read(), "read", None))
        elif workload in ("g-counter", "pn-counter"):
            if r < 0.7:
                low = -3 if workload == "pn-counter" else 0
                delta = rng.randint(low, 5)
                out.append((t, target, Add(delta), "add", delta))
            else:
                out.append((t, target, CounterRead(), "read", None))
        else:
            key = rng.randrange(keys)
            if r < 0.4:
                out.append((t, target, KVRead(key), "read", key))
            elif r < 0.7:
                value = rng.randrange(5)
                out.append((t, target, Write(key, value), "write", (key, value)))
            else:
                a, b = rng.randrange(5), rng.randrange(5)
                out.append((t, target, Cas(key, a, b), "cas", (key, (a, b))))
    return out


def simulate(workload: str, seed: int, *, servers: int = 3, clients: int = 3, ops: int = 10,
             think: float = 60.0, keys: int = 2, plan: FaultPlan | None = PLAN,
             faults_until: float = 1000.0, settle: float = 600.0,
             network: Network | None = None, node_kwargs: dict | None = None,
             node_class: type[Node] | None = None) -> Simulation:
    """Run ``workload`` on ``servers`` servers with ``clients`` clients, ``ops`` requests
    each (about ``think`` apart), under ``plan`` until ``faults_until``, when the clients
    stop; then heal, restart, wait ``settle`` and read every server once
    (``f = "final-read"``; a client gives up on a request after ``settle / 2``).
    ``node_class`` replaces the workload's server class (a variant to compare).
    Returns the simulation after its run (history in ``sim.history``)."""
    if workload not in NODES:
        raise ValueError(f"workload must be one of {sorted(NODES)}, got {workload!r}")
    for name, v in (("servers", servers), ("clients", clients), ("ops", ops)):
        _check.integer(name, v, minimum=1)
    sim = Simulation(seed=seed, network=network)
    ids = [f"n{i + 1}" for i in range(servers)]
    for n in ids:
        sim.add_node(n, node_class or NODES[workload], **(node_kwargs or {}))
    rng = child_stream(sim.seed, "maelstrom", workload, "script")
    final_at = faults_until + settle
    final: dict[int, list] = {c: [] for c in range(clients)}
    final_request = Read() if workload == "broadcast" else CounterRead()
    if workload != "lin-kv":
        for i, n in enumerate(ids):
            final[i % clients].append((final_at + i, n, final_request, "final-read", n))
    for c in range(clients):
        script = _script(workload, rng, ids, c + 1, ops, think, keys) + final[c]
        sim.add_node(f"c{c + 1}", WorkloadClient, script=script, timeout=settle / 2,
                     stop_at=faults_until)
    if plan is not None:
        sim.apply(plan, until=faults_until, nodes=ids)
    sim.run(until=final_at + settle)
    return sim


# --- checkers -----------------------------------------------------------------------------------------
def _final_reads(sim: Simulation) -> tuple[dict[str, Any], list[str]]:
    reads: dict[str, Any] = {}
    problems = []
    for op in sim.history.operations():
        if op.f != "final-read":
            continue
        if op.status == "ok":
            reads[op.input] = op.output
        else:
            problems.append(f"the final read at {op.input} did not complete ({op.status})")
    return reads, problems


def broadcast_problems(sim: Simulation) -> list[str]:
    """What went wrong in a broadcast run: lost or invented messages (empty: nothing)."""
    acked, attempted = set(), set()
    for op in sim.history.operations():
        if op.f == "broadcast":
            attempted.add(op.input)
            if op.status == "ok":
                acked.add(op.input)
    reads, problems = _final_reads(sim)
    for node, seen in sorted(reads.items()):
        lost = sorted(acked - set(seen))
        invented = sorted(set(seen) - attempted)
        if lost:
            problems.append(f"{node} lacks acknowledged messages {lost[:5]}"
                            + (f" and {len(lost) - 5} more" if len(lost) > 5 else ""))
        if invented:
            problems.append(f"{node} holds messages nobody broadcast: {invented[:5]}")
    return problems


def counter_problems(sim: Simulation) -> list[str]:
    """What went wrong in a counter run: final reads that differ or are out of bounds."""
    known = low = high = 0
    for op in sim.history.operations():
        if op.f != "add" or op.status == "fail":
            continue                         # a definite error: it did not happen
        if op.status == "ok":
            known += op.input
        else:                                # info or pending: it may have happened
            low += min(0, op.input)
            high += max(0, op.input)
    low, high = known + low, known + high
    reads, problems = _final_reads(sim)
    values = sorted(set(reads.values()))
    if len(values) > 1:
        problems.append(f"the final reads differ: {dict(sorted(reads.items()))}")
    for node, v in sorted(reads.items()):
        if not low <= v <= high:
            problems.append(f"{node} read {v}, outside [{low}, {high}] (acknowledged .. "
                            f"attempted)")
    return problems


def lin_kv_model() -> Model:
    """Linearizable registers, one per key: read(key) / write((key, v)) / cas((key, (a, b)))."""
    register = models.register()

    def key_of(op: Op) -> Any:
        return op.input if op.f == "read" else op.input[0]

    def step(state: Any, inp: tuple[str, Any], out: Any) -> tuple[bool, Any]:
        f, arg = inp
        return register.step(state, (f, None if f == "read" else arg[1]), out)

    def partition(ops: list[Op]) -> list[list[Op]]:
        groups: dict[Any, list[Op]] = {}
        for op in ops:
            groups.setdefault(key_of(op), []).append(op)
        return [groups[k] for k in sorted(groups, key=repr)]

    return Model("lin-kv", None, step, partition=partition, functions=("read", "write", "cas"),
                 read_only=lambda inp, out: inp[0] == "read" or (inp[0] == "cas" and out is False))


def lin_kv_result(sim: Simulation):
    """The linearizability verdict on a lin-kv run's history."""
    return check_linearizable(sim.history, lin_kv_model(), max_steps=2_000_000)


# --- seed checks (distlab.chaos) ------------------------------------------------------------------
def check_broadcast(seed: int, mode: str | None = None) -> list[Violation]:
    """Broadcast under ``PLAN``: nothing acknowledged lost, nothing invented."""
    sim = simulate("broadcast", seed)
    return [Violation(seed, "maelstrom-broadcast", "delivery", p) for p in broadcast_problems(sim)]


def check_g_counter(seed: int, mode: str | None = None) -> list[Violation]:
    """G-counter under ``PLAN``: final reads agree, within [acknowledged, attempted]."""
    sim = simulate("g-counter", seed)
    return [Violation(seed, "maelstrom-g-counter", "convergence", p)
            for p in counter_problems(sim)]


def check_pn_counter(seed: int, mode: str | None = None) -> list[Violation]:
    """PN-counter under ``PLAN``: as the g-counter, with negative deltas."""
    sim = simulate("pn-counter", seed)
    return [Violation(seed, "maelstrom-pn-counter", "convergence", p)
            for p in counter_problems(sim)]


def check_lin_kv(seed: int, mode: str | None = None) -> list[Violation]:
    """Lin-kv (single leader) under ``PLAN``: the history is linearizable."""
    sim = simulate("lin-kv", seed)
    result = lin_kv_result(sim)
    if result.verdict == "linearizable":
        return []
    if result.verdict == "unknown":
        return [Violation(seed, "maelstrom-lin-kv", "linearizability",
                          "unknown: search budget exhausted")]
    bad = ", ".join(repr(op) for op in result.unplaceable[:3])
    return [Violation(seed, "maelstrom-lin-kv", "linearizability",
                      f"{len(result.longest_partial)} ops linearized, then none of: {bad}")]
