"""``distlab.clocks``: logical time. Lamport clocks (notebook 1.2), vector clocks (1.3).

- ``lamport``, ``vector``: the clocks themselves, as small values with their rules;
- ``causality``: happens-before computed from a trace, the ground truth;
- ``nodes``: processes that stamp every event and report the stamps in the trace;
- ``checks``: the clock condition, its converse, and the characterisation by vectors;
- ``mutex``: Lamport's mutual exclusion, the paper's use of the total order;
- ``shiviz``: export a run of vector-clock nodes for the ShiViz visualiser.
"""

from .causality import Event, HappensBefore, events_of
from .checks import (Violation, characterisation_violations, clock_condition_violations,
                     false_orders, missing_stamps)
from .lamport import LamportClock, LamportTimestamp
from .mutex import Ack, LamportMutex, Release, Request, mutex_entries, mutex_violations
from .nodes import (PERSIST_MODES, ClockNode, LamportNode, Message, VectorMessage,
                    VectorNode, read_stamps)
from .shiviz import (SHIVIZ_PYTHON_REGEX, SHIVIZ_REGEX, parse_shiviz, shiviz_file,
                     to_shiviz, write_shiviz)
from .vector import Ordering, VectorClock

__all__ = [
    "LamportClock", "LamportTimestamp", "VectorClock", "Ordering",
    "Event", "HappensBefore", "events_of",
    "Violation", "clock_condition_violations", "false_orders",
    "characterisation_violations", "missing_stamps",
    "ClockNode", "LamportNode", "VectorNode", "Message", "VectorMessage", "read_stamps",
    "PERSIST_MODES",
    "LamportMutex", "Request", "Ack", "Release", "mutex_violations", "mutex_entries",
    "SHIVIZ_REGEX", "SHIVIZ_PYTHON_REGEX", "to_shiviz", "shiviz_file", "write_shiviz",
    "parse_shiviz",
]
