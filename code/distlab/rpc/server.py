"""The RPC server: the server stub's dispatch plus the remote object it calls.

It executes each ``Request`` on a ``CounterService`` and answers with a ``Reply``. The
counter's value is durable (``self.storage``): it is the data the server exists to keep.
The deduplication table is what changes the call semantics:

- ``dedup="none"``: every request that arrives is executed (maybe / at-least-once);
- ``dedup="volatile"``: ``at_most_once`` with the table in memory. A crash forgets it,
  so a request retried across a restart runs again;
- ``dedup="durable"``: the table is written to storage in the same step as the
  counter, so it survives crashes (a real server must make the two writes atomic, in
  one transaction or one log record; the simulator never crashes inside a handler).

What the server does is visible in the trace: ``output("execute", Execution(...))``
each time it runs a call, ``output("cached", key)`` when it answers a duplicate from
the table, ``output("stale", key)`` when it drops an old request.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from typing import Any

from ..sim import Node
from .dedup import at_most_once
from .messages import Execution, Reply, Request
from .service import CounterService

__all__ = ["RPCServer", "DEDUP_MODES"]

DEDUP_MODES = ("none", "volatile", "durable")


class RPCServer(Node):
    """Executes RPC requests on a counter, with the chosen deduplication."""

    #: The deduplication rule; a subclass may plug in another (the notebook's exercise).
    rule = staticmethod(at_most_once)

    def __init__(self, dedup: str = "none") -> None:
        if dedup not in DEDUP_MODES:
            raise ValueError(f"dedup must be one of {list(DEDUP_MODES)}, got {dedup!r}")
        self.dedup = dedup
        self.service = CounterService()
        self.table: dict[str, Any] = {}
        self.executions = 0

    def on_start(self) -> None:
        self.service = CounterService(self.storage.get("counter", 0))
        self.table = self.storage.get("dedup", {}) if self.dedup == "durable" else {}

    def on_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, Request):
            return
        if self.dedup == "none":
            reply = self.execute(msg)
        else:
            before = self.executions
            reply = self.rule(self.table, msg, self.execute)
            if self.executions > before:
                if self.dedup == "durable":
                    self.storage["dedup"] = self.table   # with the counter, atomically
            elif reply is None:
                self.output("stale", msg.key)
            else:
                self.output("cached", msg.key)
        if reply is not None:
            self.send(src, reply)

    def execute(self, request: Request) -> Reply:
        """Run the call on the counter (the server stub unmarshals and calls)."""
        try:
            result, error = self.service.apply(request.op, request.args), None
        except ValueError as exc:
            result, error = None, str(exc)
        self.executions += 1
        self.storage["counter"] = self.service.value
        self.output("execute", Execution(request.client_id, request.request_id, request.op,
                                         request.args, result))
        return Reply(request.client_id, request.request_id, result, error)

    def state(self) -> dict[str, Any]:
        return {"counter": self.service.value, "executions": self.executions,
                "dedup": {c: rid for c, (rid, _) in sorted(self.table.items())}
                if self.dedup != "none" else "-"}
