"""Single-decree Paxos, the Synod protocol (Lamport 1998, §2; Lamport 2001, §2).

One node class plays the three roles of "Paxos Made Simple": every node is a
**learner**; the nodes named in ``acceptors`` are **acceptors**; a node given a
``value`` is a **proposer** of it.

- Phase 1. A proposer picks a ballot higher than any it has used or seen, writes its
  round to durable storage (§2.2: a proposer "must remember the highest-numbered
  proposal it has tried to issue") and sends ``Prepare(b)``. An acceptor promises
  ``b`` if it has not promised a higher ballot (``may_promise``), persists the promise,
  and answers ``Promise(b, accepted ballot, accepted value)``.
- Phase 2. With promises from a majority, the proposer sends ``Accept(b, v)`` where
  ``v`` is the value of the highest-numbered proposal among the promises, or its own
  value if there is none (``choose_value``: the rule that makes Paxos safe). An
  acceptor accepts unless it promised a higher ballot (``may_accept``), persists, and
  sends ``Accepted(b, v)`` to every learner.
- A learner learns ``v`` when a majority of acceptors accepted the same ballot.

Acceptor state is durable, written before the reply leaves (the runtime applies
storage writes before a handler's messages), so an acceptor that crashes and restarts
keeps its promises. ``durable=False`` makes a *volatile acceptor* that forgets them:
notebook 2.4 and the ``"volatile"`` sweep show it breaking agreement.

Liveness needs more than this (Fischer, Lynch & Paterson 1985): proposers that keep
preempting each other never finish. ``backoff`` chooses what a preempted proposer
does: ``"none"`` (retry at once: duels can last forever), ``"random"`` (wait a random,
exponentially growing time) or ``"leader"`` (only a distinguished proposer, the
lowest-id one heard from recently, proposes: Lamport 2001, §2.4). Lost messages are
retried after ``timeout``; an undecided learner asks the others (``Query``) every
``query_every``.

Taught in notebook 2.4.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..sim import Network, Node, Simulation
from .messages import (ZERO, Accept, Accepted, Ballot, Chosen, Heartbeat, Nack, Prepare,
                       Promise, Query)

__all__ = ["SynodNode", "may_promise", "may_accept", "choose_value", "build_synod",
           "BACKOFFS"]

BACKOFFS = ("none", "random", "leader")
_UNDECIDED = object()


# --- the rules -------------------------------------------------------------------------------
def may_promise(promised: Ballot, ballot: Ballot) -> bool:
    """An acceptor answers ``Prepare(ballot)`` with a promise unless it has promised a
    higher ballot (Lamport 2001, §2.2). An equal ballot is a duplicate of a Prepare it
    already promised: it gets the same answer again."""
    return ballot >= promised


def may_accept(promised: Ballot, ballot: Ballot) -> bool:
    """An acceptor accepts ``Accept(ballot, v)`` unless it has promised a higher ballot
    (Lamport 2001, §2.2, P1a)."""
    return ballot >= promised


def choose_value(promises: Iterable[tuple[Ballot, Any]], own: Any) -> Any:
    """The value a proposer sends in phase 2, given a majority's promises.

    Each promise is ``(accepted ballot, accepted value)``, with ``ZERO`` when that
    acceptor accepted nothing. The value of the highest-numbered accepted proposal
    wins; only if no acceptor in the majority accepted anything may the proposer use
    its own value (Lamport 2001, §2.2, P2c).
    """
    best_ballot, best_value = ZERO, None
    for ballot, value in promises:
        if ballot > best_ballot:
            best_ballot, best_value = ballot, value
    return own if best_ballot == ZERO else best_value


# --- the node ----------------------------------------------------------------------------------
class SynodNode(Node):
    """Proposer (if given a ``value``), acceptor (if named in ``acceptors``) and learner.

    Parameters
    ----------
    acceptors
        Ids of the acceptors; a majority of them is a quorum.
    value
        The value this node proposes (``None``: it does not propose).
    proposers
        Ids of every proposer (needed by ``backoff="leader"``).
    timeout
        A ballot without a decision after this long is abandoned for a higher one.
    backoff
        What a preempted proposer does: ``"none"``, ``"random"`` or ``"leader"``.
    backoff_base, backoff_cap
        Random backoff waits ``uniform(0, min(cap, base * 2**k))`` after the k-th
        preemption in a row.
    durable
        Acceptor and learner state survive crashes (``False``: a volatile node that
        forgets its promises, what it accepted and what it learned).
    start
        When the proposer starts its first ballot.
    heartbeat, leader_timeout
        Distinguished proposer: heartbeat period, and how long silence means "gone".
    query_every
        How often an undecided learner asks the others whether they learned a value.
    """

    may_promise = staticmethod(may_promise)
    may_accept = staticmethod(may_accept)
    choose_value = staticmethod(choose_value)

    def __init__(self, acceptors: Sequence[str], value: Any = None, *,
                 proposers: Sequence[str] = (), timeout: float = 60.0,
                 backoff: str = "random", backoff_base: float = 10.0,
                 backoff_cap: float = 160.0, durable: bool = True, start: float = 0.0,
                 heartbeat: float = 10.0, leader_timeout: float = 35.0,
                 query_every: float | None = None) -> None:
        if isinstance(acceptors, str) or not acceptors:
            raise ValueError(f"acceptors must be a non-empty list of node ids, got {acceptors!r}")
        if backoff not in BACKOFFS:
            raise ValueError(f"backoff must be one of {BACKOFFS}, got {backoff!r}")
        for name, v in (("timeout", timeout), ("backoff_base", backoff_base),
                        ("backoff_cap", backoff_cap), ("heartbeat", heartbeat),
                        ("leader_timeout", leader_timeout)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        if isinstance(start, bool) or not isinstance(start, (int, float)) or start < 0:
            raise ValueError(f"start must be a non-negative number, got {start!r}")
        self.acceptors = tuple(acceptors)
        self.value = value
        self.proposers = tuple(proposers)
        self.timeout = float(timeout)
        self.backoff = backoff
        self.backoff_base = float(backoff_base)
        self.backoff_cap = float(backoff_cap)
        self.durable = bool(durable)
        self.start = float(start)
        self.heartbeat = float(heartbeat)
        self.leader_timeout = float(leader_timeout)
        self.query_every = 3 * self.timeout if query_every is None else float(query_every)
        self.quorum = len(self.acceptors) // 2 + 1
        # What a state table shows before on_start has recovered the real state.
        self.promised, self.accepted, self.accepted_value = ZERO, ZERO, None
        self.decided: Any = _UNDECIDED
        self.ballot, self.phase = ZERO, 0

    # --- start and recovery ----------------------------------------------------------------
    def on_start(self) -> None:
        if self.id not in self.nodes:  # pragma: no cover - the runtime guarantees it
            raise RuntimeError("started outside a simulation")
        missing = [a for a in self.acceptors if a not in self.nodes]
        if missing:
            raise ValueError(f"acceptors {missing} are not nodes of this simulation")
        # Acceptor state (durable unless this is the volatile variant).
        saved = self.storage.get("acceptor") if self.durable else None
        self.promised, self.accepted, self.accepted_value = saved or (ZERO, ZERO, None)
        # Learner state (durable too, unless this is the volatile variant).
        self.decided = self.storage.get("decided", _UNDECIDED) if self.durable \
            else _UNDECIDED
        self.votes: dict[Ballot, set[str]] = {}
        # Proposer state: the round is durable (never reuse a ballot after a restart).
        self.round = self.storage.get("round", 0)
        self.seen_round = self.round
        self.ballot = ZERO
        self.phase = 0                       # 0 idle, 1 preparing, 2 accepting
        self.promises: dict[str, tuple[Ballot, Any]] = {}
        self.preempted = 0
        self.heard = {p: self.now for p in self.proposers}
        if self.is_proposer:
            self.output("propose", self.value)
            if self.decided is _UNDECIDED:
                self.set_timer(self.start if self.incarnation == 0 else 0.0, "start")
            if self.backoff == "leader":
                self.set_timer(0.0, "beat")
        if self.decided is _UNDECIDED:
            self.set_timer(self.query_every, "query")

    @property
    def is_proposer(self) -> bool:
        return self.value is not None

    # --- proposer --------------------------------------------------------------------------
    def leader(self) -> str:
        """The distinguished proposer as this node sees it: the lowest-id proposer
        heard from within ``leader_timeout`` (a simple Omega failure detector)."""
        alive = [p for p in self.proposers
                 if p == self.id or self.now - self.heard.get(p, -math.inf) <= self.leader_timeout]
        return min(alive) if alive else self.id

    def new_ballot(self) -> None:
        """Phase 1a: a ballot above every round used or seen; persist, then Prepare."""
        if self.decided is not _UNDECIDED:
            return
        if self.backoff == "leader" and self.leader() != self.id:
            self.phase = 0
            self.cancel_timer("retry")
            self.set_timer(self.heartbeat, "retry", None)  # check again later
            return
        self.round = max(self.round, self.seen_round) + 1
        self.storage["round"] = self.round
        self.ballot = Ballot(self.round, self.id)
        self.phase = 1
        self.promises = {}
        self.output("ballot", self.ballot)
        self.broadcast(Prepare(self.ballot), to=self.acceptors,
                       include_self=self.id in self.acceptors)
        self.cancel_timer("retry")
        self.set_timer(self.timeout, "retry", self.ballot)

    def on_promise(self, src: str, msg: Promise) -> None:
        if self.phase != 1 or msg.ballot != self.ballot or src not in self.acceptors:
            return
        self.promises[src] = (msg.accepted, msg.value)
        if len(self.promises) >= self.quorum:
            value = self.choose_value(list(self.promises.values()), self.value)
            self.phase = 2
            self.preempted = 0
            self.broadcast(Accept(self.ballot, value), to=self.acceptors,
                           include_self=self.id in self.acceptors)

    def on_nack(self, src: str, msg: Nack) -> None:
        self.seen_round = max(self.seen_round, msg.promised.round)
        if msg.ballot != self.ballot or self.phase == 0:
            return
        # Preempted: abandon this ballot (Lamport 2001, §2.3) and try again later.
        self.phase = 0
        self.preempted += 1
        self.cancel_timer("retry")
        if self.backoff == "random":
            wait = self.rng.uniform(0, min(self.backoff_cap,
                                           self.backoff_base * 2 ** (self.preempted - 1)))
            self.set_timer(wait, "backoff")
        else:
            self.new_ballot()

    # --- acceptor --------------------------------------------------------------------------
    def _save(self) -> None:
        if self.durable:
            self.storage["acceptor"] = (self.promised, self.accepted, self.accepted_value)

    def on_prepare(self, src: str, msg: Prepare) -> None:
        if self.decided is not _UNDECIDED:
            self.send(src, Chosen(self.decided))  # no need to go on: tell it the value
            return
        if self.may_promise(self.promised, msg.ballot):
            self.promised = msg.ballot
            self._save()                                   # persist, then answer
            self.send(src, Promise(msg.ballot, self.accepted, self.accepted_value))
        else:
            self.send(src, Nack(msg.ballot, self.promised))

    def on_accept(self, src: str, msg: Accept) -> None:
        if self.may_accept(self.promised, msg.ballot):
            self.promised = msg.ballot
            self.accepted, self.accepted_value = msg.ballot, msg.value
            self._save()                                   # persist, then answer
            self.broadcast(Accepted(msg.ballot, msg.value), to=self.nodes, include_self=True)
        else:
            self.send(src, Nack(msg.ballot, self.promised))

    # --- learner ---------------------------------------------------------------------------
    def on_accepted(self, src: str, msg: Accepted) -> None:
        if src not in self.acceptors:
            return
        self.seen_round = max(self.seen_round, msg.ballot.round)
        voters = self.votes.setdefault(msg.ballot, set())
        voters.add(src)
        if len(voters) >= self.quorum:
            self.learn(msg.value)

    def learn(self, value: Any) -> None:
        """A majority accepted ``value`` in one ballot (or a learner said so)."""
        if self.decided is not _UNDECIDED:
            return
        self.decided = value
        if self.durable:
            self.storage["decided"] = value
        self.output("decide", value)
        self.phase = 0
        for name in ("start", "retry", "backoff", "query", "beat"):
            self.cancel_timer(name)

    # --- dispatch --------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Prepare):
            if self.id in self.acceptors:
                self.on_prepare(src, msg)
        elif isinstance(msg, Promise):
            self.on_promise(src, msg)
        elif isinstance(msg, Accept):
            if self.id in self.acceptors:
                self.on_accept(src, msg)
        elif isinstance(msg, Accepted):
            self.on_accepted(src, msg)
        elif isinstance(msg, Nack):
            self.on_nack(src, msg)
        elif isinstance(msg, Chosen):
            self.learn(msg.value)
        elif isinstance(msg, Query):
            if self.decided is not _UNDECIDED:
                self.send(src, Chosen(self.decided))
        elif isinstance(msg, Heartbeat):
            self.heard[src] = self.now

    def on_timer(self, name: str, payload: Any) -> None:
        if name in ("start", "backoff"):
            self.new_ballot()
        elif name == "retry" and (payload is None or payload == self.ballot):
            self.new_ballot()       # a lost message, a silent majority, or a new leader
        elif name == "beat":
            self.broadcast(Heartbeat(), to=[p for p in self.proposers if p != self.id])
            self.set_timer(self.heartbeat, "beat")
        elif name == "query" and self.decided is _UNDECIDED:
            self.broadcast(Query())
            self.set_timer(self.query_every, "query")

    # --- what state tables show -----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        st: dict[str, Any] = {}
        if self.is_proposer:
            st["ballot"] = self.ballot
            st["phase"] = ("idle", "1 (prepare)", "2 (accept)")[self.phase]
        if self.id in self.acceptors:
            st["promised"] = self.promised
            st["accepted"] = "—" if self.accepted == ZERO else \
                f"({self.accepted}, {self.accepted_value!r})"
        st["decided"] = "—" if self.decided is _UNDECIDED else repr(self.decided)
        return st


# --- a ready-made simulation ----------------------------------------------------------------------
def build_synod(*, seed: int = 0, acceptors: Sequence[str] = ("a1", "a2", "a3"),
                proposals: Mapping[str, Any] | None = None,
                starts: Mapping[str, float] | None = None,
                network: Network | None = None, node: type = SynodNode,
                **node_kwargs: Any) -> Simulation:
    """A Synod simulation: ``proposals`` maps proposer ids to their values.

    A proposer id that is also an acceptor is one node with both roles; the others
    are added first (so diagrams show proposers on top). ``starts`` delays proposers.
    Remaining keyword arguments go to every node (``backoff=``, ``timeout=``, ...).
    """
    if isinstance(acceptors, str) or not acceptors:
        raise ValueError(f"acceptors must be a non-empty list of node ids, got {acceptors!r}")
    if len(set(acceptors)) != len(acceptors):
        raise ValueError(f"acceptors must be distinct, got {acceptors!r}")
    proposals = {"p1": "X", "p2": "Y"} if proposals is None else dict(proposals)
    if not isinstance(proposals, dict) or not proposals:
        raise ValueError("proposals must map at least one proposer id to a value")
    for p, v in proposals.items():
        if v is None:
            raise ValueError(f"proposals[{p!r}] is None; a proposer needs a value")
    starts = dict(starts or {})
    unknown = [p for p in starts if p not in proposals]
    if unknown:
        raise ValueError(f"starts names {unknown}, which are not proposers")
    if not (isinstance(node, type) and issubclass(node, SynodNode)):
        raise TypeError(f"node must be SynodNode or a subclass, got {node!r}")
    sim = Simulation(seed=seed, network=network)
    order = [p for p in proposals if p not in acceptors] + list(acceptors)
    for n in order:
        sim.add_node(n, node, acceptors=tuple(acceptors), value=proposals.get(n),
                     proposers=tuple(proposals), start=starts.get(n, 0.0), **node_kwargs)
    return sim
