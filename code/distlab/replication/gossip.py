"""A replicated shopping cart: an OR-Set (or a 2P-Set) gossiped between replicas.

The approach of ``distlab.counter.gossip`` (notebook 1.5) applied to a set: each
replica applies its clients' ``add`` / ``remove`` to its own copy of a state-based CRDT
(``distlab.crdt``), acknowledges at once, and every ``gossip_every`` sends its whole
state to its peers (the same ``Gossip`` message), which merge it. The merge is a join,
so loss, duplication, reordering and partitions only delay convergence; crashes lose
nothing that was acknowledged, because the state is durable (Shapiro et al. 2011, §2.2;
Dynamo's shopping cart, DeCandia et al. 2007, §4.4, is the motivating example).

With ``crdt="orset"`` an item removed and added again is back (add wins); with
``crdt="2pset"`` it is not (remove wins, for good), which a shopper notices.

Clients speak ``CartAdd`` / ``CartRemove`` / ``CartRead``; replicas answer ``CartOk``
and report their cart in the trace (output ``"cart"``) whenever it changes. Taught in
notebook 2.10.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..counter.gossip import Gossip
from ..crdt import ORSet, StateCRDT, TwoPSet
from ..sim import Node
from ..sim import _check

__all__ = ["CART_CRDTS", "CartAdd", "CartRemove", "CartRead", "CartOk", "CartReplica",
           "CartClient", "Gossip"]

CART_CRDTS = ("orset", "2pset")


@dataclass(frozen=True, slots=True)
class CartAdd:
    req: int
    item: str


@dataclass(frozen=True, slots=True)
class CartRemove:
    req: int
    item: str


@dataclass(frozen=True, slots=True)
class CartRead:
    req: int


@dataclass(frozen=True, slots=True)
class CartOk:
    """Replica -> client: done; ``items`` is the cart after the operation."""

    req: int
    items: tuple


class CartReplica(Node):
    """A cart replica: a set CRDT, updated locally and gossiped whole.

    Parameters
    ----------
    replicas
        Every replica's id (this one included).
    crdt
        ``"orset"`` (observed-remove: add wins) or ``"2pset"`` (two-phase: remove wins).
    gossip_every
        Time between gossip rounds; ``fanout``: peers per round (``None``: all).
    """

    def __init__(self, replicas: Sequence[str], *, crdt: str = "orset",
                 gossip_every: float = 20.0, fanout: int | None = None) -> None:
        if isinstance(replicas, str):
            raise TypeError("replicas must be a list of node ids, not a string")
        self.replicas = tuple(_check.node_id("replicas", r) for r in replicas)
        self.kind = _check.one_of("crdt", crdt, CART_CRDTS)
        self.gossip_every = _check.number("gossip_every", gossip_every, minimum=0.0,
                                          strict_min=True)
        if fanout is not None:
            _check.integer("fanout", fanout, minimum=1)
        self.fanout = fanout
        self.cart: StateCRDT = ORSet() if crdt == "orset" else TwoPSet()

    def on_start(self) -> None:
        stored = self.storage.get("cart")
        if stored is not None:
            self.cart = stored
        self.output("cart", self.cart.value())
        self.set_timer(self.rng.uniform(0.0, self.gossip_every), "gossip")

    def _update(self, new: StateCRDT) -> None:
        if new != self.cart:
            self.cart = new
            self.storage["cart"] = new
            self.output("cart", new.value())

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, CartAdd):
            if self.kind == "orset":
                self._update(self.cart.add(msg.item, self.id))  # type: ignore[attr-defined]
            else:
                self._update(self.cart.add(msg.item))  # type: ignore[attr-defined]
            self.send(src, CartOk(msg.req, self.cart.value()))
        elif isinstance(msg, CartRemove):
            if self.cart.lookup(msg.item):  # type: ignore[attr-defined]
                self._update(self.cart.remove(msg.item))  # type: ignore[attr-defined]
            self.send(src, CartOk(msg.req, self.cart.value()))
        elif isinstance(msg, CartRead):
            self.send(src, CartOk(msg.req, self.cart.value()))
        elif isinstance(msg, Gossip) and type(msg.state) is type(self.cart):
            self._update(self.cart.merge(msg.state))

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "gossip":
            return
        peers = tuple(r for r in self.replicas if r != self.id)
        if self.fanout is not None and self.fanout < len(peers):
            peers = tuple(sorted(self.rng.sample(peers, self.fanout)))
        for peer in peers:
            self.send(peer, Gossip(self.cart))
        self.set_timer(self.gossip_every, "gossip")

    def state(self) -> dict[str, Any]:
        return {"cart": list(self.cart.value()), "size": self.cart.size()}


class CartClient(Node):
    """A shopper at one replica: adds, removes and reads items of ``catalog``.

    History: ``add`` / ``remove`` with the item as input, ``read`` with the items as
    output; an unanswered request is ``info``. ``script`` (a list of
    ``(time, "add" | "remove" | "read", item)``) replaces the random choices.
    """

    def __init__(self, replica: str, *, catalog: Sequence[str] = ("apples", "bread", "milk"),
                 ops: int = 8, remove_ratio: float = 0.3, think: float = 15.0,
                 timeout: float = 50.0, script: Sequence[tuple[float, str, Any]] = ()) -> None:
        self.replica = _check.node_id("replica", replica)
        self.catalog = tuple(catalog)
        self.ops = _check.integer("ops", ops, minimum=0)
        self.remove_ratio = _check.probability("remove_ratio", remove_ratio)
        self.think = _check.number("think", think, minimum=0.0)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        for step in script:
            if len(step) != 3 or step[1] not in ("add", "remove", "read"):
                raise ValueError(f"each script step is (time, 'add'|'remove'|'read', item), "
                                 f"got {step!r}")
        self.script = tuple(script)
        self.done = 0
        self._req = 0
        self._open: tuple[int, str, Any] | None = None

    def on_start(self) -> None:
        if self.incarnation > 0:
            return
        if self.script:
            for i, (at, _, _) in enumerate(self.script):
                self.set_timer(max(0.0, at - self.now), "step", i)
        elif self.ops:
            self.set_timer(self.rng.uniform(0, self.think), "next")

    def _issue(self, f: str, item: Any) -> None:
        if self._open is not None:
            return  # one operation at a time
        self._req += 1
        self._open = (self._req, f, item)
        self.record("invoke", f, item if f != "read" else None)
        msg = {"add": CartAdd, "remove": CartRemove}.get(f)
        self.send(self.replica, msg(self._req, item) if msg else CartRead(self._req))
        self.set_timer(self.timeout, "timeout", self._req)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "step":
            _, f, item = self.script[payload]
            self._issue(f, item)
        elif name == "next" and self._open is None:
            r = self.rng.random()
            f = "remove" if r < self.remove_ratio else ("read" if r < 0.5 else "add")
            self._issue(f, self.rng.choice(self.catalog))
        elif name == "timeout" and self._open is not None and self._open[0] == payload:
            _, f, item = self._open
            self.record("info", f, item if f != "read" else None)
            self._finish()

    def _finish(self) -> None:
        self._open = None
        self.cancel_timer("timeout")
        self.done += 1
        if not self.script and self.done < self.ops:
            self.set_timer(self.rng.uniform(0.5, 1.5) * self.think, "next")

    def on_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, CartOk) or self._open is None or msg.req != self._open[0]:
            return
        _, f, item = self._open
        self.record("ok", f, tuple(msg.items) if f == "read" else item)
        self._finish()
