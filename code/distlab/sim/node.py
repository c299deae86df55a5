"""The ``Node`` base class: a protocol as a pure state machine.

A protocol is a subclass of ``Node`` with three handlers:

- ``on_start()``: the node (re)starts; on a restart, recover from ``self.storage``;
- ``on_message(src, msg)``: a message arrived from node ``src``;
- ``on_timer(name, payload)``: a timer the node set has fired.

Handlers act only through what the runtime gives them: ``send``/``broadcast``,
``set_timer``/``cancel_timer``, ``now``, ``clock()``, ``rng``, ``storage``, ``annotate`` and
``record`` (client histories). They never read the wall clock, global randomness or
another node's memory, so the same class can run in the simulator or over real sockets
(STYLE.md: etcd's Raft and h11 are built the same way).

Volatile state lives in ordinary attributes set in ``__init__`` (which must not need the
node's id: use ``on_start`` for that). A crash discards the object; a restart builds a
new one from the same factory and calls ``on_start`` again with ``self.incarnation``
increased. ``state()`` is what a state table may show of a node.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .simulation import Simulation
    from .storage import Storage

__all__ = ["Node"]


class Node:
    """Base class for every protocol participant (servers and clients alike)."""

    # Filled in by the runtime before on_start is called.
    id: str                 #: this node's id, e.g. "n1"
    rng: random.Random      #: this node's own random stream, derived from the seed
    _rt: "Simulation"

    # --- handlers: override these -------------------------------------------------
    def on_start(self) -> None:
        """Called when the node starts, and again after each restart."""

    def on_message(self, src: str, msg: Any) -> None:
        """Called when a message from ``src`` is delivered."""

    def on_timer(self, name: str, payload: Any) -> None:
        """Called when a timer set with ``set_timer`` fires."""

    # --- what the runtime offers -----------------------------------------------------
    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node of the simulation, in the order they were added."""
        return self._rt.node_ids

    @property
    def peers(self) -> tuple[str, ...]:
        """Every other node of the simulation."""
        return tuple(n for n in self._rt.node_ids if n != self.id)

    @property
    def now(self) -> float:
        """The simulation's (true) time. Protocols that model clock error use ``clock()``."""
        return self._rt.now

    @property
    def incarnation(self) -> int:
        """0 on the first start, then 1, 2, ... after each restart."""
        return self._rt._incarnation[self.id]

    @property
    def storage(self) -> "Storage":
        """Durable storage: survives crashes (attributes do not)."""
        return self._rt._storage[self.id]

    def clock(self) -> float:
        """This node's physical clock reading (offset and drift included)."""
        return self._rt._clocks[self.id].read(self._rt.now)

    def adjust_clock(self, delta: float) -> None:
        """Step this node's physical clock by ``delta`` (what a clock sync does)."""
        self._rt._adjust_clock(self.id, delta)

    def send(self, dst: str, msg: Any) -> None:
        """Send ``msg`` to node ``dst`` over the simulated network."""
        rt = self._rt
        if rt._current is self and dst in rt._nodes:  # the common case, kept short
            rt._outbox.append((self.id, dst, msg))
        else:
            rt._node_send(self, dst, msg)

    def broadcast(self, msg: Any, *, to: Iterable[str] | None = None,
                  include_self: bool = False) -> None:
        """Send ``msg`` to every node in ``to`` (default: all peers), one send each.

        ``include_self=True`` also sends it to this node, whether or not ``to`` names it.
        """
        targets = self.peers if to is None else tuple(to)
        if include_self and self.id not in targets:
            targets = (self.id, *targets)
        for dst in targets:
            if dst != self.id or include_self:
                self._rt._node_send(self, dst, msg)

    def set_timer(self, delay: float, name: str = "timeout", payload: Any = None) -> int:
        """Fire ``on_timer(name, payload)`` after ``delay`` units of this node's clock.

        Returns a timer id for ``cancel_timer``. Timers are volatile: a crash clears them.
        """
        return self._rt._set_timer(self, delay, name, payload)

    def cancel_timer(self, timer: int | str) -> int:
        """Cancel a timer by id, or every pending timer with this name; returns how many."""
        return self._rt._cancel_timer(self, timer)

    def annotate(self, text: str) -> None:
        """Put a note in the trace at this node (drawn on space-time diagrams)."""
        self._rt._annotate(self.id, text)

    def output(self, name: str, value: Any = None) -> None:
        """Report a protocol-level output in the trace: ``deliver`` a broadcast,
        ``decide`` a value, ``commit`` an entry, ``apply`` an operation, ...

        Checkers read these from the trace (``trace.outputs(name)``), never from the
        node's memory.
        """
        self._rt._output(self.id, name, value)

    def record(self, type: str, f: str, value: Any) -> None:
        """Record a client-history event (invoke/ok/fail/info) for this node as process."""
        self._rt.history.record(type, self.id, f, value, self._rt.now)

    # --- for state tables and printing ----------------------------------------------
    def state(self) -> dict[str, Any]:
        """What a state table shows: the node's public attributes, by default (not
        ``id`` and ``rng``, which the runtime sets). Override to choose."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and k not in ("id", "rng")}

    def __repr__(self) -> str:
        ident = getattr(self, "id", "?")
        return f"<{type(self).__name__} {ident}>"
