"""``distlab.sim``: the deterministic world every protocol runs in.

Virtual time, one seeded event queue, a network that delays, loses, duplicates and
reorders messages and can be partitioned, nodes that crash and restart (volatile state
lost, durable storage kept), drifting physical clocks, declared fault plans, the trace of
everything that happened and the clients' operation history.

Taught in notebook 0.3 of the book; used by every chapter. This package imports neither
matplotlib nor ipywidgets.
"""

from .clock import PhysicalClock
from .faults import PARTITION_MODES, FaultInjector, FaultPlan
from .history import History, HistoryEvent, Operation
from .latency import Constant, Exponential, Latency, Normal, Uniform, as_latency
from .network import Envelope, LinkConfig, Network
from .node import Node
from .randomness import check_random_state, child_stream, seed_of
from .simulation import PRIORITY_CONTROL, PRIORITY_NORMAL, NodeError, Simulation
from .storage import Storage
from .trace import KINDS, MessageRecord, Trace, TraceEvent

__all__ = [
    "Simulation", "NodeError", "Node", "Network", "Envelope", "LinkConfig",
    "FaultPlan", "FaultInjector", "PARTITION_MODES",
    "PhysicalClock", "Storage", "Trace", "TraceEvent", "MessageRecord", "KINDS",
    "History", "HistoryEvent", "Operation",
    "Latency", "Constant", "Uniform", "Exponential", "Normal", "as_latency",
    "check_random_state", "child_stream", "seed_of",
    "PRIORITY_CONTROL", "PRIORITY_NORMAL",
]
