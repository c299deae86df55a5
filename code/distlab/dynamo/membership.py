"""Membership by gossip, and key transfer on joins and leaves (DeCandia et al. 2007,
§§4.8, 4.9).

Each node keeps a *view*: for every node it knows, ``(status, version)`` with status
``"up"`` (a member: its tokens are on the ring) or ``"left"``. Only a node changes
its own entry (an operator tells it to ``Join`` or ``Leave``), raising the version;
views merge entry by entry, the higher version winning, so they form a
join-semilattice and converge however gossip messages travel. Every ``gossip_every``
time units a node sends its view to a random member and the member answers with its
own (push-pull gossip; Demers et al. 1987). The ring is the set of members, so all
nodes compute the same ring once their views agree; a new node learns the ring from
the ``seeds`` the operator gives it.

When the ring changes, some nodes stop being among the first ``N`` of some keys'
preference lists. Such a node **transfers** each of those keys to the key's current
replicas and deletes its own copy only once all of them have confirmed holding what it
sent (§4.9: "after confirmation, remove"). A node never drops data it has not handed
over, so a join or a leave cannot lose an acknowledged write, even while views
disagree.

``GossipMembership`` is the part of ``DynamoNode`` that does this; ``Operator`` is the
administrator who issues joins and leaves (and retries until confirmed). Taught in
notebook 2.13.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import Node
from .messages import Gossip, Join, Leave, OperatorOk, Transfer, TransferOk
from .ring import Ring
from .versions import Version, digest

__all__ = ["merge_views", "members_of", "GossipMembership", "Operator"]

View = dict[str, tuple[str, int]]


def merge_views(mine: View, theirs: Sequence[tuple[str, str, int]]) -> tuple[View, bool]:
    """Merge a gossiped view into mine: per node, the entry with the higher version."""
    out = dict(mine)
    changed = False
    for node, status, version in theirs:
        if node not in out or version > out[node][1]:
            out[node] = (status, version)
            changed = True
    return out, changed


def members_of(view: View) -> tuple[str, ...]:
    """The nodes a view says are members (status ``"up"``), sorted."""
    return tuple(sorted(n for n, (status, _) in view.items() if status == "up"))


class GossipMembership:
    """Gossip of membership views and the key transfers that follow ring changes."""

    view: View
    store: dict[str, tuple[Version, ...]]

    # --- views and the ring ------------------------------------------------------------
    def set_view(self, view: View) -> None:
        """Adopt ``view`` (durably); rebuild the ring if the members changed."""
        self.view = view
        self._view_tuple = tuple(sorted((n, s, v) for n, (s, v) in view.items()))
        self.storage["members"] = self._view_tuple
        members = members_of(view)
        if members != self.ring.members:
            self.ring = Ring(members, self.config.vnodes)
            self._trees.clear()
            self.output("ring", members)
            self.rebalance()
            self.arm_handoff()

    def view_tuple(self) -> tuple[tuple[str, str, int], ...]:
        """My view as gossip carries it: sorted ``(node, status, version)`` triples."""
        if self._view_tuple is None:
            self._view_tuple = tuple(sorted((n, s, v) for n, (s, v) in self.view.items()))
        return self._view_tuple

    def gossip_round(self) -> None:
        """Send my view to a random member (or a seed, before I know any)."""
        known = [n for n in self.ring.members if n != self.id] or \
                [n for n in self.seeds if n != self.id]
        if known and (self.id in self.view):
            self.send(self.rng.choice(known), Gossip(self.view_tuple()))

    def on_gossip(self, src: str, msg: Gossip) -> None:
        if msg.view != self.view_tuple():
            merged, changed = merge_views(self.view, msg.view)
            if changed:
                self.set_view(merged)
        if not msg.reply:
            self.send(src, Gossip(self.view_tuple(), reply=True))

    # --- operator commands ---------------------------------------------------------------
    def on_join(self, src: str, msg: Join) -> None:
        status, version = self.view.get(self.id, ("none", 0))
        if status != "up":
            self.seeds = tuple(msg.seeds)
            self.storage["seeds"] = self.seeds
            view = dict(self.view)
            view[self.id] = ("up", version + 1)
            self.set_view(view)
            self.gossip_round()
        self.send(src, OperatorOk("join"))

    def on_leave(self, src: str, msg: Leave) -> None:
        status, version = self.view.get(self.id, ("none", 0))
        if status == "up":
            view = dict(self.view)
            view[self.id] = ("left", version + 1)
            self.set_view(view)
            self.gossip_round()
        self.send(src, OperatorOk("leave"))

    # --- key transfer ---------------------------------------------------------------------
    def owns(self, key: str) -> bool:
        return self.id in self.ring.preference_list(key, self.config.n)

    def rebalance(self) -> None:
        """Send each key I hold but no longer replicate to its replicas; delete it once
        they all confirmed holding exactly what I have."""
        for key in sorted(self.store):
            if self.owns(key):
                self._transferred.pop(key, None)
                continue
            owners = self.ring.preference_list(key, self.config.n)
            if not owners:
                continue  # no ring (yet): keep everything
            current = digest(self.store[key])
            confirmed = self._transferred.setdefault(key, {})
            waiting = [o for o in owners if confirmed.get(o) != current]
            if not waiting:
                self.drop_from_store(key)
                del self._transferred[key]
                continue
            for owner in waiting:
                self.send(owner, Transfer(key, self.store[key]))

    def on_transfer(self, src: str, msg: Transfer) -> None:
        self.merge_into_store(msg.key, msg.versions)
        self.send(src, TransferOk(msg.key, digest(msg.versions)))

    def on_transfer_ok(self, src: str, msg: TransferOk) -> None:
        if msg.key in self.store:
            self._transferred.setdefault(msg.key, {})[src] = msg.digest
            owners = self.ring.preference_list(msg.key, self.config.n)
            current = digest(self.store[msg.key])
            if (not self.owns(msg.key) and owners
                    and all(self._transferred[msg.key].get(o) == current for o in owners)):
                self.drop_from_store(msg.key)
                del self._transferred[msg.key]


class Operator(Node):
    """An administrator: at each ``(time, node, command)`` of ``script`` it tells
    ``node`` to ``"join"`` (with ``seeds``) or ``"leave"``, resending every ``retry``
    time units until the node confirms."""

    def __init__(self, script: Sequence[tuple[float, str, str]],
                 seeds: Sequence[str] = (), retry: float = 15.0) -> None:
        for item in script:
            if len(item) != 3 or item[2] not in ("join", "leave"):
                raise ValueError(f"script items are (time, node, 'join' or 'leave'), "
                                 f"got {item!r}")
        self.script = sorted(script, key=lambda item: item[0])
        self.seeds = tuple(seeds)
        self.retry = retry
        self.pending: dict[str, str] = {}

    def on_start(self) -> None:
        if self.incarnation == 0:
            for i, (t, _, _) in enumerate(self.script):
                self.set_timer(max(0.0, t - self.now), "command", i)

    def _send(self, node: str, command: str) -> None:
        self.send(node, Join(self.seeds) if command == "join" else Leave())

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "command":
            _, node, command = self.script[payload]
            self.pending[node] = command
            self._send(node, command)
            self.set_timer(self.retry, "retry", node)
        elif name == "retry" and payload in self.pending:
            self._send(payload, self.pending[payload])
            self.set_timer(self.retry, "retry", payload)

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, OperatorOk) and self.pending.get(src) == msg.command:
            del self.pending[src]
