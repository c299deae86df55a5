"""``distlab.rpc``: remote procedure call over the simulated network.

A client stub that sends ``Request(client_id, request_id, op, args)`` and waits for a
``Reply``, retrying on timeout; a server that executes calls on a counter, with no
deduplication (maybe, at-least-once) or an at-most-once deduplication table kept in
memory or in durable storage (Birrell & Nelson 1984). Checkers count executions per
call from the trace.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from .analysis import duplicate_executions, execution_counts, executions, retransmissions
from .client import DEFAULT_WORKLOAD, RPCClient, history_value
from .dedup import DedupTable, at_most_once
from .messages import Execution, Reply, Request
from .semantics import SEMANTICS, Semantics, rpc_system
from .server import DEDUP_MODES, RPCServer
from .service import IDEMPOTENT, CounterService

__all__ = ["Request", "Reply", "Execution", "CounterService", "IDEMPOTENT",
           "DedupTable", "at_most_once", "RPCServer", "DEDUP_MODES", "RPCClient",
           "DEFAULT_WORKLOAD", "history_value", "Semantics", "SEMANTICS", "rpc_system",
           "executions", "execution_counts", "duplicate_executions", "retransmissions"]
