"""Clients that drive a replicated register and record what they observe.

Each client runs operations one at a time (Jepsen's rule), chooses reads or writes
with its own random stream, writes values that are unique across clients, and records
``invoke`` / ``ok`` / ``info`` in the simulation's history. A request unanswered
after ``timeout`` is recorded as ``info`` (unknown outcome) and abandoned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import Node
from .messages import Read, ReadOk, Write, WriteOk

__all__ = ["RegisterClient", "ScriptedClient"]


class RegisterClient(Node):
    """Issues ``ops`` random reads and writes, ``think`` apart, to ``targets``."""

    def __init__(self, targets: Sequence[str], writes_to: Sequence[str] | None = None,
                 ops: int = 10, write_ratio: float = 0.5, think: float = 5.0,
                 timeout: float = 60.0, first_value: int = 1) -> None:
        self.targets = tuple(targets)
        self.writes_to = tuple(writes_to) if writes_to else self.targets
        self.ops = ops
        self.write_ratio = write_ratio
        self.think = think
        self.timeout = timeout
        self.next_value = first_value
        self.done = 0
        self._req = 0
        self._open: tuple[int, str, Any] | None = None

    def on_start(self) -> None:
        if self.incarnation == 0:
            self.set_timer(self.rng.uniform(0, self.think), "next")

    def _issue(self) -> None:
        self._req += 1
        if self.rng.random() < self.write_ratio:
            value = self.next_value
            self.next_value += 1
            self._open = (self._req, "write", value)
            self.record("invoke", "write", value)
            self.send(self.rng.choice(self.writes_to), Write(self._req, value))
        else:
            self._open = (self._req, "read", None)
            self.record("invoke", "read", None)
            self.send(self.rng.choice(self.targets), Read(self._req))
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
        if self._open is None or getattr(msg, "req", None) != self._open[0]:
            return  # a late or duplicate reply
        req, f, value = self._open
        if isinstance(msg, ReadOk) and f == "read":
            self.record("ok", "read", msg.value)
        elif isinstance(msg, WriteOk) and f == "write":
            self.record("ok", "write", value)
        else:
            return
        self.cancel_timer("timeout")
        self._complete()


class ScriptedClient(Node):
    """Issues the operations of ``script`` at the given times, to ``target``.

    ``script`` is a list of ``(time, "read")`` or ``(time, ("write", value))``; an
    operation starts at its time or when the previous one completes, whichever is
    later. For stories told step by step (notebook 2.1's new/old inversion).
    """

    def __init__(self, target: str, script: Sequence[tuple[float, Any]],
                 timeout: float = 200.0) -> None:
        self.target = target
        self.script = list(script)
        self.timeout = timeout
        self._i = 0
        self._req = 0
        self._open: tuple[int, str, Any] | None = None

    def on_start(self) -> None:
        if self.incarnation == 0 and self.script:
            self.set_timer(max(0.0, self.script[0][0] - self.now), "next")

    def _issue(self) -> None:
        _, what = self.script[self._i]
        self._req += 1
        if what == "read":
            self._open = (self._req, "read", None)
            self.record("invoke", "read", None)
            self.send(self.target, Read(self._req))
        else:
            _, value = what
            self._open = (self._req, "write", value)
            self.record("invoke", "write", value)
            self.send(self.target, Write(self._req, value))
        self.set_timer(self.timeout, "timeout", self._req)

    def _complete(self) -> None:
        self._open = None
        self._i += 1
        if self._i < len(self.script):
            self.set_timer(max(0.0, self.script[self._i][0] - self.now), "next")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._issue()
        elif name == "timeout" and self._open is not None and self._open[0] == payload:
            self.record("info", self._open[1], self._open[2])
            self._complete()

    def on_message(self, src: str, msg: Any) -> None:
        if self._open is None or getattr(msg, "req", None) != self._open[0]:
            return
        _, f, value = self._open
        if isinstance(msg, ReadOk) and f == "read":
            self.record("ok", "read", msg.value)
        elif isinstance(msg, WriteOk) and f == "write":
            self.record("ok", "write", value)
        else:
            return
        self.cancel_timer("timeout")
        self._complete()
