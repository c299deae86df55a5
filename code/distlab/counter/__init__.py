"""``distlab.counter``: the distributed-counter project of notebook 1.5.

A count of likes, updated concurrently at several replicas, four ways:

- ``naive``: one register, clients read-modify-write (loses updates; ``lost_updates``
  names them);
- ``lww``: replicas gossip a last-writer-wins value (converges, loses increments);
- ``oplog``: an operation log ordered by Lamport timestamps, reliable only with
  retransmission;
- ``gossip``: replicas gossip a G-Counter or PN-Counter CRDT (converges, exactly).

``experiment`` runs any of them on one workload under a ``FaultPlan``; ``checks`` judges
a run from its history and trace.
"""

from .checks import SIGN, Convergence, acknowledged, check_convergence, final_values, uncertain
from .client import Ack, CounterClient, Decrement, Increment, Refused, op_name
from .experiment import DESIGNS, CounterRun, build_counter, run_counter
from .gossip import CRDTCounterReplica, Gossip, GossipReplica
from .lww import LWWCounterReplica, LWWValue
from .naive import (Get, LostUpdates, Put, PutOk, ReadModifyWriteClient, RegisterServer, Value,
                    lost_updates)
from .oplog import LogEntry, OpLogReplica, Update, UpdateAck
from .replica import CounterReplica

__all__ = [
    # clients and the replica base
    "CounterClient", "Increment", "Decrement", "Ack", "Refused", "op_name", "CounterReplica",
    # (a) the naive read-modify-write counter
    "RegisterServer", "ReadModifyWriteClient", "Get", "Value", "Put", "PutOk",
    "LostUpdates", "lost_updates",
    # last-writer-wins
    "LWWValue", "LWWCounterReplica",
    # (b) the operation log
    "OpLogReplica", "LogEntry", "Update", "UpdateAck",
    # (c) CRDT replicas
    "GossipReplica", "CRDTCounterReplica", "Gossip",
    # running and judging
    "DESIGNS", "CounterRun", "build_counter", "run_counter",
    "SIGN", "acknowledged", "uncertain", "final_values", "Convergence", "check_convergence",
]
