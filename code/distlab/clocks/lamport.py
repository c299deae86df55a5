"""Lamport's logical clock (Lamport 1978, "Time, Clocks, and the Ordering of Events").

Rules (IR1, IR2 in the paper): before each event a process increments its counter;
a message carries the sender's counter; a receiver first sets its counter to the
maximum of its own and the message's, then increments. Then a -> b implies
C(a) < C(b) (the clock condition), and (C, process id) orders all events totally.

Taught in notebook 1.2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LamportClock", "LamportTimestamp"]


@dataclass(frozen=True, slots=True, order=True)
class LamportTimestamp:
    """``(time, node)``: compared by time, ties broken by node id (a total order)."""

    time: int
    node: str

    def __str__(self) -> str:
        return f"{self.time}.{self.node}"


class LamportClock:
    """One process's Lamport counter."""

    __slots__ = ("time",)

    def __init__(self, time: int = 0) -> None:
        if isinstance(time, bool) or not isinstance(time, int) or time < 0:
            raise ValueError(f"time must be a non-negative int, got {time!r}")
        self.time = time

    def __repr__(self) -> str:
        return f"LamportClock({self.time})"

    def tick(self) -> int:
        """A local event (IR1): increment, return the event's timestamp."""
        self.time += 1
        return self.time

    def send(self) -> int:
        """A send is an event: increment and return the value the message carries."""
        return self.tick()

    def receive(self, msg_time: int) -> int:
        """A receive (IR2): ``max(local, msg_time) + 1``; returns the event's timestamp."""
        if isinstance(msg_time, bool) or not isinstance(msg_time, int) or msg_time < 0:
            raise ValueError(f"msg_time must be a non-negative int, got {msg_time!r}")
        self.time = max(self.time, msg_time) + 1
        return self.time
