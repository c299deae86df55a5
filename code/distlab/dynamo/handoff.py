"""Sloppy quorums and hinted handoff (DeCandia et al. 2007, §4.6).

A **strict quorum** sends a key's reads and writes to its ``N`` replicas, the first
``N`` nodes of its preference list, and needs ``R`` (or ``W``) of *them* to answer:
when too many of them are unreachable the request fails. A **sloppy quorum** sends
them to the first ``N`` *healthy* nodes met walking the ring clockwise from the key:
when an owner is down or cut off, the next node stands in for it (a *fallback*). The
fallback stores the write apart, with a **hint** naming the owner it was meant for,
and keeps offering it to that owner (``Handoff``) until the owner confirms; then it
drops its copy. Writes stay available during a partition on whatever side a client
is, at the price of consistency: the ``W`` nodes that took a write and the ``R`` nodes
a later read asks need not overlap, even when ``R + W > N``.

``sloppy_targets`` is the rule that picks the nodes (pure, shown in notebook 2.12);
``HintedHandoff`` is the part of ``DynamoNode`` that keeps hints and hands them off.
Taught in notebooks 2.12 and 2.13.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .messages import Handoff, HandoffOk
from .versions import Version, digest

__all__ = ["strict_targets", "sloppy_targets", "fallback_for", "HintedHandoff"]


def strict_targets(walk: Sequence[str], n: int) -> dict[str, str | None]:
    """Strict quorum: the key's ``n`` owners, none of them standing in for another."""
    return {node: None for node in walk[:n]}


def sloppy_targets(walk: Sequence[str], n: int,
                   suspected: Collection[str]) -> dict[str, str | None]:
    """Sloppy quorum: the first ``n`` nodes of the walk not suspected to be down, each
    with the owner it stands in for (``None`` for an owner itself).

    Owners skipped because they are suspected are matched, in order, with the
    fallbacks that replace them (the "hint" of §4.6).
    """
    owners = list(walk[:n])
    targets = [node for node in walk if node not in suspected][:n]
    missing = [o for o in owners if o not in targets]
    fallbacks = [t for t in targets if t not in owners]
    hints: dict[str, str | None] = {t: None for t in targets}
    for fallback, owner in zip(fallbacks, missing):
        hints[fallback] = owner
    return hints


def fallback_for(walk: Sequence[str], tried: Collection[str],
                 suspected: Collection[str]) -> str | None:
    """The next node of the walk that has not been tried and is not suspected."""
    for node in walk:
        if node not in tried and node not in suspected:
            return node
    return None


class HintedHandoff:
    """Hints kept by a fallback node, and their handoff (a mixin of ``DynamoNode``).

    Hints are durable (``hint/<owner>/<key>`` in storage), like the store itself: a
    fallback that crashes and restarts still owes them to their owners.
    """

    hints: dict[str, dict[str, tuple[Version, ...]]]   # key -> owner -> versions

    def store_hint(self, owner: str, key: str, versions: tuple[Version, ...]) -> None:
        per_key = self.hints.setdefault(key, {})
        merged = self.policy.merge(per_key.get(owner, ()), versions)
        if merged != per_key.get(owner):
            per_key[owner] = merged
            self.storage[f"hint/{owner}/{key}"] = merged
            self.output("hints", self.hint_count())
            self.arm_handoff()

    def drop_hint(self, owner: str, key: str) -> None:
        per_key = self.hints.get(key, {})
        if owner in per_key:
            del per_key[owner]
            if not per_key:
                del self.hints[key]
            del self.storage[f"hint/{owner}/{key}"]
            self.output("hints", self.hint_count())

    def hint_count(self) -> int:
        return sum(len(owners) for owners in self.hints.values())

    def hand_off(self) -> None:
        """Offer every hint to its owner; if the owner has left the ring, keep the data
        as this node's own (key transfer will then move it to the key's replicas)."""
        for key in sorted(self.hints):
            for owner in sorted(self.hints[key]):
                versions = self.hints[key][owner]
                if owner in self.ring.members:
                    self.send(owner, Handoff(key, versions))
                else:
                    self.merge_into_store(key, versions)
                    self.drop_hint(owner, key)

    def on_handoff(self, src: str, msg: Handoff) -> None:
        self.merge_into_store(msg.key, msg.versions)
        self.send(src, HandoffOk(msg.key, digest(msg.versions)))

    def on_handoff_ok(self, src: str, msg: HandoffOk) -> None:
        held = self.hints.get(msg.key, {}).get(src)
        if held is not None and digest(held) == msg.digest:
            self.drop_hint(src, msg.key)   # the owner has exactly what we held
