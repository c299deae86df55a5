"""Multi-Paxos: a leader replicating a log of client commands.

Each slot of the log is one instance of the Synod protocol, and all instances share
ballots (van Renesse & Altinbuken 2015, §2-3; Lamport 2001, §3):

- **Phase 1 once, for every slot.** A server whose election timer fires becomes a
  *candidate*: it takes a ballot above every round it has used or seen (persisting the
  round first) and sends ``P1a(ballot, low)``, ``low`` being its first slot without a
  decision. An acceptor's promise covers every slot, and its ``P1b`` carries what it has
  accepted at slots ``>= low``.
- **Recovery.** With promises from a majority the candidate becomes *leader*. For each
  open slot it re-proposes the command with the highest ballot among the promises
  (``choose_value``, slot by slot) and fills gaps with ``NOOP``, so every slot below
  its first free slot ends up decided.
- **Phase 2 only, per command.** The leader gives a client's command the next free
  slot and sends ``P2a(ballot, slot, command)``; acceptors answer ``P2b``; with a
  majority the command is chosen, the leader sends ``Decide`` to every server.
- **Replicas** apply decided commands in slot order to a key-value store, skipping
  commands already executed for that client (at-most-once, by ``(client, req)``), and
  the leader replies to the client after applying. Reads go through the log too.
- **Leader change.** The leader sends ``LeaderBeat`` every ``heartbeat``; followers that
  hear nothing for a random election timeout run phase 1 with a higher ballot. A
  ``Reject`` (an acceptor promised a higher ballot) makes a leader step down.
  Followers missing decisions ask for them in ``BeatOk`` (catch-up).

Acceptor state (``promised``, ``accepted``) and the learned log are durable: written
before any message that depends on them leaves. Engineering concerns of Chandra,
Griesemer & Redstone (2007) left out here: log compaction and snapshots, leases for
local reads, membership changes, batching.

Taught in notebook 2.4.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import Network, Node, Simulation
from .messages import (NOOP, ZERO, Ballot, BeatOk, Command, Decide, LeaderBeat, NotLeader,
                       P1a, P1b, P2a, P2b, Reject, Reply, Request)
from .synod import choose_value, may_accept, may_promise

__all__ = ["MultiPaxosServer", "KVClient", "apply_command", "build_multipaxos", "OPS"]

OPS = ("get", "put", "append")


def apply_command(store: dict[str, str], op: tuple) -> Any:
    """Run ``op`` on a key-value ``store`` (a dict, changed in place); return its result.

    ``("get", k) -> value`` (``""`` if absent); ``("put", (k, v))`` and
    ``("append", (k, v))`` return ``None``; ``("noop", None)`` does nothing.
    """
    f, arg = op
    if f == "get":
        return store.get(arg, "")
    if f == "put":
        store[arg[0]] = arg[1]
        return None
    if f == "append":
        store[arg[0]] = store.get(arg[0], "") + arg[1]
        return None
    if f == "noop":
        return None
    raise ValueError(f"op must be get, put, append or noop, got {f!r}")


class MultiPaxosServer(Node):
    """Acceptor, learner, replica and (when elected) leader of a replicated log.

    Parameters
    ----------
    servers
        Ids of every server (all are acceptors; a majority is a quorum).
    heartbeat
        The leader's period for ``LeaderBeat`` and for resending unanswered ``P2a``.
    election_timeout
        ``(low, high)``: a follower that hears no leader for a time drawn uniformly in
        this range runs phase 1 (randomised, so candidates rarely duel).
    durable
        Acceptor state survives crashes (``False``: volatile acceptors, unsafe).
    catch_up
        At most this many decisions sent per ``BeatOk``.
    """

    may_promise = staticmethod(may_promise)
    may_accept = staticmethod(may_accept)
    choose_value = staticmethod(choose_value)

    def __init__(self, servers: Sequence[str], *, heartbeat: float = 10.0,
                 election_timeout: tuple[float, float] = (40.0, 80.0),
                 durable: bool = True, catch_up: int = 16) -> None:
        if isinstance(servers, str) or not servers:
            raise ValueError(f"servers must be a non-empty list of node ids, got {servers!r}")
        if isinstance(heartbeat, bool) or not isinstance(heartbeat, (int, float)) \
                or not heartbeat > 0:
            raise ValueError(f"heartbeat must be a positive number, got {heartbeat!r}")
        lo, hi = election_timeout
        if not 0 < lo <= hi:
            raise ValueError(f"election_timeout must be (low, high) with 0 < low <= high, "
                             f"got {election_timeout!r}")
        if lo <= heartbeat:
            raise ValueError(f"election_timeout {election_timeout!r} must exceed the "
                             f"heartbeat {heartbeat!r}, or followers depose a live leader")
        if isinstance(catch_up, bool) or not isinstance(catch_up, int) or catch_up < 1:
            raise ValueError(f"catch_up must be a positive int, got {catch_up!r}")
        self.servers = tuple(servers)
        self.heartbeat = float(heartbeat)
        self.election_timeout = (float(lo), float(hi))
        self.durable = bool(durable)
        self.catch_up = catch_up
        self.quorum = len(self.servers) // 2 + 1
        # What a state table shows before on_start has recovered the real state.
        self.role, self.ballot, self.promised = "follower", ZERO, ZERO
        self.applied = 0
        self.decided: dict[int, Command] = {}

    # --- start and recovery ----------------------------------------------------------------
    def on_start(self) -> None:
        missing = [s for s in self.servers if s not in self.nodes]
        if missing:
            raise ValueError(f"servers {missing} are not nodes of this simulation")
        st = self.storage
        # Acceptor (durable): the promise covers every slot; accepted is per slot.
        self.promised: Ballot = st.get("promised", ZERO) if self.durable else ZERO
        self.accepted: dict[int, tuple[Ballot, Command]] = {}
        # Learner (durable) and replica (rebuilt by replaying the learned log).
        self.decided = {}
        for key in st:
            if key.startswith("acc/") and self.durable:
                self.accepted[int(key[4:])] = st[key]
            elif key.startswith("dec/"):
                self.decided[int(key[4:])] = st[key]
        self.store: dict[str, str] = {}
        self.sessions: dict[str, tuple[int, Any]] = {}
        self.applied = 0
        # Leader election and the leader's bookkeeping (volatile, except the round).
        self.round: int = st.get("round", 0)
        self.seen_round = self.round
        self.role = "follower"
        self.leader: str | None = None
        self.ballot = ZERO
        self.low = 0
        self.promises: dict[str, tuple] = {}
        self.proposals: dict[int, Command] = {}
        self.votes: dict[int, set[str]] = {}
        self.next_slot = 0
        self.apply_ready()
        self.reset_election_timer()

    # --- roles (explicit transitions, as in etcd's raft.go) ---------------------------------
    def reset_election_timer(self) -> None:
        self.cancel_timer("election")
        self.set_timer(self.rng.uniform(*self.election_timeout), "election")

    def become_follower(self, leader: Ballot) -> None:
        """Step down (or stay down) behind the ballot ``leader``."""
        if self.role != "follower":
            self.annotate(f"{self.id} follows {leader}")
        self.role = "follower"
        self.leader = leader.proposer or None
        self.proposals, self.votes, self.promises = {}, {}, {}
        self.cancel_timer("tick")
        self.reset_election_timer()

    def become_candidate(self) -> None:
        """Phase 1a for all slots from the first one without a decision."""
        self.round = max(self.round, self.promised.round, self.seen_round) + 1
        self.storage["round"] = self.round              # never reuse a ballot
        self.ballot = Ballot(self.round, self.id)
        self.role = "candidate"
        self.leader = None
        self.low = self.applied
        self.promises = {}
        self.broadcast(P1a(self.ballot, self.low), to=self.servers, include_self=True)
        self.reset_election_timer()                      # no majority in time: try again

    def become_leader(self) -> None:
        """Phase 1 succeeded: recover open slots, fill gaps with no-ops, lead."""
        self.role = "leader"
        self.leader = self.id
        self.cancel_timer("election")
        best: dict[int, list[tuple[Ballot, Command]]] = {}
        for accepted in self.promises.values():
            for slot, ballot, command in accepted:
                best.setdefault(slot, []).append((ballot, command))
        top = max([*best, *(s for s in self.decided if s >= self.low)], default=self.low - 1)
        self.proposals, self.votes = {}, {}
        for slot in range(self.low, top + 1):
            if slot in self.decided:
                continue
            self.proposals[slot] = self.choose_value(best.get(slot, []), NOOP)
            self.votes[slot] = set()
        self.next_slot = top + 1
        self.annotate(f"{self.id} leads {self.ballot}")
        for slot, command in sorted(self.proposals.items()):
            self.broadcast(P2a(self.ballot, slot, command), to=self.servers, include_self=True)
        self.on_tick()

    # --- leader ------------------------------------------------------------------------------
    def propose(self, command: Command) -> None:
        """Phase 2a for a new command, in the next free slot."""
        slot = self.next_slot
        self.next_slot += 1
        self.proposals[slot] = command
        self.votes[slot] = set()
        self.broadcast(P2a(self.ballot, slot, command), to=self.servers, include_self=True)

    def on_request(self, src: str, command: Command) -> None:
        if self.role != "leader":
            self.send(src, NotLeader(command.req, self.leader))
            return
        last = self.sessions.get(command.client)
        if last is not None and command.req <= last[0]:
            if command.req == last[0]:
                self.send(src, Reply(command.req, last[1]))  # already executed: answer again
            return
        pending = list(self.proposals.values()) + [c for s, c in self.decided.items()
                                                   if s >= self.applied]
        if command in pending:
            return                                        # in the log already: wait
        self.propose(command)

    def on_p2b(self, src: str, msg: P2b) -> None:
        if self.role != "leader" or msg.ballot != self.ballot or msg.slot not in self.proposals:
            return
        voters = self.votes[msg.slot]
        voters.add(src)
        if len(voters) >= self.quorum:
            command = self.proposals.pop(msg.slot)
            del self.votes[msg.slot]
            self.broadcast(Decide(msg.slot, command), to=self.servers)
            self.learn(msg.slot, command)

    def on_tick(self) -> None:
        """Heartbeat, and resend phase 2a to acceptors that have not answered."""
        self.broadcast(LeaderBeat(self.ballot, self.applied),
                       to=[s for s in self.servers if s != self.id])
        for slot, command in sorted(self.proposals.items()):
            missing = [s for s in self.servers if s not in self.votes[slot]]
            self.broadcast(P2a(self.ballot, slot, command), to=missing, include_self=True)
        self.cancel_timer("tick")
        self.set_timer(self.heartbeat, "tick")

    # --- acceptor ----------------------------------------------------------------------------
    def _promise(self, ballot: Ballot) -> None:
        if ballot > self.promised:
            self.promised = ballot
            if self.durable:
                self.storage["promised"] = ballot

    def on_p1a(self, src: str, msg: P1a) -> None:
        if not self.may_promise(self.promised, msg.ballot):
            self.send(src, Reject(msg.ballot, self.promised))
            return
        self._promise(msg.ballot)                                  # persist, then answer
        accepted = tuple((s, b, c) for s, (b, c) in sorted(self.accepted.items())
                         if s >= msg.low)
        self.send(src, P1b(msg.ballot, accepted))
        if msg.ballot.proposer != self.id and self.ballot < msg.ballot:
            self.become_follower(ZERO)                             # a candidate is running

    def on_p2a(self, src: str, msg: P2a) -> None:
        if not self.may_accept(self.promised, msg.ballot):
            self.send(src, Reject(msg.ballot, self.promised))
            return
        self._promise(msg.ballot)
        self.accepted[msg.slot] = (msg.ballot, msg.command)
        if self.durable:
            self.storage[f"acc/{msg.slot}"] = (msg.ballot, msg.command)  # persist, then answer
        self.send(src, P2b(msg.ballot, msg.slot))
        if msg.ballot.proposer != self.id:
            self.become_follower(msg.ballot)

    def on_reject(self, src: str, msg: Reject) -> None:
        self.seen_round = max(self.seen_round, msg.promised.round)
        if msg.ballot == self.ballot and msg.promised > self.ballot and self.role != "follower":
            self.become_follower(msg.promised)          # preempted: a higher ballot exists

    # --- learner and replica ------------------------------------------------------------------
    def learn(self, slot: int, command: Command) -> None:
        if slot in self.decided:
            return
        self.decided[slot] = command
        self.storage[f"dec/{slot}"] = command
        self.output("decide", (slot, command))
        self.proposals.pop(slot, None)
        self.votes.pop(slot, None)
        self.apply_ready()

    def apply_ready(self) -> None:
        """Apply decided commands in slot order; the leader answers their clients."""
        while self.applied in self.decided:
            command = self.decided[self.applied]
            self.applied += 1
            if command == NOOP:
                continue
            last = self.sessions.get(command.client)
            if last is not None and command.req <= last[0]:
                continue                                   # a duplicate: never twice
            result = apply_command(self.store, command.op)
            self.sessions[command.client] = (command.req, result)
            if self.role == "leader" and command.client in self.nodes:
                self.send(command.client, Reply(command.req, result))

    def on_beat(self, src: str, msg: LeaderBeat) -> None:
        if msg.ballot < self.promised:
            self.send(src, Reject(msg.ballot, self.promised))
            return
        if self.role != "follower" and msg.ballot > self.ballot:
            self.become_follower(msg.ballot)
        elif self.role == "follower":
            self.leader = msg.ballot.proposer
            self.reset_election_timer()
        if self.applied < msg.decided:
            self.send(src, BeatOk(msg.ballot, self.applied))

    def on_beat_ok(self, src: str, msg: BeatOk) -> None:
        for slot in range(msg.need, msg.need + self.catch_up):
            if slot in self.decided:
                self.send(src, Decide(slot, self.decided[slot]))

    # --- dispatch ----------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, P2a):
            self.on_p2a(src, msg)
        elif isinstance(msg, P2b):
            self.on_p2b(src, msg)
        elif isinstance(msg, Decide):
            self.learn(msg.slot, msg.command)
        elif isinstance(msg, Request):
            self.on_request(src, msg.command)
        elif isinstance(msg, LeaderBeat):
            self.on_beat(src, msg)
        elif isinstance(msg, BeatOk):
            if self.role == "leader":
                self.on_beat_ok(src, msg)
        elif isinstance(msg, P1a):
            self.on_p1a(src, msg)
        elif isinstance(msg, P1b):
            if self.role == "candidate" and msg.ballot == self.ballot:
                self.promises[src] = msg.accepted
                if len(self.promises) >= self.quorum:
                    self.become_leader()
        elif isinstance(msg, Reject):
            self.on_reject(src, msg)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "election" and self.role != "leader":
            self.become_candidate()
        elif name == "tick" and self.role == "leader":
            self.on_tick()

    def state(self) -> dict[str, Any]:
        log = " ".join(repr(self.decided[s]) if s in self.decided else "·"
                       for s in range(max(self.decided, default=-1) + 1))
        return {"role": self.role, "ballot": self.ballot, "promised": self.promised,
                "applied": self.applied, "log": log or "—"}


class KVClient(Node):
    """A client of the replicated key-value store; one operation at a time.

    It sends each command to the server it believes leads, follows ``NotLeader``
    hints, resends to the next server every ``retry``, and after ``give_up`` records the
    operation as ``info`` (outcome unknown) and moves on. Operations are ``script``
    (a list of ``("get", k)``, ``("put", (k, v))``, ``("append", (k, v))``) or, without
    one, ``ops`` random ones on ``keys`` with unique values. Each command is reported
    as a ``submit`` output (for the validity check) and recorded in the history.
    """

    def __init__(self, servers: Sequence[str], *, ops: int = 6,
                 keys: Sequence[str] = ("x", "y"), think: float = 10.0, retry: float = 40.0,
                 give_up: float = 400.0, start: float = 0.0,
                 script: Sequence[tuple] | None = None) -> None:
        if isinstance(servers, str) or not servers:
            raise ValueError(f"servers must be a non-empty list of node ids, got {servers!r}")
        if script is None and (isinstance(ops, bool) or not isinstance(ops, int) or ops < 0):
            raise ValueError(f"ops must be a non-negative int, got {ops!r}")
        for name, v in (("think", think), ("retry", retry), ("give_up", give_up)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        if script is not None:
            for op in script:
                if not (isinstance(op, tuple) and len(op) == 2 and op[0] in OPS):
                    raise ValueError(f"script entries must be ('get', key), ('put', (key, "
                                     f"value)) or ('append', (key, value)); got {op!r}")
        self.servers = tuple(servers)
        self.script = list(script) if script is not None else None
        self.ops = len(self.script) if self.script is not None else ops
        self.keys = tuple(keys)
        self.think = float(think)
        self.retry = float(retry)
        self.give_up = float(give_up)
        self.start = float(start)
        self.done = 0
        self.req = 0
        self.guess: str | None = None
        self.open: Command | None = None

    def on_start(self) -> None:
        if self.incarnation == 0 and self.ops:
            self.set_timer(self.start + self.rng.uniform(0, self.think), "next")

    def _op(self) -> tuple:
        if self.script is not None:
            return self.script[self.done]
        key = self.rng.choice(self.keys)
        r = self.rng.random()
        if r < 0.4:
            return ("get", key)
        value = f"{self.id}.{self.req}"
        return ("put", (key, value)) if r < 0.6 else ("append", (key, value + " "))

    def _send(self, dst: str) -> None:
        self.guess = dst
        self.send(dst, Request(self.open))

    def issue(self) -> None:
        self.req += 1
        op = self._op()
        self.open = Command(self.id, self.req, op)
        self.record("invoke", op[0], op[1])
        self.output("submit", self.open)
        self._send(self.guess or self.servers[0])
        self.set_timer(self.retry, "retry", self.req)
        self.set_timer(self.give_up, "give_up", self.req)

    def _complete(self) -> None:
        self.open = None
        self.done += 1
        self.cancel_timer("retry")
        self.cancel_timer("give_up")
        if self.done < self.ops:
            self.set_timer(self.rng.uniform(0.5, 1.5) * self.think, "next")

    def on_message(self, src: str, msg: Any) -> None:
        if self.open is None or getattr(msg, "req", None) != self.open.req:
            return                                    # late or duplicate
        if isinstance(msg, Reply):
            self.guess = src                          # it leads: ask it next time
            f, arg = self.open.op
            self.record("ok", f, msg.result if f == "get" else arg)
            self._complete()
        elif isinstance(msg, NotLeader) and msg.leader is not None and msg.leader != src \
                and msg.leader != self.guess:
            self._send(msg.leader)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self.issue()
        elif self.open is None or payload != self.open.req:
            return
        elif name == "retry":                         # try the next server in turn
            last = self.servers.index(self.guess) if self.guess in self.servers else -1
            self._send(self.servers[(last + 1) % len(self.servers)])
            self.set_timer(self.retry, "retry", self.req)
        elif name == "give_up":
            f, arg = self.open.op
            self.record("info", f, arg)
            self.guess = None
            self._complete()

    def state(self) -> dict[str, Any]:
        return {"done": f"{self.done}/{self.ops}", "open": repr(self.open) if self.open else "—"}


def build_multipaxos(*, seed: int = 0, servers: int = 3, clients: int = 2, ops: int = 5,
                     network: Network | None = None,
                     scripts: Sequence[Sequence[tuple]] | None = None,
                     client_args: dict[str, Any] | None = None,
                     server: type | None = None, **server_args: Any) -> Simulation:
    """Servers ``n1..nS`` and clients ``c1..cC`` of a Multi-Paxos key-value store.

    ``scripts`` (one list of operations per client) replaces random operations;
    ``client_args`` go to every ``KVClient``, the other keyword arguments to every
    server (``server``: a ``MultiPaxosServer`` subclass to use instead).
    """
    server = MultiPaxosServer if server is None else server
    if not (isinstance(server, type) and issubclass(server, MultiPaxosServer)):
        raise TypeError(f"server must be MultiPaxosServer or a subclass, got {server!r}")
    for name, v in (("servers", servers), ("clients", clients)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if scripts is not None and len(scripts) != clients:
        raise ValueError(f"scripts must hold one script per client ({clients}), "
                         f"got {len(scripts)}")
    sim = Simulation(seed=seed, network=network)
    ids = tuple(f"n{i + 1}" for i in range(servers))
    for s in ids:
        sim.add_node(s, server, servers=ids, **server_args)
    for c in range(clients):
        kwargs = dict(client_args or {})
        if scripts is not None:
            kwargs["script"] = list(scripts[c])
        else:
            kwargs.setdefault("ops", ops)
        sim.add_node(f"c{c + 1}", KVClient, servers=ids, **kwargs)
    return sim
