"""``distlab.maelstrom``: run the book's nodes as real processes under Jepsen's Maelstrom.

Maelstrom (Kingsbury 2022) tests a distributed system by running each node as a
process that speaks JSON lines on stdin and stdout. This package lets the *same*
``distlab.sim.Node`` classes that run in the simulator run there:

- ``protocol``: the wire format (lines, bodies, ``msg_id``/``in_reply_to``, error
  codes) and ``Codec``, the documented mapping between dataclass messages and bodies;
- ``runtime``: ``Runtime``, the real-process host (``python -m distlab.maelstrom NODE``);
- ``messages`` and ``nodes``: nodes for Maelstrom's workloads (echo, unique-ids,
  broadcast, g-counter, pn-counter, lin-kv);
- ``harness``: Maelstrom's side, for trying nodes without it (``NodeProcess``,
  ``ProcessCluster``, and ``LocalNet``, deterministic and in-process);
- ``workloads``: the same workloads inside the simulator, with checkers and seed checks.

Taught in notebook 2.14 ("Running your node outside the book").
"""

from importlib import import_module
from typing import Any

from . import messages
from .nodes import (WORKLOADS, BroadcastNode, EchoNode, GCounterNode, LinKVNode,
                    MaelstromNode, PNCounterNode, UniqueIdsNode, is_client)
from .protocol import (ERRORS, Codec, Error, ErrorCode, Init, InitOk, MaelstromMessage,
                       ProtocolError, RPCError, body_type, error_body, format_line,
                       is_definite, parse_line)
from .runtime import JournalStorage, Runtime, main, resolve_node_class

# The harness and the simulated workloads are imported on first use: a node process
# (`python -m distlab.maelstrom`) needs neither, and starts faster without them.
_LAZY = {"NodeProcess": "harness", "ProcessCluster": "harness", "LocalNet": "harness",
         "Exchange": "harness", "simulate": "workloads", "check_broadcast": "workloads",
         "check_g_counter": "workloads", "check_pn_counter": "workloads",
         "check_lin_kv": "workloads"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "messages",
    "ErrorCode", "ERRORS", "is_definite", "RPCError", "ProtocolError", "MaelstromMessage",
    "parse_line", "format_line", "error_body", "Codec", "body_type", "Init", "InitOk", "Error",
    "Runtime", "JournalStorage", "resolve_node_class", "main",
    "MaelstromNode", "EchoNode", "UniqueIdsNode", "BroadcastNode", "GCounterNode",
    "PNCounterNode", "LinKVNode", "WORKLOADS", "is_client",
    "NodeProcess", "ProcessCluster", "LocalNet", "Exchange",
    "simulate", "check_broadcast", "check_g_counter", "check_pn_counter", "check_lin_kv",
]
