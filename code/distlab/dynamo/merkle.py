"""Anti-entropy with Merkle trees (Merkle 1987; DeCandia et al. 2007, §4.7).

Hinted handoff repairs what a fallback node saw; what nobody saw (a replica that was
down and whose hint was lost, a read repair that never happened) is repaired by
**anti-entropy**: two replicas of a key range compare their contents and exchange
what differs. Sending every key to compare would cost as much as the data. A
**Merkle tree** is a tree of hashes: each leaf hashes the keys (and versions) of one
bucket, each inner node hashes its two children, the root summarises the whole range.
Two replicas first compare roots (one hash per range: equal roots mean, up to a hash
collision, equal data); where the roots differ they descend, one level per message,
only into the subtrees whose hashes differ, and at the leaves they send each other the
keys of the differing buckets only. With ``k`` differing keys out of ``K``, the
exchange costs about ``k · depth`` hashes instead of ``K`` keys.

``build_tree`` and ``differing_leaves`` are pure functions (notebook 2.13 draws them);
``AntiEntropy`` is the part of ``DynamoNode`` that runs the exchange: every
``anti_entropy_every`` time units a node picks the next peer (round-robin) with which it
shares key ranges and sends the roots of those ranges (``MerkleRoots``); the two sides
then alternate ``MerkleLevel`` messages down to ``SyncLeaves``, after which both hold
the merge of their versions for those buckets. Trees are rebuilt lazily after a write.
Taught in notebook 2.13.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .messages import MerkleLevel, MerkleRoots, SyncLeaves
from .ring import in_range, position
from .versions import Version, digest

__all__ = ["MerkleTree", "build_tree", "leaf_of", "differing_leaves", "hash_text",
           "AntiEntropy"]


def hash_text(text: str) -> str:
    """A short SHA-1 hash (12 hex digits) of ``text``."""
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def leaf_of(key: str, depth: int) -> int:
    """The leaf (bucket) a key falls in: the low ``depth`` bits of its hash."""
    return position(key) & ((1 << depth) - 1)


@dataclass(frozen=True)
class MerkleTree:
    """A complete binary tree of hashes; ``levels[0]`` is ``(root,)``, ``levels[depth]``
    the ``2**depth`` leaves; node ``i`` of level ``l`` has children ``2i`` and ``2i+1``."""

    depth: int
    levels: tuple[tuple[str, ...], ...]
    buckets: tuple[tuple[str, ...], ...]   # the keys of each leaf, sorted

    @property
    def root(self) -> str:
        return self.levels[0][0]

    def hashes(self, level: int, indices: Sequence[int]) -> tuple[tuple[int, str], ...]:
        """``(index, hash)`` of the given nodes of one level."""
        return tuple((i, self.levels[level][i]) for i in indices)


def build_tree(entries: Mapping[str, str], depth: int = 3) -> MerkleTree:
    """The Merkle tree of ``{key: digest of its versions}`` with ``2**depth`` leaves.

    A leaf hashes its keys and digests in key order; an inner node hashes the
    concatenation of its children's hashes.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 16:
        raise ValueError(f"depth must be an int between 0 and 16, got {depth!r}")
    return _build(tuple(sorted(entries.items())), depth)


@lru_cache(maxsize=4096)
def _build(entries: tuple[tuple[str, str], ...], depth: int) -> MerkleTree:
    # Trees are values: the same entries give the same tree, so it is built once.
    found = dict(entries)
    buckets: list[list[str]] = [[] for _ in range(1 << depth)]
    for key, _ in entries:
        buckets[leaf_of(key, depth)].append(key)
    leaves = tuple(hash_text(";".join(f"{k}={found[k]}" for k in b)) for b in buckets)
    levels = [leaves]
    while len(levels[0]) > 1:
        below = levels[0]
        levels.insert(0, tuple(hash_text(below[2 * i] + below[2 * i + 1])
                               for i in range(len(below) // 2)))
    return MerkleTree(depth, tuple(levels), tuple(tuple(b) for b in buckets))


def differing_leaves(a: MerkleTree, b: MerkleTree) -> tuple[list[int], int]:
    """The leaves where two trees differ, found by descending only into differing
    subtrees, and how many hashes were compared on the way."""
    if a.depth != b.depth:
        raise ValueError(f"trees of different depths ({a.depth} and {b.depth}) do not compare")
    frontier, compared = [0], 0
    for level in range(a.depth + 1):
        compared += len(frontier)
        frontier = [i for i in frontier if a.levels[level][i] != b.levels[level][i]]
        if level < a.depth:
            frontier = [c for i in frontier for c in (2 * i, 2 * i + 1)]
    return frontier, compared


class AntiEntropy:
    """The anti-entropy part of ``DynamoNode`` (a mixin: it uses the node's ``store``,
    ``ring``, ``config`` and ``merge_into_store``)."""

    store: dict[str, tuple[Version, ...]]

    def _tree(self, lo: int, hi: int) -> MerkleTree:
        tree = self._trees.get((lo, hi))
        if tree is None:
            entries = {k: digest(v) for k, v in self.store.items()
                       if in_range(position(k), lo, hi)}
            tree = self._trees[(lo, hi)] = build_tree(entries, self.config.merkle_depth)
        return tree

    def _entries(self, tree: MerkleTree, leaves: Sequence[int]) -> tuple[tuple[str, Any], ...]:
        return tuple((k, self.store[k]) for i in leaves for k in tree.buckets[i])

    def anti_entropy_round(self) -> None:
        """Start an exchange with the next peer that shares key ranges with this node."""
        n = self.config.n
        peers = self.ring.peers(self.id, n)
        if not peers:
            return
        peer = peers[self._ae_turn % len(peers)]
        self._ae_turn += 1
        shared = self.ring.shared_ranges(self.id, peer, n)
        self.send(peer, MerkleRoots(tuple((lo, hi, self._tree(lo, hi).root)
                                          for lo, hi in shared)))

    def on_merkle_roots(self, src: str, msg: MerkleRoots) -> None:
        for lo, hi, root in msg.roots:
            mine = self._tree(lo, hi)
            if mine.root != root:
                self._descend(src, lo, hi, 0, [0], mine)

    def on_merkle_level(self, src: str, msg: MerkleLevel) -> None:
        mine = self._tree(msg.lo, msg.hi)
        differing = [i for i, h in msg.hashes if mine.levels[msg.level][i] != h]
        if differing:
            self._descend(src, msg.lo, msg.hi, msg.level, differing, mine)

    def _descend(self, src: str, lo: int, hi: int, level: int, differing: list[int],
                 mine: MerkleTree) -> None:
        """The nodes ``differing`` of ``level`` differ: send the peer my hashes one level
        down, or, at the leaves, my keys of the differing buckets."""
        if level == mine.depth:
            self.send(src, SyncLeaves(lo, hi, tuple(differing),
                                      self._entries(mine, differing), reply=True))
            return
        children = [c for i in differing for c in (2 * i, 2 * i + 1)]
        self.send(src, MerkleLevel(lo, hi, level + 1, mine.hashes(level + 1, children)))

    def on_sync_leaves(self, src: str, msg: SyncLeaves) -> None:
        for key, versions in msg.entries:
            self.merge_into_store(key, versions)
        if msg.reply:
            mine = self._tree(msg.lo, msg.hi)
            self.send(src, SyncLeaves(msg.lo, msg.hi, msg.leaves,
                                      self._entries(mine, msg.leaves), reply=False))
