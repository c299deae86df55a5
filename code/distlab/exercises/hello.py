"""Checks for the exercises of notebook 0.3, "Hello, simulated world"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import Constant, Network, Node, Simulation
from . import expect, fail, passed

__all__ = ["Ping", "Pong", "check_echo", "check_flood_messages"]


@dataclass(frozen=True, slots=True)
class Ping:
    """A request carrying a number."""

    n: int


@dataclass(frozen=True, slots=True)
class Pong:
    """The reply to ``Ping(n)``."""

    n: int


class _Asker(Node):
    """Sends Ping(0..k-1) to the node under test and keeps the replies."""

    def __init__(self, target: str, count: int) -> None:
        self.target, self.count = target, count
        self.replies: list[tuple[str, Any]] = []

    def on_start(self) -> None:
        for i in range(self.count):
            self.send(self.target, Ping(i))

    def on_message(self, src: str, msg: Any) -> None:
        self.replies.append((src, msg))


def check_echo(echo_class: type) -> None:
    """``echo_class`` must answer every ``Ping(n)`` with ``Pong(n)`` to the sender."""
    if not (isinstance(echo_class, type) and issubclass(echo_class, Node)):
        fail("check_echo needs your class itself (a subclass of Node)", expected="a Node subclass",
             got=echo_class, hint="define `class Echo(Node): ...` and pass `Echo`, not `Echo()`")
    sim = Simulation(seed=1, network=Network(latency=Constant(1.0)))
    try:
        sim.add_node("echo", echo_class)
    except TypeError as exc:
        fail(f"Simulation could not build your node: {exc}", got=str(exc),
             hint="__init__ must work with no arguments (the runtime builds the node)")
    sim.add_node("a", _Asker, target="echo", count=3)
    sim.add_node("b", _Asker, target="echo", count=2)
    try:
        sim.run(until=50)
    except Exception as exc:  # the learner's handler raised
        cause = exc.__cause__ or exc
        if isinstance(cause, NotImplementedError):
            fail("Echo.on_message is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with code that replies")
        fail(f"your node raised {type(cause).__name__}: {cause}", got=type(cause).__name__,
             hint="on_message(self, src, msg) receives the sender's id and the message")
    for asker, count in (("a", 3), ("b", 2)):
        replies = sim.node(asker).replies
        # Any class named Pong with a field n will do: the notebook defines its own.
        got = sorted(m.n for _, m in replies if type(m).__name__ == "Pong" and hasattr(m, "n"))
        others = [m for _, m in replies if type(m).__name__ != "Pong"]
        expect(not others, f"node {asker!r} received something other than Pong",
               expected="only Pong messages", got=others[:3],
               hint="reply with Pong(msg.n)")
        expect(got == list(range(count)),
               f"node {asker!r} sent Ping(0..{count - 1}) and got back the wrong Pongs",
               given=f"Ping(0) ... Ping({count - 1}) from {asker!r}",
               expected=[f"Pong({i})" for i in range(count)],
               got=[f"Pong({i})" for i in got],
               hint="send the reply to `src`, the node the Ping came from, once per Ping")
    passed("every Ping(n) was answered with Pong(n), to the node that sent it")


def check_flood_messages(count_fn: Any) -> None:
    """``count_fn(n)``: messages sent when each of ``n`` nodes sends to every other once."""
    cases = [(1, 0), (2, 2), (3, 6), (5, 20), (10, 90)]
    for n, expected in cases:
        try:
            got = count_fn(n)
        except NotImplementedError:
            fail("flood_messages is not written yet", got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with your formula")
        expect(got == expected, "flood_messages gives the wrong count",
               given=f"flood_messages({n})", expected=expected, got=got,
               hint="each of the n nodes sends one message to each of the n - 1 others")
    passed("flood_messages(n) = n·(n−1) for every case, as the simulation counts")
