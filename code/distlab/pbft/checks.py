"""Invariant checkers for PBFT runs, reading only the trace and the client history.

Safety, as Castro & Liskov state it (1999, §4.5.1; TOCS 2002, §2.2): the replicated
service behaves like a centralised one that executes operations atomically, one at a
time, provided at most ``f`` replicas are faulty. From the ``execute``/``install``
outputs of the *honest* replicas and the ``accept`` outputs of the clients:

- ``agreement``: honest replicas execute the same request at each sequence number,
  and reach the same state after it;
- ``order``: each honest replica executes sequence numbers 1, 2, 3, ... in order, with
  no gap and no repeat (a state transfer jumps to a stable checkpoint);
- ``exactly-once``: no honest replica executes a client's request twice;
- ``client results``: every result a client accepted was computed by an honest
  replica for that request;
- ``linearizability``: the clients' history, judged by ``distlab.consistency``.

Liveness (clients eventually get answers) needs a period of synchrony after the
global stabilisation time; ``completion`` measures it but is not a safety property.
Taught in notebook 2.5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..consistency import check_linearizable, models
from ..sim import History, Simulation, Trace
from .auth import NULL_DIGEST
from .client import Accepted

__all__ = ["Problem", "executions", "check_agreement", "check_order", "check_exactly_once",
           "check_client_results", "check_history", "check_run", "completion"]


def _req(d: str) -> str:
    return "the null request" if d == NULL_DIGEST else f"request {d[:8]}"


@dataclass(frozen=True, slots=True)
class Problem:
    """A safety property that does not hold, with a readable detail."""

    property: str
    detail: str

    def __str__(self) -> str:
        return f"{self.property}: {self.detail}"


def _trace(source: Any) -> Trace:
    if isinstance(source, Simulation):
        return source.trace
    if isinstance(source, Trace):
        return source
    raise TypeError(f"expected a Simulation or a Trace, got {type(source).__name__}")


def _honest(honest: Iterable[str]) -> set[str]:
    if isinstance(honest, str):
        raise TypeError("honest must be a collection of replica ids, not a string")
    return set(honest)


def executions(source: Any, honest: Iterable[str]) -> dict[str, list[tuple[str, Any]]]:
    """Per honest replica, its ``("execute", Execution)`` and ``("install", (seq,
    state))`` outputs in trace order."""
    keep = _honest(honest)
    out: dict[str, list[tuple[str, Any]]] = {n: [] for n in sorted(keep)}
    for e in _trace(source).of_kind("output"):
        if e.node in keep and e.info in ("execute", "install"):
            out[e.node].append((e.info, e.msg))
    return out


def check_agreement(source: Any, honest: Iterable[str]) -> list[Problem]:
    """Same request (digest) and same resulting state at each sequence number."""
    problems: list[Problem] = []
    request: dict[int, tuple[str, str]] = {}
    state: dict[int, tuple[str, str]] = {}
    for node, events in executions(source, honest).items():
        for kind, value in events:
            if kind == "execute":
                seq, d, st = value.seq, value.digest, value.state
                first = request.setdefault(seq, (node, d))
                if first[1] != d:
                    problems.append(Problem("agreement", f"at n={seq}, {first[0]} executed "
                                            f"{_req(first[1])} but {node} executed {_req(d)}"))
            else:
                seq, st = value
            first = state.setdefault(seq, (node, st))
            if first[1] != st:
                problems.append(Problem("agreement", f"after n={seq}, {first[0]} has state "
                                        f"{first[1][:8]} but {node} has {st[:8]}"))
    return problems


def check_order(source: Any, honest: Iterable[str]) -> list[Problem]:
    """Sequence numbers 1, 2, 3, ... at each honest replica (installs jump ahead)."""
    problems: list[Problem] = []
    for node, events in executions(source, honest).items():
        last = 0
        for kind, value in events:
            seq = value.seq if kind == "execute" else value[0]
            if kind == "execute" and seq != last + 1:
                problems.append(Problem("order", f"{node} executed n={seq} after n={last}"))
            if kind == "install" and seq <= last:
                problems.append(Problem("order", f"{node} installed the state at n={seq} "
                                        f"after executing n={last}"))
            last = seq
    return problems


def check_exactly_once(source: Any, honest: Iterable[str]) -> list[Problem]:
    """No honest replica executes (as new) a client's request twice."""
    problems: list[Problem] = []
    for node, events in executions(source, honest).items():
        done: dict[tuple[str, int], int] = {}
        for kind, value in events:
            if kind == "execute" and value.fresh:
                key = (value.client, value.timestamp)
                if key in done:
                    problems.append(Problem("exactly-once", f"{node} executed {value.client}'s "
                                            f"request t={value.timestamp} at n={done[key]} "
                                            f"and again at n={value.seq}"))
                done[key] = value.seq
    return problems


def check_client_results(source: Any, honest: Iterable[str]) -> list[Problem]:
    """Each result a client accepted is one an honest replica computed for it."""
    trace = _trace(source)
    computed: dict[tuple[str, int], set] = {}
    for events in executions(trace, honest).values():
        for kind, value in events:
            if kind == "execute" and value.client is not None and value.fresh:
                computed.setdefault((value.client, value.timestamp), set()).add(
                    repr(value.result))
    problems: list[Problem] = []
    for e in trace.outputs("accept"):
        acc: Accepted = e.msg
        got = computed.get((e.node, acc.timestamp))
        if got is None or repr(acc.result) not in got:
            problems.append(Problem("client results", f"{e.node} accepted {acc.result!r} for "
                                    f"t={acc.timestamp} but honest replicas computed "
                                    f"{sorted(got) if got else 'nothing'}"))
    return problems


def check_history(history: History, *, max_steps: int = 500_000) -> list[Problem]:
    """The clients' history of register operations must be linearizable."""
    result = check_linearizable(history, models.register(), max_steps=max_steps)
    if result.verdict == "linearizable":
        return []
    if result.verdict == "unknown":
        return [Problem("linearizability", "unknown: the search budget ran out")]
    bad = ", ".join(repr(op) for op in result.unplaceable[:3])
    return [Problem("linearizability", f"{len(result.longest_partial)} operations "
                    f"linearized, then none of: {bad}")]


def check_run(sim: Simulation, honest: Iterable[str]) -> list[Problem]:
    """Every safety check above, on one finished run."""
    honest = sorted(_honest(honest))
    return (check_agreement(sim, honest) + check_order(sim, honest)
            + check_exactly_once(sim, honest) + check_client_results(sim, honest)
            + check_history(sim.history))


def completion(sim: Simulation) -> float:
    """The fraction of invoked client operations that completed (a liveness measure)."""
    ops = sim.history.operations()
    return sum(op.status == "ok" or op.status == "fail" for op in ops) / len(ops) if ops else 1.0
