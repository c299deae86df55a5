"""``distlab.replication``: replication strategies and conflict resolution (notebook 2.9).

- ``primary_backup``: a primary ships its log to backups, synchronously or
  asynchronously, with optional (unsafe) failover;
- ``chain``: chain replication with a master (van Renesse & Schneider 2004);
- ``multileader``: leaders that accept writes and replicate asynchronously;
- ``quorum``: leaderless N/R/W quorums, strict or sloppy, read repair, hinted handoff;
- ``conflict``: last-writer-wins stamps and vector-clock versions with siblings;
- ``gossip``: a shopping cart as a gossiped OR-Set or 2P-Set (notebook 2.10);
- ``clients``: the clients (a log client, a key-value client with contexts);
- ``checks``: judging runs (linearizability of the log, lost appends, stale reads, lost
  updates, convergence) and chaos-style seed checks;
- ``experiments``: the chapter's ready-made runs and fault plans.
"""

from .chain import READS, Ack, ChainMaster, ChainServer, Forward, Ping, Pong, Update
from .checks import (CART_MODES, CHAIN_MODES, MULTILEADER_MODES, PB_MODES, QUORUM_MODES,
                     acknowledged_appends, check_cart, check_chain, check_multileader,
                     check_primary_backup, check_quorum, diverged, final_carts, judge_log,
                     last_final_read, log_linearizable, log_model, lost_appends, lost_updates,
                     missing_items, observed_only, stale_log_reads, stale_reads)
from .clients import (Append, AppendOk, Get, GetOk, KVClient, LogClient, Put, PutOk, Read,
                      ReadOk, Redirect, Unavailable)
from .conflict import Siblings, Stamp, Stamped, lww, lww_all, new_clock
from .experiments import (CART_PLAN, CHAIN_CRASHES, CHAIN_PARTITIONS, FAULTS_END, FINAL_READ,
                          MULTILEADER_PLAN, PB_PLAN, QUORUM_PLAN, RUN_END, cart_build, cart_run,
                          chain_build, chain_run, multileader_build, multileader_run, pb_build,
                          pb_run, quorum_build, quorum_run, skewed_clocks)
from .gossip import (CART_CRDTS, CartAdd, CartClient, CartOk, CartRead, CartRemove,
                     CartReplica, Gossip)
from .multileader import RESOLUTIONS, Leader, Sync
from .multileader import Replicate as LeaderReplicate
from .primary_backup import (MODES, Entry, NotPrimary, PrimaryBackupReplica, Replicate,
                             ReplicateOk)
from .quorum import (VERSIONS, Handoff, HandoffOk, QuorumNode, ReplicaRead, ReplicaReadOk,
                     ReplicaWrite, ReplicaWriteOk, merge_versions, version_values)

__all__ = [
    # primary-backup
    "MODES", "Entry", "Replicate", "ReplicateOk", "NotPrimary", "PrimaryBackupReplica",
    # chain
    "READS", "Update", "Forward", "Ack", "Ping", "Pong", "ChainServer", "ChainMaster",
    # multi-leader
    "RESOLUTIONS", "LeaderReplicate", "Sync", "Leader",
    # leaderless quorums
    "VERSIONS", "ReplicaRead", "ReplicaReadOk", "ReplicaWrite", "ReplicaWriteOk", "Handoff",
    "HandoffOk", "QuorumNode", "merge_versions", "version_values",
    # conflict resolution
    "Stamp", "Stamped", "lww", "lww_all", "Siblings", "new_clock",
    # a gossiped cart
    "CART_CRDTS", "CartAdd", "CartRemove", "CartRead", "CartOk", "CartReplica", "CartClient",
    "Gossip",
    # clients
    "Append", "Read", "AppendOk", "ReadOk", "Redirect", "LogClient", "Get", "Put", "GetOk",
    "PutOk", "Unavailable", "KVClient",
    # judging runs
    "log_model", "observed_only", "log_linearizable", "acknowledged_appends", "lost_appends",
    "stale_log_reads", "stale_reads", "judge_log", "lost_updates", "diverged", "final_carts",
    "last_final_read",
    "missing_items",
    # seed checks
    "PB_MODES", "CHAIN_MODES", "QUORUM_MODES", "MULTILEADER_MODES", "CART_MODES",
    "check_primary_backup", "check_chain", "check_quorum", "check_multileader", "check_cart",
    # ready-made runs
    "FAULTS_END", "FINAL_READ", "RUN_END", "PB_PLAN", "CHAIN_CRASHES", "CHAIN_PARTITIONS",
    "QUORUM_PLAN", "MULTILEADER_PLAN", "CART_PLAN", "pb_build", "pb_run", "chain_build",
    "chain_run", "skewed_clocks", "quorum_build", "quorum_run", "multileader_build",
    "multileader_run", "cart_build", "cart_run",
]
