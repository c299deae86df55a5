"""Client histories in Jepsen's vocabulary, for consistency checkers.

A client records ``invoke`` when it issues an operation and one completion when it
learns the outcome: ``ok`` (it took effect, with this result), ``fail`` (it certainly did
not take effect) or ``info`` (unknown: it may or may not have taken effect, e.g. a
timeout). ``History.operations()`` pairs each invocation with its completion; an
operation never completed is *pending* and, like ``info``, may take effect at any point
after its call, or never (Herlihy & Wing 1990; Kingsbury's Knossos and Porcupine).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from . import _check

__all__ = ["HistoryEvent", "Operation", "History"]

EventType = Literal["invoke", "ok", "fail", "info"]
_TYPES = ("invoke", "ok", "fail", "info")


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One line of a history: ``process`` did ``type`` of operation ``f`` at ``time``."""

    index: int
    time: float
    process: str
    type: EventType
    f: str
    value: Any


@dataclass(frozen=True, slots=True)
class Operation:
    """An invocation paired with its completion.

    ``status`` is ``"ok"``, ``"fail"``, ``"info"`` or ``"pending"``; ``ret`` is ``None``
    (infinitely late) unless the status is ``ok`` or ``fail``.
    """

    process: str
    f: str
    input: Any
    output: Any
    call: float
    ret: float | None
    status: str
    call_index: int
    ret_index: int | None

    @property
    def completed(self) -> bool:
        """Did the client learn a definite outcome (ok or fail)?"""
        return self.status in ("ok", "fail")


@dataclass
class History:
    """An append-only list of ``HistoryEvent``."""

    events: list[HistoryEvent] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[HistoryEvent]:
        return iter(self.events)

    def record(self, type: EventType, process: str, f: str, value: Any, time: float) -> HistoryEvent:
        """Append one event; returns it."""
        _check.one_of("type", type, _TYPES)
        if not isinstance(process, str):
            raise TypeError(f"process must be a str (the client's id), got {process!r}")
        if not isinstance(f, str):
            raise TypeError(f"f must be the operation's name as a str, got {f!r}")
        _check.number("time", time, minimum=0.0)
        if self.events and time < self.events[-1].time:
            raise ValueError(f"history events must be recorded in time order: time={time} "
                             f"is before the last event's time {self.events[-1].time}")
        event = HistoryEvent(len(self.events), float(time), process, type, f, value)
        self.events.append(event)
        return event

    def invoke(self, process: str, f: str, value: Any, time: float) -> HistoryEvent:
        return self.record("invoke", process, f, value, time)

    def ok(self, process: str, f: str, value: Any, time: float) -> HistoryEvent:
        return self.record("ok", process, f, value, time)

    def fail(self, process: str, f: str, value: Any, time: float) -> HistoryEvent:
        return self.record("fail", process, f, value, time)

    def info(self, process: str, f: str, value: Any, time: float) -> HistoryEvent:
        return self.record("info", process, f, value, time)

    def operations(self) -> list[Operation]:
        """Pair invocations with completions, per process, in call order.

        A process has at most one operation outstanding (Jepsen's rule); a second
        ``invoke`` before the first completes is an error in the history.
        """
        open_: dict[str, HistoryEvent] = {}
        ops: list[Operation] = []
        for e in self.events:
            if e.type == "invoke":
                if e.process in open_:
                    raise ValueError(f"process {e.process!r} invoked {e.f!r} at index {e.index} "
                                     f"while its operation at index {open_[e.process].index} "
                                     f"was still open")
                open_[e.process] = e
                continue
            inv = open_.pop(e.process, None)
            if inv is None:
                raise ValueError(f"history event {e.index} completes an operation of "
                                 f"process {e.process!r} that was never invoked")
            if e.type == "info":
                ops.append(Operation(e.process, inv.f, inv.value, e.value, inv.time, None,
                                     "info", inv.index, e.index))
            else:
                ops.append(Operation(e.process, inv.f, inv.value, e.value, inv.time, e.time,
                                     e.type, inv.index, e.index))
        for inv in open_.values():
            ops.append(Operation(inv.process, inv.f, inv.value, None, inv.time, None,
                                 "pending", inv.index, None))
        ops.sort(key=lambda op: op.call_index)
        return ops

    def to_dataframe(self):
        """The history as a pandas DataFrame (one row per event)."""
        import pandas as pd

        df = pd.DataFrame({"index": [e.index for e in self.events],
                           "time": [e.time for e in self.events],
                           "process": [e.process for e in self.events],
                           "type": [e.type for e in self.events],
                           "f": [e.f for e in self.events],
                           # object dtype: None stays None, ints stay ints
                           "value": pd.Series([e.value for e in self.events], dtype=object)})
        return df
