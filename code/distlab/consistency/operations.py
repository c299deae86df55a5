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

__all__ = ["Op", "UNKNOWN", "from_history", "as_ops"]


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
    if o.status in ("info", "pending"):
        return Op(next_id, o.process, o.f, o.input, UNKNOWN, call, math.inf, o.status)
    ret = float(o.ret_index) if by == "index" else float(o.ret)
    if o.status == "fail":
        if o.f not in observed:
            return None
        return Op(next_id, o.process, o.f, o.input, False, call, ret, "fail")
    output = True if o.f in observed else o.output
    return Op(next_id, o.process, o.f, o.input, output, call, ret, "ok")


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
        return ops
    raise TypeError(f"expected a distlab.sim.History or a list of Op, got {type(history).__name__}")
