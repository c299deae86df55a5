"""``distlab.viz``: matplotlib pictures drawn from traces, and step-through animations.

Everything here reads a trace, a history or a simulation's public state; nothing
reaches into a protocol's private memory.
"""

from .history import history_chart
from .animation import Animation, animate, animate_trace, state_text
from .spacetime import message_label, spacetime, trace_nodes
from .style import PALETTE, use_book_style
from .topology import topology, topology_of

__all__ = ["history_chart", "spacetime", "message_label", "trace_nodes", "topology", "topology_of",
           "Animation", "animate", "animate_trace", "state_text", "use_book_style",
           "PALETTE"]
