"""Helpers for commit stories: drop the next message, and snapshot every node's state.

``drop_next(sim, ...)`` installs a one-shot network hook (``Network.add_hook``): the
next message that matches is dropped (trace reason ``hook``), then the hook removes
itself. The notebook's explorer has a button for it, as etcd's ``raft_test.go`` network
has ``msgHook``.

``snapshot(sim)`` is what a state table shows: each live node's ``state()`` (role,
vote, log, decision), and for a crashed node what survives it, its durable log.
``record(sim, times)`` runs the simulation and takes a snapshot at each time: the
frames of a step-through animation.

Taught in notebook 2.3 ("Two-phase and three-phase commit").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..sim import Envelope, Simulation
from ..sim import _check
from .twopc import log_records

__all__ = ["DropNext", "drop_next", "snapshot", "record", "STATE_COLUMNS"]

#: The columns of a commit state table.
STATE_COLUMNS = ("role", "vote", "log", "decision")


class DropNext:
    """A network hook that drops the first message matching ``src``/``dst``/``msg_type``."""

    def __init__(self, sim: Simulation, *, src: str | None = None, dst: str | None = None,
                 msg_type: type | tuple[type, ...] | None = None) -> None:
        if not isinstance(sim, Simulation):
            raise TypeError(f"sim must be a Simulation, got {sim!r}")
        for name, node in (("src", src), ("dst", dst)):
            if node is not None and node not in sim.node_ids:
                raise ValueError(f"{name}={node!r} is not a node; nodes are "
                                 f"{', '.join(sim.node_ids)}")
        if msg_type is not None and not (isinstance(msg_type, type) or (
                isinstance(msg_type, tuple) and all(isinstance(t, type) for t in msg_type))):
            raise TypeError(f"msg_type must be a message class (or a tuple of them), "
                            f"got {msg_type!r}")
        self.sim, self.src, self.dst, self.msg_type = sim, src, dst, msg_type
        self.dropped: Any = None

    def matches(self, env: Envelope) -> bool:
        return ((self.src is None or env.src == self.src)
                and (self.dst is None or env.dst == self.dst)
                and (self.msg_type is None or isinstance(env.msg, self.msg_type)))

    def __call__(self, env: Envelope) -> bool | None:
        if self.dropped is not None or not self.matches(env):
            return None
        self.dropped = env.msg
        self.sim.network.remove_hook(self)
        return False

    def __repr__(self) -> str:
        return (f"DropNext(src={self.src!r}, dst={self.dst!r}, "
                f"dropped={self.dropped!r})")


def drop_next(sim: Simulation, *, src: str | None = None, dst: str | None = None,
              msg_type: type | tuple[type, ...] | None = None) -> DropNext:
    """Drop the next message from ``src`` to ``dst`` of type ``msg_type`` (any, if None)."""
    hook = DropNext(sim, src=src, dst=dst, msg_type=msg_type)
    sim.network.add_hook(hook)
    return hook


def snapshot(sim: Simulation) -> dict[str, dict[str, Any]]:
    """``{node: {"status", "role", "vote", "log", "decision", ...}}`` for every node.

    A live node shows its ``state()``; a crashed one only its durable log (its memory
    is gone).
    """
    if not isinstance(sim, Simulation):
        raise TypeError(f"sim must be a Simulation, got {sim!r}")
    out: dict[str, dict[str, Any]] = {}
    for n in sim.node_ids:
        if sim.is_up(n):
            try:
                st = dict(sim.node(n).state())
            except AttributeError:   # not started yet
                st = {}
            out[n] = {"status": "up", **st}
        else:
            out[n] = {"status": "crashed", "role": "(crashed)", "vote": "",
                      "log": ", ".join(map(repr, log_records(sim.storage(n)))) or "-",
                      "decision": ""}
    return out


def record(sim: Simulation, times: Iterable[float]) -> list[tuple[float, dict[str, dict]]]:
    """Run ``sim`` to each of ``times`` (increasing) and ``snapshot`` it there."""
    frames = []
    for t in times:
        t = _check.number("a time", t, minimum=sim.now)
        sim.run(until=t)
        frames.append((t, snapshot(sim)))
    return frames
