"""``distlab.dynamo``: a Dynamo-style key-value store (DeCandia et al. 2007).

A consistent-hashing ring with virtual nodes and preference lists (``ring``); ``N``
replicas per key with tunable read and write quorums ``R`` and ``W``; get, put and
delete (with tombstones) through any node (``node``); conflicts resolved by vector
clocks with siblings that clients reconcile, or by last-writer-wins (``versions``);
strict or sloppy quorums with hinted handoff (``handoff``); read repair; anti-entropy
with Merkle trees (``merkle``); membership by gossip, joins and leaves with key
transfer (``membership``). Clients record a history (``client``); checkers judge the
trace and the history (``checks``); ``sweep.check_kv`` runs it under chaos.

Taught in notebooks 2.12 ("Partition tolerance and CAP") and 2.13 ("Project: a
Dynamo-style key-value store"). This package imports neither matplotlib nor ipywidgets.
"""

from .checks import (ancestry, availability, check_convergence, check_durability,
                     check_register, final_stores, register_ops, stale_reads, writers)
from .client import KVClient, is_tombstone
from .cluster import add_client, add_operator, cluster, storage_nodes
from .handoff import HintedHandoff, fallback_for, sloppy_targets, strict_targets
from .membership import GossipMembership, Operator, members_of, merge_views
from .merkle import AntiEntropy, MerkleTree, build_tree, differing_leaves, leaf_of
from .messages import (CLIENT_REPLIES, Delete, Get, GetOk, Gossip, Handoff, HandoffOk, Join,
                       Leave, MerkleLevel, MerkleRoots, OperatorOk, Put, PutOk, ReplicaRead,
                       ReplicaReadOk, ReplicaWrite, ReplicaWriteOk, SyncLeaves, Timeout,
                       Transfer, TransferOk, Unavailable)
from .node import QUORUMS, READ_REPAIRS, Config, DynamoNode
from .ring import Ring, in_range, position
from .versions import (ACTORS, POLICIES, LastWriterWins, VectorClockVersions, Version,
                       context_of, descends, digest, fingerprint, policy, reconcile, visible)

__all__ = [
    # the ring
    "Ring", "position", "in_range",
    # versions
    "Version", "VectorClockVersions", "LastWriterWins", "policy", "POLICIES", "ACTORS",
    "reconcile", "descends", "context_of", "visible", "fingerprint", "digest",
    # nodes and their parts
    "Config", "DynamoNode", "QUORUMS", "READ_REPAIRS",
    "strict_targets", "sloppy_targets", "fallback_for", "HintedHandoff",
    "MerkleTree", "build_tree", "leaf_of", "differing_leaves", "AntiEntropy",
    "merge_views", "members_of", "GossipMembership", "Operator",
    # clients and clusters
    "KVClient", "is_tombstone", "cluster", "add_client", "add_operator", "storage_nodes",
    # messages
    "Get", "Put", "Delete", "GetOk", "PutOk", "Unavailable", "Timeout", "CLIENT_REPLIES",
    "ReplicaRead", "ReplicaReadOk", "ReplicaWrite", "ReplicaWriteOk", "Handoff",
    "HandoffOk", "Transfer", "TransferOk", "MerkleRoots", "MerkleLevel", "SyncLeaves",
    "Gossip", "Join", "Leave", "OperatorOk",
    # checkers
    "ancestry", "check_durability", "check_convergence", "final_stores", "register_ops",
    "check_register", "stale_reads", "availability", "writers",
]
