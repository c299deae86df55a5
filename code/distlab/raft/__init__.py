"""``distlab.raft``: Raft (Ongaro & Ousterhout 2014) with a key-value store on top.

What is here, module by module:

- ``messages``: the RPCs of Figure 2 (``RequestVote``, ``AppendEntries`` with the
  conflict term/index of fast backtracking, ``InstallSnapshot``), log ``Entry``,
  ``Configuration``, ``Snapshot``, and the client messages of Ongaro's thesis.
- ``log``: ``RaftLog``, the log after a snapshot, written through to durable storage.
- ``server``: ``RaftServer``, a sans-IO ``Node``: elections with randomised timeouts,
  the vote rule, replication with the consistency check, commitment by counting
  (current-term entries only: Figure 8), clients with redirection and duplicate
  detection, reads by read index (thesis §6.4), persist-before-send.
- ``config``: single-server membership changes with learners (thesis §4), and the
  ``MembershipClient`` administrator.
- ``snapshot``: log compaction and InstallSnapshot (§7).
- ``kv``: ``KVStateMachine`` (get/put/append with sessions) and ``KVClient``, whose
  history ``distlab.consistency.check_linearizable(h, models.kv())`` judges.
- ``checks``: Election Safety, Leader Append-Only, Log Matching, Leader Completeness,
  State Machine Safety (all from the trace) and linearizability (from the history).
- ``scenarios``: ``Cluster`` (6.5840's test harness in virtual time; ``Cluster(...).sim``
  is a ready ``Simulation``, e.g. for an ``Explorer``), ``SUITE`` and
  ``run_suite(server_class)``, which runs the stories against any subclass;
- ``suite``: the stories: labs 3A–3D, the paper's Figure 8 step by step, clients,
  reads and membership, each citing its section.
- ``sweep``: ``check_raft(seed)`` for ``distlab.chaos`` (``benchmarks/sweep.py raft``),
  and ``sweep_class(server_class, seeds)`` for a learner's variant.
- ``variants``: subclasses with one rule broken (or slowed), for exercises and tests;
- ``timeline``: a run read back from its trace (roles over time, every log at any
  moment), for ``distlab.viz.raft`` (``raft_timeline``, ``raft_logs``, ``animate_raft``).

A first run::

    from distlab.raft import Cluster

    c = Cluster(3, seed=1)                 # three servers n1..n3 in a fresh Simulation
    leader = c.check_one_leader()          # run until one is elected
    index = c.one("x", expected=3)         # commit a command at all three
    c.sim.trace.outputs("role")            # every role change, from the trace

A key-value store with clients, and its verdict::

    c = Cluster(5, seed=2)
    c.add_clients(3, ops=10)
    c.crash(c.check_one_leader())
    c.wait_clients()
    c.check_safety()                       # raises ScenarioFailure on any violation

Trying a variant (the methods meant to be overridden are ``up_to_date``,
``consistency_check``, ``conflict_hint``, ``next_index_after_conflict``,
``can_commit``; any handler can be)::

    from distlab.raft import RaftServer, run_suite, sweep_class

    class Mine(RaftServer):
        def can_commit(self, index):
            return self.log.term_at(index) is not None   # forgets Figure 8
    print(run_suite(Mine, names=["figure8_paper", "figure8"]))
    print(sweep_class(Mine, range(20)))

Taught in notebooks 2.6 (elections), 2.7 (log replication and clients) and 2.8
(failures, snapshots and membership): the Raft project of Part 2.
"""

from . import checks, scenarios, sweep, timeline, variants
from .checks import Finding, check_all, check_history, check_trace, window
from .config import MembershipClient, MembershipMixin, config_at, latest_config
from .kv import KVClient, KVSnapshot, KVStateMachine
from .log import RaftLog
from .messages import (BUSY, NOOP, NOT_LEADER, OK, STATUSES, TIMEOUT, AddServer,
                       AppendEntries, AppendEntriesReply, ClientQuery, ClientReply,
                       ClientRequest, Command, Configuration, Entry, InstallSnapshot,
                       InstallSnapshotReply, MembershipReply, NoOp, RemoveServer, RequestVote,
                       RequestVoteReply, Snapshot)
from .scenarios import (SUITE, Cluster, ScenarioFailure, ScenarioResult, SuiteReport,
                        run_scenario, run_suite)
from .server import CANDIDATE, FOLLOWER, LEADER, READ_MODES, RaftServer
from .snapshot import SnapshotMixin
from .sweep import check_raft, run_chaos, sweep_class

__all__ = [
    # messages and log
    "Entry", "Command", "NoOp", "NOOP", "Configuration", "Snapshot",
    "RequestVote", "RequestVoteReply", "AppendEntries", "AppendEntriesReply",
    "InstallSnapshot", "InstallSnapshotReply", "ClientRequest", "ClientQuery", "ClientReply",
    "AddServer", "RemoveServer", "MembershipReply",
    "OK", "NOT_LEADER", "BUSY", "TIMEOUT", "STATUSES", "RaftLog",
    # the server and its parts
    "RaftServer", "FOLLOWER", "CANDIDATE", "LEADER", "READ_MODES",
    "MembershipMixin", "SnapshotMixin", "latest_config", "config_at",
    # state machine and clients
    "KVStateMachine", "KVSnapshot", "KVClient", "MembershipClient",
    # checking
    "Finding", "check_trace", "check_history", "check_all", "window",
    "Cluster", "ScenarioFailure", "ScenarioResult", "SuiteReport", "SUITE", "run_scenario",
    "run_suite", "check_raft", "run_chaos", "sweep_class",
    # submodules
    "checks", "scenarios", "sweep", "timeline", "variants",
]
