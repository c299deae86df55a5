"""Last-writer-wins on the counter's value: it converges, to the wrong number.

Each replica holds the counter as a value stamped with a Lamport timestamp
(Lamport 1978; ties broken by replica id). A local increment reads the value, adds one
and stamps the result with a new timestamp; replicas gossip their ``(value, stamp)``
and keep the one with the greater stamp. That rule is a perfectly good state-based CRDT
(Shapiro et al. 2011b, §3.2.1, the LWW-Register): replicas converge. But it converges
to *one replica's* value: when two replicas increment concurrently, both write
``v + 1``, one stamp wins, and the other increment vanishes. An increment is a
read-modify-write, and LWW keeps the last write, not the sum of the modifications
(Kleppmann 2017, ch. 5, "Last write wins").

``LWWValue`` is the register specialised to this counter (the general LWW-Register
joins ``distlab.crdt`` in Part 2). Taught in notebook 1.5.
"""

from __future__ import annotations

from typing import Any

from ..clocks import LamportClock, LamportTimestamp
from ..crdt import StateCRDT
from .gossip import GossipReplica

__all__ = ["LWWValue", "LWWCounterReplica"]

_ZERO = LamportTimestamp(0, "")


class LWWValue(StateCRDT):
    """An integer stamped with a Lamport timestamp; merge keeps the later stamp.

    Ties (equal stamps, which unique timestamps never produce) go to the larger value,
    so the merge stays commutative even then.
    """

    __slots__ = ("_value", "_ts")

    def __init__(self, value: int = 0, ts: LamportTimestamp = _ZERO) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"value must be an int, got {type(value).__name__} {value!r}")
        if not isinstance(ts, LamportTimestamp):
            raise TypeError(f"ts must be a LamportTimestamp, got {type(ts).__name__} {ts!r}")
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_ts", ts)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("an LWWValue is immutable: write() and merge() return new ones")

    def __reduce__(self) -> tuple:
        return (LWWValue, (self._value, self._ts))

    @property
    def ts(self) -> LamportTimestamp:
        """The stamp of the write that produced this value."""
        return self._ts

    def write(self, value: int, ts: LamportTimestamp) -> "LWWValue":
        """A new value with a new stamp (which must be later than the current one)."""
        if not isinstance(ts, LamportTimestamp) or not ts > self._ts:
            raise ValueError(f"ts must be a LamportTimestamp later than {self._ts}, got {ts!r}")
        return LWWValue(value, ts)

    def value(self) -> int:
        return self._value

    def merge(self, other: "LWWValue") -> "LWWValue":
        """Keep the value with the greater ``(ts, value)``: the last writer wins."""
        self._same_type(other, "merge")
        return self if (self._ts, self._value) >= (other._ts, other._value) else other

    def leq(self, other: "LWWValue") -> bool:
        self._same_type(other, "leq")
        return (self._ts, self._value) <= (other._ts, other._value)

    def size(self) -> int:
        """How many integers the payload holds: the value and its stamp's counter."""
        return 2

    def __eq__(self, other: object) -> bool:
        if type(other) is not LWWValue:
            return NotImplemented
        return self._value == other._value and self._ts == other._ts

    def __hash__(self) -> int:
        return hash(("LWWValue", self._value, self._ts))

    def __repr__(self) -> str:
        return f"LWWValue({self._value}, {self._ts!r})"

    def __str__(self) -> str:
        return f"{self._value}@{self._ts}"


class LWWCounterReplica(GossipReplica):
    """A replica whose counter is a last-writer-wins value, gossiped like a CRDT.

    Its Lamport clock ticks on each write and advances past every stamp it receives;
    after a restart it resumes from the stamp of its durable value.
    """

    def on_start(self) -> None:
        super().on_start()
        self.lamport = LamportClock(self.crdt.ts.time)  # type: ignore[union-attr]

    def initial_state(self) -> StateCRDT:
        return LWWValue()

    def updated(self, state: StateCRDT, delta: int) -> StateCRDT:
        # read, modify, write: the new value is stamped as a new write
        return state.write(state.value() + delta,  # type: ignore[attr-defined]
                           LamportTimestamp(self.lamport.tick(), self.id))

    def receive_state(self, state: StateCRDT) -> None:
        self.lamport.receive(state.ts.time)  # type: ignore[attr-defined]
        super().receive_state(state)
