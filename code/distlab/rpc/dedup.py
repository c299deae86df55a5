"""At-most-once execution: the server's deduplication table.

The rule (Birrell & Nelson 1984, §3.2): the server remembers, for every client, the
identifier of the latest call it executed and the reply it sent. A request is

- **new** (its ``request_id`` is above the remembered one): execute it, remember
  ``(request_id, reply)``, send the reply;
- **a duplicate** of the remembered call (same ``request_id``): a retransmission, or a
  copy made by the network. Do *not* execute it again; send the remembered reply
  (the first reply may have been lost);
- **stale** (below the remembered one): an old copy that arrives late. The client has
  moved on (it has at most one call outstanding), so drop it.

Because each client numbers its calls in order and waits for one before the next,
the table needs one entry per client, not one per call ever made: it is keyed by
``(client_id, request_id)`` but only the latest ``request_id`` per client is kept.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from __future__ import annotations

from collections.abc import Callable

from .messages import Reply, Request

__all__ = ["DedupTable", "at_most_once"]

#: ``{client_id: (request_id of its latest executed call, the reply sent)}``
DedupTable = dict[str, tuple[int, Reply]]


def at_most_once(table: DedupTable, request: Request,
                 execute: Callable[[Request], Reply]) -> Reply | None:
    """Execute ``request`` unless ``table`` shows it was already executed.

    Returns the reply to send, or ``None`` for a stale request (send nothing).
    ``execute(request)`` runs the operation and returns its ``Reply``; it is called
    at most once per ``(client_id, request_id)``.
    """
    latest = table.get(request.client_id)
    if latest is not None:
        last_id, last_reply = latest
        if request.request_id == last_id:
            return last_reply            # duplicate: answer from the table
        if request.request_id < last_id:
            return None                  # stale: the client has moved on
    reply = execute(request)             # new: run it once ...
    table[request.client_id] = (request.request_id, reply)   # ... and remember it
    return reply
