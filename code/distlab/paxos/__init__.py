"""``distlab.paxos``: Paxos, single-decree (the Synod protocol) and Multi-Paxos.

- ``synod``: proposers, acceptors and learners agreeing on one value (Lamport 1998,
  2001), with durable acceptors, retries, and three ways out of duelling proposers;
- ``multipaxos``: a stable leader replicating a log of client commands, one Synod
  instance per slot with phase 1 run once for all slots (van Renesse & Altinbuken
  2015; Chandra, Griesemer & Redstone 2007);
- ``checks``: agreement, validity and linearizability, judged from the trace and the
  client history, never from a node's memory;
- ``sweep``: the chaos sweeps ``check_paxos`` and ``check_multipaxos``.

Taught in notebook 2.4.
"""

from .checks import (Problem, agreement, slot_agreement, slot_validity, synod_decisions,
                     termination, validity)
from .messages import (NOOP, ZERO, Accept, Accepted, Ballot, Chosen, Command, Decide,
                       Heartbeat, Nack, NotLeader, P1a, P1b, P2a, P2b, Prepare, Promise,
                       Query, Reject, Reply, Request)
from .multipaxos import KVClient, MultiPaxosServer, apply_command, build_multipaxos
from .synod import BACKOFFS, SynodNode, build_synod, choose_value, may_accept, may_promise

__all__ = ["Ballot", "ZERO", "Prepare", "Promise", "Accept", "Accepted", "Nack", "Query",
           "Chosen", "Heartbeat", "Command", "NOOP", "Request", "Reply", "NotLeader",
           "P1a", "P1b", "P2a", "P2b", "Reject", "Decide",
           "SynodNode", "build_synod", "choose_value", "may_promise", "may_accept",
           "BACKOFFS",
           "MultiPaxosServer", "KVClient", "build_multipaxos", "apply_command",
           "Problem", "agreement", "validity", "termination", "synod_decisions",
           "slot_agreement", "slot_validity"]
