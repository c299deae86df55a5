"""The RPC client: a client stub that turns a call into messages, timers and retries.

``call(op, *args)`` is the stub (Birrell & Nelson 1984, §2): it marshals the call into a
``Request`` with a fresh call identifier, sends it and starts a timer. A ``Reply`` with
the same identifier completes the call; replies to earlier calls are ignored. When the
timer fires before a reply, the client retransmits the *same* request (same
identifier) until it has sent it ``attempts`` times; then it gives up, and the outcome
is **unknown**: the request, or only its reply, may have been lost.

Each call is recorded in the simulation's client history (Jepsen's vocabulary):
``invoke`` when it starts, then ``ok`` (a result), ``fail`` (the server refused it:
certainly not executed) or ``info`` (gave up: may or may not have executed). A client
that crashes with a call outstanding records ``info`` for it when it restarts. The
next request id is durable, so a restarted client never reuses an identifier.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import Node
from .messages import Reply, Request

__all__ = ["RPCClient", "DEFAULT_WORKLOAD"]

#: The calls a client makes by default, in order.
DEFAULT_WORKLOAD: tuple[tuple, ...] = (("increment",), ("increment",), ("set", 10),
                                       ("increment",), ("get",))


def _check_workload(workload: Any) -> tuple[tuple, ...]:
    if isinstance(workload, (str, bytes)) or not isinstance(workload, Sequence):
        raise TypeError(f"workload must be a list of calls such as [('increment',), "
                        f"('set', 10)], got {workload!r}")
    calls = []
    for call in workload:
        if isinstance(call, str):
            call = (call,)
        if not isinstance(call, tuple) or not call or not isinstance(call[0], str):
            raise TypeError(f"each call in workload must be a tuple (op, *args) with op a "
                            f"str, got {call!r}")
        calls.append(call)
    return tuple(calls)


def _number(name: str, value: Any, minimum: float, strict: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if value != value or value in (float("inf"), float("-inf")) \
            or value < minimum or (strict and value == minimum):
        rel = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {rel} {minimum}, got {value!r}")
    return float(value)


def history_value(args: tuple) -> Any:
    """How a call's arguments appear as the ``invoke`` value in the history."""
    if not args:
        return None
    return args[0] if len(args) == 1 else args


class RPCClient(Node):
    """Calls ``server`` once per entry of ``workload``, one call at a time.

    Parameters
    ----------
    server
        The server's node id.
    workload
        The calls to make, in order: ``[("increment",), ("set", 10), ("get",)]``.
    timeout
        How long to wait for a reply before retransmitting (or giving up).
    attempts
        How many times a request is sent in all: ``1`` is *maybe* semantics (no retry).
    think
        Pause between the end of one call and the start of the next.
    """

    def __init__(self, server: str = "server", workload: Sequence = DEFAULT_WORKLOAD,
                 timeout: float = 25.0, attempts: int = 1, think: float = 0.0) -> None:
        if not isinstance(server, str) or not server:
            raise TypeError(f"server must be the server's node id (a str), got {server!r}")
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValueError(f"attempts must be an int >= 1 (1 = no retry), got {attempts!r}")
        self.server = server
        self.workload = _check_workload(workload)
        self.timeout = _number("timeout", timeout, 0.0, True)
        self.think = _number("think", think, 0.0, False)
        self.attempts = attempts
        self.next_id = 1      # both recovered from storage in on_start
        self.done = 0
        self.pending: Request | None = None
        self.attempt = 0
        self.results: list[Any] = []

    # --- the node's life ---------------------------------------------------------
    def on_start(self) -> None:
        self.next_id = self.storage.get("next_request_id", 1)
        self.done = self.storage.get("done", 0)
        outstanding = self.storage.get("outstanding")
        if outstanding is not None:   # crashed mid-call: its outcome is unknown
            self.record("info", outstanding, None)
            self.storage["outstanding"] = None
            self.done += 1
            self.storage["done"] = self.done
        self.next_call()

    def next_call(self) -> None:
        """Start the next call of the workload (after ``think``), if any is left."""
        if self.done >= len(self.workload):
            return
        if self.think > 0:
            self.set_timer(self.think, "next")
        else:
            op, *args = self.workload[self.done]
            self.call(op, *args)

    # --- the stub ------------------------------------------------------------------
    def call(self, op: str, *args: Any) -> None:
        """Marshal ``op(*args)`` into a Request with a new call id, send it, start a timer."""
        request = Request(self.id, self.next_id, op, tuple(args))
        self.next_id += 1
        self.storage["next_request_id"] = self.next_id   # never reuse an identifier
        self.storage["outstanding"] = op
        self.pending, self.attempt = request, 1
        self.record("invoke", op, history_value(request.args))
        self.send(self.server, request)
        self.set_timer(self.timeout, "timeout", request.request_id)

    def on_message(self, src: str, msg: Any) -> None:
        p = self.pending
        if not isinstance(msg, Reply) or p is None or msg.key != p.key:
            return   # a reply to an earlier call (late, or a duplicate): ignore it
        self.cancel_timer("timeout")
        if msg.error is not None:
            self.record("fail", p.op, msg.error)
        else:
            self.record("ok", p.op, msg.result)
        self.results.append(msg.result)
        self.finish()

    def on_timer(self, name: str, payload: Any) -> None:
        p = self.pending
        if name == "next":
            op, *args = self.workload[self.done]
            self.call(op, *args)
        elif name == "timeout" and p is not None and payload == p.request_id:
            if self.attempt < self.attempts:      # retransmit the same request
                self.attempt += 1
                self.annotate(f"retry #{p.request_id}")
                self.send(self.server, p)
                self.set_timer(self.timeout, "timeout", p.request_id)
            else:                                 # give up: the outcome is unknown
                self.annotate(f"give up #{p.request_id}")
                self.record("info", p.op, None)
                self.results.append(None)
                self.finish()

    def finish(self) -> None:
        self.pending = None
        self.done += 1
        self.storage["done"] = self.done
        self.storage["outstanding"] = None
        self.next_call()

    def state(self) -> dict[str, Any]:
        p = self.pending
        return {"calls done": self.done,
                "waiting for": f"#{p.request_id} {p.op} (try {self.attempt})" if p else "-",
                "results": list(self.results)}
