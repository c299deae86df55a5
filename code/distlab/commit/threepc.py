"""Three-phase commit with a termination protocol (Skeen 1981; BHG 1987, §7.5).

Two-phase commit blocks because a participant that voted yes can be *uncertain* while
another has already committed: no state it can see rules either outcome out. Skeen's
non-blocking theorem says a protocol is non-blocking (under crash failures) iff no
state's *concurrency set* (the states other sites may be in at the same time) holds
both a commit and an abort state, and no non-committable state's concurrency set
holds a commit state. Three-phase commit puts a *committable* state ``p`` between
``w`` and ``c``:

- ``CanCommit`` → each participant force-writes ``prepared`` and votes (``w``);
- with yes from all, the coordinator force-writes ``precommit`` and sends
  ``PreCommit``; each participant force-writes ``precommit`` (``p``) and acks;
- with every ack (or after ``ack_timeout``, counting the silent as crashed), the
  coordinator force-writes ``commit`` and sends ``DoCommit``.

**Termination protocol.** A participant that times out in ``w`` or ``p`` starts round
1, 2, …; the coordinator of round k is the k-th participant in rank order. The
participant either takes the role (if it is that participant) or sends it ``Elect``;
silence for ``round_timeout`` counts as a crash and moves on to the next round. The
round's coordinator collects ``StateReply`` from everyone it can reach and applies
the termination rule (``termination_rule``; BHG's TR1–TR4): an aborted state → abort;
a committed one → commit; all uncertain → abort; otherwise pre-commit the uncertain
ones, then commit. A participant that answered round k ignores older rounds' messages.

**Recovery.** A participant restarting in ``w`` or ``p`` does not take part in
termination (its state may be stale): it asks everyone (``DecisionRequest``) until
someone that has decided answers. A participant asked about a transaction it never
voted on aborts it first (durably). If every site fails, the recovering ones may have
to wait for each other: 3PC is non-blocking only while some site stays up.

The protocol is correct when failures are crashes and timeouts are reliable (the
synchronous model Skeen assumes). In a **partition** each side runs its own
termination protocol: a side holding a committable participant commits, a side of
uncertain ones aborts, and atomicity is lost.

Outputs: ``begin``, ``vote`` and ``decide`` as in ``distlab.commit.twopc``.
Taught in notebook 2.3 ("Two-phase and three-phase commit").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..sim import Network, Node, Simulation
from ..sim import _check
from .messages import (Abort, CanCommit, DecisionRequest, DoCommit, Elect, LogRecord,
                       PreCommit, PreCommitAck, StateReply, StateReq, Vote)
from .twopc import _schedule, _setup, check_participants, check_transactions, log_records

__all__ = ["ThreePhaseCoordinator", "ThreePhaseParticipant", "termination_rule",
           "three_phase", "PARTICIPANT_STATES"]

PARTICIPANT_STATES = ("w", "p", "c", "a")


def termination_rule(states: Iterable[str]) -> str:
    """Skeen's termination rule, as BHG (1987, §7.5) state it (TR1–TR4).

    ``states`` are the states of the participants the new coordinator reached
    (itself included): ``"w"`` uncertain, ``"p"`` committable, ``"c"`` committed,
    ``"a"`` aborted. Returns ``"abort"`` (some aborted, or all uncertain), ``"commit"``
    (some committed) or ``"precommit"`` (some committable, none decided: pre-commit
    the uncertain ones, then commit).
    """
    if isinstance(states, str):
        states = list(states)
    states = list(states)
    if not states:
        raise ValueError("termination_rule needs at least one state (the coordinator's own)")
    for s in states:
        if s not in PARTICIPANT_STATES:
            raise ValueError(f"each state must be one of {list(PARTICIPANT_STATES)}, "
                             f"got {s!r}")
    if "a" in states:
        return "abort"
    if "c" in states:
        return "commit"
    if all(s == "w" for s in states):
        return "abort"
    return "precommit"


def _tally(votes: dict[str, bool]) -> str:
    yes = sum(votes.values())
    return f"{yes} yes" + (f", {len(votes) - yes} no" if len(votes) > yes else "")


def _decision(outcome: str, txid: str) -> DoCommit | Abort:
    return DoCommit(txid) if outcome == "commit" else Abort(txid)


# --- the coordinator ------------------------------------------------------------------------

@dataclass
class _Coordination3:
    txid: str
    participants: tuple[str, ...]
    phase: str = "collecting"   # collecting | precommitting | recovering | commit | abort
    votes: dict[str, bool] = field(default_factory=dict)
    acks: set[str] = field(default_factory=set)
    timers: list[int] = field(default_factory=list)


_PHASES = {"collecting": "collecting votes", "precommitting": "pre-committing",
           "recovering": "in doubt (recovering)", "commit": "commit", "abort": "abort"}


class ThreePhaseCoordinator(Node):
    """The 3PC coordinator (round 0 of the protocol)."""

    def __init__(self, participants: Iterable[str], transactions: Any = (("T1", 0.0),),
                 vote_timeout: float = 60.0, ack_timeout: float = 90.0, retry: float = 25.0,
                 ask_every: float = 40.0) -> None:
        self.participants = check_participants(participants)
        self.transactions = check_transactions(transactions)
        for name, v in (("vote_timeout", vote_timeout), ("ack_timeout", ack_timeout),
                        ("retry", retry), ("ask_every", ask_every)):
            setattr(self, name, _check.number(name, v, minimum=0.0, strict_min=True))
        self.txns: dict[str, _Coordination3] = {}

    def on_start(self) -> None:
        self.txns = {}
        by_txid: dict[str, list[LogRecord]] = {}
        for r in log_records(self):
            by_txid.setdefault(r.txid, []).append(r)
        for txid, records in by_txid.items():
            kinds = {r.kind for r in records}
            tx = _Coordination3(txid, records[0].participants)
            self.txns[txid] = tx
            if "commit" in kinds or "abort" in kinds:
                tx.phase = "commit" if "commit" in kinds else "abort"
            else:  # precommitted, no decision: it may not decide alone
                tx.phase = "recovering"
                self.annotate(f"recovery: ask about {txid}")
                self.on_timer("ask", txid)
        _schedule(self, self.transactions)

    def begin(self, txid: str) -> None:
        tx = self.txns[txid] = _Coordination3(txid, self.participants)
        self.output("begin", (txid, self.participants))
        self.broadcast(CanCommit(txid, self.participants), to=self.participants)
        tx.timers = [self.set_timer(self.vote_timeout, "vote-timeout", txid),
                     self.set_timer(self.retry, "retry", txid)]

    def _stop_timers(self, tx: _Coordination3) -> None:
        for t in tx.timers:
            self.cancel_timer(t)
        tx.timers = []

    def decide(self, tx: _Coordination3, outcome: str, tell: bool = True) -> None:
        """Force-write the decision, output it, and (``tell``) send it to everyone."""
        if tx.phase in ("commit", "abort"):
            if tx.phase != outcome:
                self.annotate(f"ignored {outcome} of {tx.txid}: already decided")
            return
        self.storage.append("log", LogRecord(tx.txid, outcome, self.id, tx.participants))
        tx.phase = outcome
        self._stop_timers(tx)
        self.output("decide", (tx.txid, outcome))
        if tell:
            self.broadcast(_decision(outcome, tx.txid), to=tx.participants)

    def on_timer(self, name: str, txid: Any) -> None:
        if name == "begin":
            self.begin(txid)
            return
        tx = self.txns.get(txid)
        if tx is None:
            return
        if name == "vote-timeout" and tx.phase == "collecting":
            self.annotate(f"timeout: abort {txid}")
            self.decide(tx, "abort")
        elif name == "ack-timeout" and tx.phase == "precommitting":
            self.decide(tx, "commit")   # the silent participants are taken as crashed
        elif name == "retry" and tx.phase in ("collecting", "precommitting"):
            if tx.phase == "collecting":
                self.broadcast(CanCommit(txid, tx.participants),
                               to=[p for p in tx.participants if p not in tx.votes])
            else:
                self.broadcast(PreCommit(txid, 0),
                               to=[p for p in tx.participants if p not in tx.acks])
            # keep the phase deadline (first), replace the retry timer that just fired
            tx.timers = tx.timers[:1] + [self.set_timer(self.retry, "retry", txid)]
        elif name == "ask" and tx.phase == "recovering":
            self.broadcast(DecisionRequest(txid), to=tx.participants)
            tx.timers = [self.set_timer(self.ask_every, "ask", txid)]

    def on_message(self, src: str, msg: Any) -> None:
        tx = self.txns.get(getattr(msg, "txid", None))
        if isinstance(msg, Vote):
            if tx is None or tx.phase != "collecting":
                if tx is None or tx.phase in ("commit", "abort"):
                    self.send(src, _decision(tx.phase if tx else "abort", msg.txid))
                return
            if src in tx.votes or src not in tx.participants:
                return
            tx.votes[src] = msg.yes
            if not msg.yes:
                self.decide(tx, "abort")
            elif len(tx.votes) == len(tx.participants):
                # Force-write precommit, then move everyone to the committable state.
                self.storage.append("log", LogRecord(tx.txid, "precommit", self.id,
                                                     tx.participants))
                tx.phase = "precommitting"
                self._stop_timers(tx)
                self.broadcast(PreCommit(tx.txid, 0), to=tx.participants)
                tx.timers = [self.set_timer(self.ack_timeout, "ack-timeout", tx.txid),
                             self.set_timer(self.retry, "retry", tx.txid)]
        elif isinstance(msg, PreCommitAck):
            if tx is not None and tx.phase == "precommitting" and msg.round == 0:
                tx.acks.add(src)
                if tx.acks >= set(tx.participants):
                    self.decide(tx, "commit")
        elif isinstance(msg, DecisionRequest):
            if tx is None:
                # No precommit record: no PreCommit was ever sent, so nobody committed.
                self.send(src, Abort(msg.txid))
            elif tx.phase in ("commit", "abort"):
                self.send(src, _decision(tx.phase, msg.txid))
        elif isinstance(msg, (DoCommit, Abort)) and tx is not None:
            self.decide(tx, "commit" if isinstance(msg, DoCommit) else "abort", tell=False)

    def state(self) -> dict[str, Any]:
        return {"role": "coordinator", "round": 0,
                "vote": "; ".join(f"{t.txid} {_tally(t.votes)}"
                                  for t in self.txns.values() if t.votes) or "-",
                "log": ", ".join(map(repr, log_records(self))) or "-",
                "decision": "; ".join(f"{t.txid}: {_PHASES[t.phase]}"
                                      for t in self.txns.values()) or "-"}


# --- the participant ------------------------------------------------------------------------

@dataclass
class _Backup:
    """The state of a participant acting as the coordinator of termination round k."""

    round: int
    phase: str = "collect"                  # collect | precommit
    replies: dict[str, str] = field(default_factory=dict)
    pending: tuple[str, ...] = ()
    acks: set[str] = field(default_factory=set)


@dataclass
class _Participation3:
    txid: str
    coordinator: str
    participants: tuple[str, ...] = ()
    state: str = "q"
    vote: str | None = None
    round: int = 0
    joined: int = 0                 # the highest round whose StateReq this node answered
    recovering: bool = False
    backup: _Backup | None = None
    timer: int = 0                  # the wait for the current coordinator (or "ask")
    retry: int = 0                  # Elect / StateReq / PreCommit retransmissions
    deadline: int = 0               # the round coordinator's collection or ack deadline


class ThreePhaseParticipant(Node):
    """A 3PC participant, able to act as the coordinator of a termination round."""

    #: The termination rule (the notebook's exercise plugs in another).
    rule = staticmethod(termination_rule)

    def __init__(self, vote_no: Iterable[str] = (), timeout: float = 160.0,
                 round_timeout: float = 100.0, collect_timeout: float = 90.0,
                 join_timeout: float = 220.0, retry: float = 25.0,
                 ask_every: float = 40.0) -> None:
        if isinstance(vote_no, str):
            raise TypeError(f"vote_no must be a list of txids, not the string {vote_no!r}")
        self.vote_no = frozenset(vote_no)
        for name, v in (("timeout", timeout), ("round_timeout", round_timeout),
                        ("collect_timeout", collect_timeout), ("join_timeout", join_timeout),
                        ("retry", retry), ("ask_every", ask_every)):
            setattr(self, name, _check.number(name, v, minimum=0.0, strict_min=True))
        self.txns: dict[str, _Participation3] = {}

    # --- start and recovery --------------------------------------------------------------
    def on_start(self) -> None:
        self.txns = {}
        by_txid: dict[str, list[LogRecord]] = {}
        for r in log_records(self):
            by_txid.setdefault(r.txid, []).append(r)
        for txid, records in by_txid.items():
            kinds = [r.kind for r in records]
            first = records[0]
            tx = _Participation3(txid, first.coordinator or "", first.participants)
            tx.vote = "yes" if "prepared" in kinds else None
            self.txns[txid] = tx
            if "commit" in kinds or "abort" in kinds:
                tx.state = "c" if "commit" in kinds else "a"
            else:
                tx.state = "p" if "precommit" in kinds else "w"
                tx.recovering = True
                self.annotate(f"recovery: in doubt about {txid}")
                self.on_timer("ask", txid)

    def _log(self, tx: _Participation3, kind: str) -> None:
        self.storage.append("log", LogRecord(tx.txid, kind, tx.coordinator or None,
                                             tx.participants))

    def _wait(self, tx: _Participation3, delay: float) -> None:
        self.cancel_timer(tx.timer)
        tx.timer = self.set_timer(delay, "timeout", tx.txid)

    def _stop_backup(self, tx: _Participation3) -> None:
        self.cancel_timer(tx.retry)
        self.cancel_timer(tx.deadline)
        tx.retry = tx.deadline = 0
        tx.backup = None

    def _abort_unvoted(self, src: str, txid: str) -> _Participation3:
        """Asked about a transaction it never voted yes on: abort it, durably."""
        tx = self.txns.get(txid)
        if tx is None:
            tx = self.txns[txid] = _Participation3(txid, "")
        if tx.state == "q":
            self.decide(tx, "abort")
        return tx

    def decide(self, tx: _Participation3, outcome: str, tell: bool = False) -> None:
        """Force-write the decision, output it, and (``tell``) announce it to all."""
        if tx.state in ("c", "a"):
            if tx.state != outcome[0]:
                self.annotate(f"ignored {outcome} of {tx.txid}: already decided")
            return
        self._log(tx, outcome)
        tx.state = outcome[0]
        tx.recovering = False
        self.cancel_timer(tx.timer)
        self._stop_backup(tx)
        self.output("decide", (tx.txid, outcome))
        if tell:
            to = [p for p in tx.participants if p != self.id]
            if tx.coordinator:
                to.append(tx.coordinator)
            self.broadcast(_decision(outcome, tx.txid), to=to)

    def candidate(self, tx: _Participation3, k: int) -> str:
        """The coordinator of termination round ``k`` (rank order, wrapping around)."""
        return tx.participants[(k - 1) % len(tx.participants)]

    # --- the termination protocol ---------------------------------------------------------------
    def next_round(self, tx: _Participation3) -> None:
        """The current coordinator is silent: take it as crashed, go to the next round."""
        tx.round += 1
        cand = self.candidate(tx, tx.round)
        if cand == self.id:
            self.become_backup(tx, tx.round)
            return
        self.send(cand, Elect(tx.txid, tx.round))
        self._stop_backup(tx)
        tx.retry = self.set_timer(self.retry, "elect-retry", (tx.txid, tx.round))
        self._wait(tx, self.round_timeout)

    def become_backup(self, tx: _Participation3, k: int) -> None:
        """Coordinate round ``k``: collect the states of all the others."""
        self._stop_backup(tx)
        self.cancel_timer(tx.timer)
        tx.round = k
        tx.backup = _Backup(k, replies={self.id: tx.state})
        self.annotate(f"{tx.txid}: round {k} coordinator")
        others = [p for p in tx.participants if p != self.id]
        self.broadcast(StateReq(tx.txid, k), to=others)
        tx.retry = self.set_timer(self.retry, "backup-retry", (tx.txid, k))
        tx.deadline = self.set_timer(self.collect_timeout, "backup-timeout", (tx.txid, k))
        if not others:
            self.evaluate(tx)

    def evaluate(self, tx: _Participation3) -> None:
        """Apply the termination rule to the states collected so far."""
        b = tx.backup
        assert b is not None
        states = [b.replies[p] for p in tx.participants if p in b.replies]
        verdict = self.rule(states)
        if verdict not in ("abort", "commit", "precommit"):
            raise ValueError(f"the termination rule returned {verdict!r}; it must return "
                             f"'abort', 'commit' or 'precommit'")
        if verdict != "precommit":
            self.decide(tx, verdict, tell=True)
            return
        if tx.state == "w":
            self._log(tx, "precommit")
            tx.state = "p"
        b.pending = tuple(p for p in tx.participants
                          if p != self.id and b.replies.get(p) == "w")
        if not b.pending:
            self.decide(tx, "commit", tell=True)
            return
        b.phase = "precommit"
        self.broadcast(PreCommit(tx.txid, b.round), to=b.pending)
        self.cancel_timer(tx.retry)
        self.cancel_timer(tx.deadline)
        tx.retry = self.set_timer(self.retry, "backup-retry", (tx.txid, b.round))
        tx.deadline = self.set_timer(self.collect_timeout, "backup-timeout", (tx.txid, b.round))

    # --- handlers -----------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        txid = getattr(msg, "txid", None)
        tx = self.txns.get(txid)
        if isinstance(msg, CanCommit):
            self.on_can_commit(src, msg, tx)
        elif isinstance(msg, PreCommit):
            self.on_pre_commit(src, msg, tx)
        elif isinstance(msg, (DoCommit, Abort)):
            outcome = "commit" if isinstance(msg, DoCommit) else "abort"
            if tx is None:
                if outcome == "commit":
                    self.annotate(f"ignored DoCommit({txid}): never voted")
                    return
                tx = self.txns[txid] = _Participation3(txid, src)
            self.decide(tx, outcome)
        elif isinstance(msg, Elect):
            if tx is None or tx.state == "q":
                tx = self._abort_unvoted(src, txid)
            if tx.state in ("c", "a"):
                self.send(src, _decision("commit" if tx.state == "c" else "abort", txid))
            elif not tx.recovering and self.candidate(tx, msg.round) == self.id \
                    and tx.round < msg.round:
                self.become_backup(tx, msg.round)
        elif isinstance(msg, StateReq):
            if tx is None or tx.state == "q":
                tx = self._abort_unvoted(src, txid)
            if tx.state in ("c", "a"):
                self.send(src, StateReply(txid, msg.round, tx.state))
            elif not tx.recovering and msg.round >= tx.round and not (
                    tx.backup is not None and tx.backup.round == msg.round):
                self._stop_backup(tx)
                tx.round = tx.joined = msg.round
                self.send(src, StateReply(txid, msg.round, tx.state))
                self._wait(tx, self.join_timeout)
        elif isinstance(msg, StateReply):
            b = tx.backup if tx is not None else None
            if b is not None and b.round == msg.round and b.phase == "collect":
                b.replies[src] = msg.state
                if len(b.replies) == len(tx.participants):
                    self.evaluate(tx)
        elif isinstance(msg, PreCommitAck):
            b = tx.backup if tx is not None else None
            if b is not None and b.round == msg.round and b.phase == "precommit":
                b.acks.add(src)
                if b.acks >= set(b.pending):
                    self.decide(tx, "commit", tell=True)
        elif isinstance(msg, DecisionRequest):
            if tx is not None and tx.state in ("c", "a"):
                self.send(src, _decision("commit" if tx.state == "c" else "abort", txid))

    def on_can_commit(self, src: str, msg: CanCommit, tx: _Participation3 | None) -> None:
        if tx is None:
            tx = self.txns[msg.txid] = _Participation3(msg.txid, src, msg.participants)
        if tx.state != "q":
            self.send(src, Vote(msg.txid, tx.state != "a"))   # a repeated CanCommit
            return
        tx.coordinator, tx.participants = src, msg.participants
        if msg.txid in self.vote_no:
            tx.vote = "no"
            self.output("vote", (msg.txid, "no"))
            self.decide(tx, "abort")
            self.send(src, Vote(msg.txid, False))
            return
        self._log(tx, "prepared")
        tx.state, tx.vote = "w", "yes"
        self.output("vote", (msg.txid, "yes"))
        self.send(src, Vote(msg.txid, True))
        self._wait(tx, self.timeout)

    def on_pre_commit(self, src: str, msg: PreCommit, tx: _Participation3 | None) -> None:
        if tx is None or tx.recovering or tx.state in ("q", "a"):
            if tx is not None and tx.state == "a":
                self.annotate(f"ignored PreCommit({msg.txid}): already aborted")
            return
        if tx.state == "c":
            return   # already committed: the sender will learn it (StateReply, decision)
        if msg.round < tx.round:
            return   # from a round this node has left
        if tx.backup is not None and tx.backup.round < msg.round:
            self._stop_backup(tx)
        tx.round = msg.round
        if tx.state == "w":
            self._log(tx, "precommit")
            tx.state = "p"
        self.send(src, PreCommitAck(msg.txid, msg.round))
        self._wait(tx, self.timeout if msg.round == 0 else self.join_timeout)

    def on_timer(self, name: str, payload: Any) -> None:
        if name in ("timeout", "ask"):
            tx = self.txns.get(payload)
            if tx is None or tx.state in ("c", "a", "q"):
                return
            if name == "ask" and tx.recovering:
                to = [p for p in tx.participants if p != self.id]
                if tx.coordinator:
                    to.append(tx.coordinator)
                self.broadcast(DecisionRequest(tx.txid), to=to)
                tx.timer = self.set_timer(self.ask_every, "ask", tx.txid)
            elif name == "timeout" and not tx.recovering and tx.backup is None:
                self.next_round(tx)
            return
        txid, k = payload
        tx = self.txns.get(txid)
        if tx is None or tx.state in ("c", "a") or tx.round != k:
            return
        if name == "elect-retry" and tx.backup is None and tx.joined < k:
            self.send(self.candidate(tx, k), Elect(txid, k))
            tx.retry = self.set_timer(self.retry, "elect-retry", payload)
        elif name == "backup-retry" and tx.backup is not None and tx.backup.round == k:
            b = tx.backup
            if b.phase == "collect":
                to = [p for p in tx.participants if p not in b.replies]
                self.broadcast(StateReq(txid, k), to=to)
            else:
                self.broadcast(PreCommit(txid, k), to=[p for p in b.pending if p not in b.acks])
            tx.retry = self.set_timer(self.retry, "backup-retry", payload)
        elif name == "backup-timeout" and tx.backup is not None and tx.backup.round == k:
            if tx.backup.phase == "collect":
                self.evaluate(tx)       # the silent are taken as crashed
            else:
                self.decide(tx, "commit", tell=True)

    def state(self) -> dict[str, Any]:
        def status(t: _Participation3) -> str:
            text = {"q": "-", "w": "uncertain", "p": "committable", "c": "commit",
                    "a": "abort"}[t.state]
            if t.recovering:
                text += " (recovering)"
            return f"{t.txid}: {text}"
        role = "participant"
        rounds = [t.backup.round for t in self.txns.values() if t.backup is not None]
        if rounds:
            role = f"coordinator, round {rounds[-1]}"
        return {"role": role,
                "round": max((t.round for t in self.txns.values()), default=0),
                "vote": "; ".join(f"{t.txid} {t.vote}" for t in self.txns.values()
                                  if t.vote) or "-",
                "log": ", ".join(map(repr, log_records(self))) or "-",
                "decision": "; ".join(status(t) for t in self.txns.values()) or "-"}


def three_phase(seed: int = 0, *, participants: int = 3, transactions: Any = (("T1", 0.0),),
                vote_no: Mapping[str, Iterable[str]] | None = None,
                network: Network | None = None, participant_class: type | None = None,
                vote_timeout: float = 60.0,
                ack_timeout: float = 90.0, timeout: float = 160.0, round_timeout: float = 100.0,
                collect_timeout: float = 90.0, join_timeout: float = 220.0,
                retry: float = 25.0, ask_every: float = 40.0) -> Simulation:
    """A simulation of a 3PC coordinator ``c`` and participants ``p1``, ``p2``, …"""
    ids, vote_no, cls = _setup(participants, vote_no, participant_class, ThreePhaseParticipant)
    sim = Simulation(seed=seed, network=network)
    sim.add_node("c", ThreePhaseCoordinator, participants=ids, transactions=transactions,
                 vote_timeout=vote_timeout, ack_timeout=ack_timeout, retry=retry,
                 ask_every=ask_every)
    for p in ids:
        sim.add_node(p, cls, vote_no=tuple(vote_no.get(p, ())),
                     timeout=timeout, round_timeout=round_timeout,
                     collect_timeout=collect_timeout, join_timeout=join_timeout,
                     retry=retry, ask_every=ask_every)
    return sim
