"""``distlab.broadcast``: broadcast protocols, layered, and checkers for their properties.

The stack, bottom to top (each a ``Node`` subclass of the one below):

- ``PerfectLinks``: point-to-point sends, optionally acknowledged and retransmitted
  until they get through (Cachin, Guerraoui & Rodrigues 2011, Algs. 2.1-2.2);
- ``BestEffortBroadcast``: send to all (Cachin et al. 2011, Alg. 3.1);
- ``ReliableBroadcast``: eager relaying, so all correct nodes deliver the same
  messages even if the sender crashes (Hadzilacos & Toueg 1994; Cachin et al. 2011,
  Alg. 3.3);
- ``FifoBroadcast``: per-sender sequence numbers and a hold-back queue (Alg. 3.12);
- ``CausalBroadcast``: vector timestamps (Birman, Schiper & Stephenson 1991);
- ``SequencerBroadcast``: total order from a fixed sequencer (Défago, Schiper &
  Urbán 2004, fixed sequencer).

On top, the application: ``ChatMember`` and the chat classes. The checkers in
``checks`` read only the trace. Taught in notebook 1.6 ("Project: a distributed chat").
"""

from .causal import CausalBroadcast, can_deliver, missing
from .chat import (TOPICS, BestEffortChat, CausalChat, ChatMember, FifoChat, Post, ReliableChat,
                   TotalOrderChat, chat_node, chat_simulation, transcript)
from .checks import (HoldBack, Violation, broadcast_events, check_broadcast, check_causal,
                     check_fifo, check_reliable, check_total_order, correct_nodes, deliveries,
                     holdbacks, traffic)
from .fifo import FifoBroadcast, fifo_release
from .links import PerfectLinks
from .messages import Ack, Message, MessageId, Order, Packet, Stamped
from .reliable import BestEffortBroadcast, ReliableBroadcast
from .total import SequencerBroadcast, sequence_release

__all__ = [
    # messages
    "Message", "MessageId", "Packet", "Ack", "Stamped", "Order",
    # the layers
    "PerfectLinks", "BestEffortBroadcast", "ReliableBroadcast", "FifoBroadcast",
    "CausalBroadcast", "SequencerBroadcast",
    # their rules
    "can_deliver", "missing", "fifo_release", "sequence_release",
    # the chat
    "Post", "ChatMember", "chat_node", "BestEffortChat", "ReliableChat", "FifoChat",
    "CausalChat", "TotalOrderChat", "chat_simulation", "transcript", "TOPICS",
    # checkers and readings
    "Violation", "check_reliable", "check_fifo", "check_causal", "check_total_order",
    "check_broadcast", "broadcast_events", "deliveries", "correct_nodes",
    "HoldBack", "holdbacks", "traffic",
]
