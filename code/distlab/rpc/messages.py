"""RPC messages: a call packet and a result packet, named by a call identifier.

Birrell & Nelson (1984, §3.2) identify every call by the calling *activity* and a
sequence number that grows with each call of that activity; an activity has at most
one call outstanding. Here the activity is the client node (``client_id``) and the
sequence number is ``request_id``. A retransmitted request carries the same pair, so the
server can recognise it, and the client can match a reply to the call it is waiting for.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Request", "Reply", "Execution"]


def _call(op: str, args: tuple) -> str:
    return f"{op}({', '.join(repr(a) for a in args)})"


@dataclass(frozen=True, slots=True)
class Request:
    """Call ``op(*args)`` at the server; ``(client_id, request_id)`` names the call."""

    client_id: str
    request_id: int
    op: str
    args: tuple = ()

    @property
    def key(self) -> tuple[str, int]:
        """The call identifier ``(client_id, request_id)``."""
        return (self.client_id, self.request_id)

    def __repr__(self) -> str:
        return f"Request({self.client_id}#{self.request_id} {_call(self.op, self.args)})"


@dataclass(frozen=True, slots=True)
class Reply:
    """The outcome of call ``(client_id, request_id)``: a ``result``, or an ``error``."""

    client_id: str
    request_id: int
    result: Any = None
    error: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.client_id, self.request_id)

    def __repr__(self) -> str:
        outcome = f"error: {self.error}" if self.error is not None else repr(self.result)
        return f"Reply({self.client_id}#{self.request_id} -> {outcome})"


@dataclass(frozen=True, slots=True)
class Execution:
    """What a server reports (``output("execute", ...)``) each time it runs a call."""

    client_id: str
    request_id: int
    op: str
    args: tuple
    result: Any

    @property
    def key(self) -> tuple[str, int]:
        return (self.client_id, self.request_id)

    def __repr__(self) -> str:
        return (f"Execution({self.client_id}#{self.request_id} {_call(self.op, self.args)} "
                f"= {self.result!r})")
