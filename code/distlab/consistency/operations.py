"""Operations as consistency checkers see them: an input, an output, a call and a return.

``Op`` is the checker's view of one client operation. Calls and returns are positions
in the history's real-time order (event indices, or times), not necessarily seconds.
An operation whose outcome is unknown (the client timed out: ``info``, or never heard
back: ``pending``) has ``ret = inf`` and ``output = UNKNOWN``: it may take effect at
any point after its call, or never (Herlihy & Wing 1990, and Jepsen's convention).

``from_history`` turns a ``distlab.sim.History`` into ops; the parsers in
``distlab.consistency.parsers`` turn Jepsen/Porcupine logs into the same thing.
Taught in notebook 2.1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..sim.history import History, Operation

__all__ = ["Op", "UNKNOWN", "from_history", "as_ops", "retire_after_unknown"]


class _Unknown:
    """The output of an operation whose outcome the client never learned."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: ``f(input) -> output`` by ``process`` between ``call`` and ``ret``."""

    id: int
    process: str
    f: str
    input: Any
    output: Any
    call: float
    ret: float
    status: str = "ok"

    @property
    def known(self) -> bool:
        """Did the client learn the outcome?"""
        return self.output is not UNKNOWN

    def __repr__(self) -> str:
        ret = "∞" if math.isinf(self.ret) else f"{self.ret:g}"
        out = "?" if self.output is UNKNOWN else repr(self.output)
        arg = "" if self.input is None else repr(self.input)
        return f"Op({self.id}: {self.process} {self.f}({arg}) -> {out} [{self.call:g}, {ret}])"


def from_history(history: History, *, observed_failures: Iterable[str] = ("cas",),
                 by: str = "index") -> list[Op]:
    """The operations of a simulation ``History``, ready for a checker.

    ``ok`` operations keep their result. A ``fail`` means the operation certainly did
    not take effect, so it is left out, except for the functions in
    ``observed_failures`` (a failed compare-and-set *observed* that the value did not
    match: it stays, with output ``False``; a successful one gets ``True``).
    ``info`` and ``pending`` operations get ``output=UNKNOWN`` and ``ret=inf``.
    ``by="index"`` orders calls and returns by their position in the history (exact);
    ``by="time"`` by their virtual times.
    """
    if not isinstance(history, History):
        raise TypeError(f"from_history needs a distlab.sim.History, got {type(history).__name__}")
    if by not in ("index", "time"):
        raise ValueError(f"by must be 'index' or 'time', got {by!r}")
    observed = set(observed_failures)
    ops: list[Op] = []
    for o in history.operations():
        ops_entry = _convert(o, observed, by, len(ops))
        if ops_entry is not None:
            ops.append(ops_entry)
    return ops


def _convert(o: Operation, observed: set[str], by: str, next_id: int) -> Op | None:
    call = float(o.call_index) if by == "index" else o.call
    if by == "time" and o.call_index > 0:
        # A client's next call may come at the very instant its previous call
        # returned; nudge it just after, so program order survives the equal times.
        call = math.nextafter(call, math.inf)
    if o.status in ("info", "pending"):
        return Op(next_id, o.process, o.f, o.input, UNKNOWN, call, math.inf, o.status)
    ret = float(o.ret_index) if by == "index" else float(o.ret)
    if o.status == "fail":
        if o.f not in observed:
            return None
        return Op(next_id, o.process, o.f, o.input, False, call, ret, "fail")
    output = True if o.f in observed else o.output
    return Op(next_id, o.process, o.f, o.input, output, call, ret, "ok")


def _check_program_order(ops: list[Op]) -> None:
    """One process runs one operation at a time: its known operations must not overlap
    (an unknown one may: the process went on as a new one, Jepsen's rule)."""
    last: dict[str, Op] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        prev = last.get(op.process)
        if prev is not None and prev.known and op.call <= prev.ret:
            raise ValueError(f"process {op.process!r} calls {op!r} before its previous "
                             f"operation {prev!r} returned: a process runs one operation "
                             f"at a time (give a strictly later call time)")
        last[op.process] = op


def retire_after_unknown(ops: list[Op]) -> list[Op]:
    """Jepsen's rule: after an operation with an unknown outcome, its client carries on
    as a *new* process (``c1``, then ``c1'``, ``c1''``, ...).

    The timed-out operation may take effect at any later moment, so nothing the same
    client does afterwards is ordered after it. The checkers that use program order
    (sequential, causal, sessions) apply this; linearizability needs no such thing
    (an unknown operation returns at infinity, concurrent with all that follows).
    """
    renamed: dict[str, str] = {}
    out = []
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        name = renamed.get(op.process, op.process)
        out.append(Op(op.id, name, op.f, op.input, op.output, op.call, op.ret, op.status))
        if not op.known:
            renamed[op.process] = name + "'"
    return sorted(out, key=lambda o: o.id)


def as_ops(history: Any) -> list[Op]:
    """Accept a ``History`` or a list of ``Op`` (checked), and return the ops."""
    if isinstance(history, History):
        return from_history(history)
    if isinstance(history, (list, tuple)):
        ops = list(history)
        for i, op in enumerate(ops):
            if not isinstance(op, Op):
                raise TypeError(f"history[{i}] is {type(op).__name__}, not an Op; pass a "
                                f"distlab.sim.History or a list of distlab.consistency.Op")
            if not op.call <= op.ret:
                raise ValueError(f"{op!r} returns before it is called")
        ids = [op.id for op in ops]
        if len(set(ids)) != len(ids):
            raise ValueError("operation ids must be unique")
        _check_program_order(ops)
        return ops
    raise TypeError(f"expected a distlab.sim.History or a list of Op, got {type(history).__name__}")
