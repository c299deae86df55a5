"""Two-phase commit with presumed abort, durable logs, recovery and cooperative termination.

The protocol of Gray (1978) as Bernstein, Hadzilacos & Goodman (1987, §7.4) give it,
with the *presumed abort* refinement of R* (Mohan, Lindsay & Obermarck 1986):

- **Phase 1.** The coordinator sends ``Prepare`` to every participant. A participant
  that can commit force-writes a ``prepared`` record, then votes ``Vote(yes)``; from
  then on it is *uncertain* (in doubt): it may neither commit nor abort on its own. A
  participant that cannot commit votes no and aborts at once.
- **Phase 2.** With a yes from everyone, the coordinator force-writes ``commit`` (the
  transaction's commit point) and only then sends ``Commit``; each participant
  force-writes ``commit``, commits and returns an ``Ack``; with every ack in, the
  coordinator writes ``end`` and may forget the transaction. On a no vote or a
  timeout the coordinator aborts: under presumed abort it writes nothing and waits
  for no acks, because "no information" will mean "abort" (R*, §2.2).
- **Persist before send.** Each forced record is written in the handler that sends the
  message depending on it; the runtime applies storage writes before the handler's
  messages, so the trace shows the ``persist`` event before the ``send``.
- **Recovery.** A restarted participant reads its log (``participant_recovery``):
  ``commit`` or ``abort`` are final; ``prepared`` alone means in doubt, so it asks
  (``DecisionRequest``); no record means it never voted yes, so it aborts. A restarted
  coordinator finishes what its log says: it re-sends ``Commit`` for every ``commit``
  without an ``end``, and answers "abort" for any transaction it has no record of.
- **Termination.** An uncertain participant that hears nothing asks the coordinator
  and, with ``cooperative=True``, the other participants (BHG's cooperative
  termination protocol): one that has decided tells; one that has not yet voted aborts
  on the spot (it logs ``abort`` first, so it will vote no). If every participant is
  uncertain, nobody can help: they are **blocked** until the coordinator recovers.

Outputs in the trace (what the checkers read): the coordinator's ``begin``
``(txid, participants)``, each participant's ``vote`` ``(txid, "yes" | "no")`` and every
node's ``decide`` ``(txid, "commit" | "abort")``.

Transactions are given to the coordinator as ``(txid, time)`` pairs; requests whose
time has passed while the coordinator was down are lost (a restarted coordinator
starts only those still in the future). The work a transaction does at each
participant is not modelled: a participant's vote is its ``vote_no`` setting.

Taught in notebook 2.3 ("Two-phase and three-phase commit").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..sim import Network, Node, Simulation
from ..sim import _check
from .messages import Abort, Ack, Commit, DecisionRequest, LogRecord, Prepare, Vote

__all__ = ["TwoPhaseCoordinator", "TwoPhaseParticipant", "participant_recovery",
           "two_phase", "log_records", "check_transactions", "check_participants"]


# --- shared helpers (3PC uses them too) --------------------------------------------------

def check_transactions(transactions: Any) -> tuple[tuple[str, float], ...]:
    """Validate ``[(txid, time), ...]``: distinct non-empty txids, times >= 0."""
    if isinstance(transactions, (str, bytes)) or not isinstance(transactions, Iterable):
        raise TypeError("transactions must be a list of (txid, time) pairs such as "
                        f"[('T1', 0.0)], got {transactions!r}")
    out: list[tuple[str, float]] = []
    for item in transactions:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"each transaction must be a (txid, time) pair, got {item!r}")
        txid, time = item
        if not isinstance(txid, str) or not txid:
            raise TypeError(f"a transaction id must be a non-empty str, got {txid!r}")
        time = _check.number(f"the start time of {txid}", time, minimum=0.0)
        if any(txid == t for t, _ in out):
            raise ValueError(f"transaction id {txid!r} appears twice in transactions")
        out.append((txid, time))
    return tuple(out)


def check_participants(participants: Any) -> tuple[str, ...]:
    """Validate a non-empty list of distinct node ids."""
    if isinstance(participants, (str, bytes)) or not isinstance(participants, Iterable):
        raise TypeError(f"participants must be a list of node ids such as ['p1', 'p2'], "
                        f"got {participants!r}")
    out = tuple(participants)
    if not out:
        raise ValueError("participants must name at least one node")
    for p in out:
        _check.node_id("a participant", p)
    if len(set(out)) != len(out):
        raise ValueError(f"participants must be distinct, got {list(out)}")
    return out


def log_records(storage_or_node: Any, txid: str | None = None) -> list[LogRecord]:
    """A node's durable log (from its ``Storage`` or the node), optionally of one txid."""
    storage = getattr(storage_or_node, "storage", storage_or_node)
    records = storage.get("log", [])
    return [r for r in records if txid is None or r.txid == txid]


def _schedule(node: Node, transactions: Sequence[tuple[str, float]]) -> None:
    """Start each transaction at its time; after a restart only those still to come."""
    for txid, time in transactions:
        if time > node.now or (node.incarnation == 0 and time == node.now):
            node.set_timer(time - node.now, "begin", txid)


# --- the participant's recovery rule -----------------------------------------------------

def participant_recovery(records: Iterable[LogRecord | str]) -> str:
    """What a restarted 2PC participant does about one transaction, from its log.

    ``records`` are that transaction's log records (or just their kinds). Returns
    ``"commit"`` or ``"abort"`` (the outcome is known) or ``"ask"`` (in doubt: it voted
    yes and knows no decision, so it must ask). No record at all means it never voted
    yes: under presumed abort it aborts (BHG 1987, §7.4; Mohan et al. 1986, §2.2).
    """
    kinds = [r.kind if isinstance(r, LogRecord) else r for r in records]
    for k in kinds:
        if not isinstance(k, str):
            raise TypeError(f"records must be LogRecords or kinds (str), got {k!r}")
    if "commit" in kinds:
        return "commit"
    if "abort" in kinds:
        return "abort"
    if "prepared" in kinds:
        return "ask"
    return "abort"


# --- the coordinator ----------------------------------------------------------------------

@dataclass
class _Coordination:
    """The coordinator's volatile record of one transaction."""

    txid: str
    participants: tuple[str, ...]
    phase: str = "collecting"          # collecting | committing | committed | aborted
    votes: dict[str, bool] = field(default_factory=dict)
    acks: set[str] = field(default_factory=set)
    vote_timer: int = 0
    retry_timer: int = 0


_PHASES = {"collecting": "collecting votes", "committing": "commit, awaiting acks",
           "committed": "commit (ended)", "aborted": "abort"}


class TwoPhaseCoordinator(Node):
    """The 2PC coordinator, with presumed abort (Mohan et al. 1986)."""

    def __init__(self, participants: Iterable[str], transactions: Any = (("T1", 0.0),),
                 vote_timeout: float = 60.0, retry: float = 25.0) -> None:
        self.participants = check_participants(participants)
        self.transactions = check_transactions(transactions)
        self.vote_timeout = _check.number("vote_timeout", vote_timeout, minimum=0.0,
                                          strict_min=True)
        self.retry = _check.number("retry", retry, minimum=0.0, strict_min=True)
        self.txns: dict[str, _Coordination] = {}

    # --- start and recovery ---------------------------------------------------------------
    def on_start(self) -> None:
        self.txns = {}
        records = log_records(self)
        ended = {r.txid for r in records if r.kind == "end"}
        for r in records:
            if r.kind == "commit" and r.txid not in ended:
                # Finish what the log says: the decision was commit, acks are not logged.
                tx = _Coordination(r.txid, r.participants, phase="committing")
                self.txns[r.txid] = tx
                self.annotate(f"recovery: resend Commit({r.txid})")
                self.broadcast(Commit(r.txid), to=tx.participants)
                tx.retry_timer = self.set_timer(self.retry, "retry", r.txid)
            elif r.kind == "end":
                self.txns[r.txid] = _Coordination(r.txid, r.participants, phase="committed")
        _schedule(self, self.transactions)

    def begin(self, txid: str) -> None:
        """Phase 1: ask every participant to prepare ``txid``."""
        tx = _Coordination(txid, self.participants)
        self.txns[txid] = tx
        self.output("begin", (txid, self.participants))
        self.broadcast(Prepare(txid, self.participants), to=self.participants)
        tx.vote_timer = self.set_timer(self.vote_timeout, "vote-timeout", txid)
        tx.retry_timer = self.set_timer(self.retry, "retry", txid)

    def _stop_timers(self, tx: _Coordination) -> None:
        self.cancel_timer(tx.vote_timer)
        self.cancel_timer(tx.retry_timer)
        tx.vote_timer = tx.retry_timer = 0

    def _has_commit_record(self, txid: str) -> bool:
        return any(r.kind == "commit" for r in log_records(self, txid))

    # --- the decision -------------------------------------------------------------------------
    def decide_commit(self, tx: _Coordination) -> None:
        """Force-write the commit record (the commit point), then send ``Commit``."""
        self.storage.append("log", LogRecord(tx.txid, "commit", self.id, tx.participants))
        tx.phase = "committing"
        self._stop_timers(tx)
        self.output("decide", (tx.txid, "commit"))
        self.broadcast(Commit(tx.txid), to=tx.participants)
        tx.retry_timer = self.set_timer(self.retry, "retry", tx.txid)

    def decide_abort(self, tx: _Coordination) -> None:
        """Presumed abort: no log record, no acks; tell those that may be prepared."""
        tx.phase = "aborted"
        self._stop_timers(tx)
        self.output("decide", (tx.txid, "abort"))
        self.broadcast(Abort(tx.txid),
                       to=[p for p in tx.participants if tx.votes.get(p) is not False])

    # --- handlers -----------------------------------------------------------------------
    def on_timer(self, name: str, txid: Any) -> None:
        if name == "begin":
            self.begin(txid)
            return
        tx = self.txns.get(txid)
        if tx is None:
            return
        if name == "vote-timeout" and tx.phase == "collecting":
            self.annotate(f"timeout: abort {txid}")
            self.decide_abort(tx)
        elif name == "retry":
            if tx.phase == "collecting":
                missing = [p for p in tx.participants if p not in tx.votes]
                self.broadcast(Prepare(txid, tx.participants), to=missing)
            elif tx.phase == "committing":
                missing = [p for p in tx.participants if p not in tx.acks]
                self.broadcast(Commit(txid), to=missing)
            else:
                return
            tx.retry_timer = self.set_timer(self.retry, "retry", txid)

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Vote):
            self.on_vote(src, msg)
        elif isinstance(msg, Ack):
            tx = self.txns.get(msg.txid)
            if tx is not None and tx.phase == "committing":
                tx.acks.add(src)
                if tx.acks >= set(tx.participants):
                    tx.phase = "committed"
                    self._stop_timers(tx)
                    # The end record (not forced in R*): the transaction may be forgotten.
                    self.storage.append("log", LogRecord(tx.txid, "end", self.id,
                                                         tx.participants))
        elif isinstance(msg, DecisionRequest):
            self.answer(src, msg.txid)

    def on_vote(self, src: str, msg: Vote) -> None:
        tx = self.txns.get(msg.txid)
        if tx is None or tx.phase != "collecting":
            if msg.yes:
                self.answer(src, msg.txid)   # a late or repeated vote: tell the outcome
            return
        if src not in tx.participants or src in tx.votes:
            return
        tx.votes[src] = msg.yes
        if not msg.yes:
            self.decide_abort(tx)
        elif len(tx.votes) == len(tx.participants):
            self.decide_commit(tx)

    def answer(self, src: str, txid: str) -> None:
        """Tell ``src`` the outcome of ``txid``; with no information, presume abort."""
        tx = self.txns.get(txid)
        if tx is not None and tx.phase == "collecting":
            return  # not decided yet: the decision will be sent when it is made
        if (tx is not None and tx.phase in ("committing", "committed")) \
                or self._has_commit_record(txid):
            self.send(src, Commit(txid))
        else:
            self.send(src, Abort(txid))

    def state(self) -> dict[str, Any]:
        phases = {t.txid: t.phase for t in self.txns.values()}
        votes = {}
        for t in self.txns.values():
            yes = sum(t.votes.values())
            if t.votes:
                votes[t.txid] = f"{yes} yes" + (f", {len(t.votes) - yes} no"
                                                 if len(t.votes) > yes else "")
        return {"role": "coordinator",
                "vote": "; ".join(f"{k} {v}" for k, v in votes.items() if v) or "-",
                "log": ", ".join(map(repr, log_records(self))) or "-",
                "decision": "; ".join(f"{k}: {_PHASES[v]}" for k, v in phases.items()) or "-"}


# --- the participant ------------------------------------------------------------------------

@dataclass
class _Participation:
    """A participant's volatile view of one transaction (Skeen's states q, w, c, a)."""

    txid: str
    coordinator: str
    participants: tuple[str, ...] = ()
    state: str = "q"
    vote: str | None = None
    timer: int = 0


class TwoPhaseParticipant(Node):
    """A 2PC participant (a resource manager) with a durable log."""

    #: The recovery rule (the notebook's exercise plugs in another).
    recovery = staticmethod(participant_recovery)

    def __init__(self, vote_no: Iterable[str] = (), ask_after: float = 50.0,
                 ask_every: float = 25.0, cooperative: bool = True) -> None:
        if isinstance(vote_no, str):
            raise TypeError(f"vote_no must be a list of txids, not the string {vote_no!r}")
        self.vote_no = frozenset(vote_no)
        self.ask_after = _check.number("ask_after", ask_after, minimum=0.0, strict_min=True)
        self.ask_every = _check.number("ask_every", ask_every, minimum=0.0, strict_min=True)
        if not isinstance(cooperative, bool):
            raise TypeError(f"cooperative must be True or False, got {cooperative!r}")
        self.cooperative = cooperative
        self.txns: dict[str, _Participation] = {}

    def on_start(self) -> None:
        self.txns = {}
        by_txid: dict[str, list[LogRecord]] = {}
        for r in log_records(self):
            by_txid.setdefault(r.txid, []).append(r)
        for txid, records in by_txid.items():
            first = records[0]
            tx = _Participation(txid, first.coordinator or "", first.participants)
            if any(r.kind == "prepared" for r in records):
                tx.vote = "yes"
            action = self.recovery(records)
            if action not in ("commit", "abort", "ask"):
                raise ValueError(f"the recovery rule returned {action!r}; it must return "
                                 f"'commit', 'abort' or 'ask'")
            tx.state = {"commit": "c", "abort": "a", "ask": "w"}[action]
            self.txns[txid] = tx
            if action == "ask":
                self.annotate(f"recovery: in doubt about {txid}")
                self.ask(tx)

    # --- phase 1 --------------------------------------------------------------------------
    def on_prepare(self, src: str, msg: Prepare) -> None:
        tx = self.txns.get(msg.txid)
        if tx is None:
            tx = self.txns[msg.txid] = _Participation(msg.txid, src, msg.participants)
        if tx.state == "q":
            if msg.txid in self.vote_no:
                tx.state, tx.vote = "a", "no"
                self.output("vote", (msg.txid, "no"))
                self.output("decide", (msg.txid, "abort"))
                self.send(src, Vote(msg.txid, False))
                return
            # Force-write the prepared record, then vote yes: from now on, in doubt.
            tx.coordinator, tx.participants = src, msg.participants
            self.storage.append("log", LogRecord(msg.txid, "prepared", src, msg.participants))
            tx.state, tx.vote = "w", "yes"
            self.output("vote", (msg.txid, "yes"))
            self.send(src, Vote(msg.txid, True))
            tx.timer = self.set_timer(self.ask_after, "in-doubt", msg.txid)
        else:
            self.send(src, Vote(msg.txid, tx.state != "a"))   # a repeated Prepare

    # --- phase 2 --------------------------------------------------------------------------
    def learn(self, tx: _Participation, outcome: str) -> None:
        """Adopt the decision ``outcome``: a commit is force-written, then acked."""
        if tx.state in ("c", "a"):
            if ("c" if outcome == "commit" else "a") != tx.state:
                self.annotate(f"ignored {outcome} of {tx.txid}: already decided")
            return
        if outcome == "commit":
            self.storage.append("log", LogRecord(tx.txid, "commit", tx.coordinator,
                                                 tx.participants))
        tx.state = "c" if outcome == "commit" else "a"
        self.cancel_timer(tx.timer)
        self.output("decide", (tx.txid, outcome))

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Prepare):
            self.on_prepare(src, msg)
            return
        txid = getattr(msg, "txid", None)
        if isinstance(msg, (Commit, Abort)):
            tx = self.txns.get(txid)
            if tx is None:
                if isinstance(msg, Commit):
                    self.annotate(f"ignored Commit({txid}): never voted")
                    return
                tx = self.txns[txid] = _Participation(txid, src)
            self.learn(tx, "commit" if isinstance(msg, Commit) else "abort")
            if isinstance(msg, Commit) and tx.state == "c":
                self.send(src, Ack(txid))
        elif isinstance(msg, DecisionRequest):
            self.help(src, txid)

    def help(self, src: str, txid: str) -> None:
        """Cooperative termination: answer another participant's DecisionRequest."""
        tx = self.txns.get(txid)
        if tx is None or tx.state == "q":
            # Not voted yet: abort unilaterally, durably, so a later Prepare gets a no.
            tx = tx or _Participation(txid, "")
            self.txns[txid] = tx
            self.storage.append("log", LogRecord(txid, "abort"))
            tx.state = "a"
            self.output("decide", (txid, "abort"))
        if tx.state == "c":
            self.send(src, Commit(txid))
        elif tx.state == "a":
            self.send(src, Abort(txid))
        # uncertain ("w"): cannot help

    # --- termination ----------------------------------------------------------------------
    def ask(self, tx: _Participation) -> None:
        """In doubt: ask the coordinator (and, cooperatively, the other participants)."""
        to = [tx.coordinator] if tx.coordinator else []
        if self.cooperative:
            to += [p for p in tx.participants if p != self.id]
        self.broadcast(DecisionRequest(tx.txid), to=to)
        tx.timer = self.set_timer(self.ask_every, "in-doubt", tx.txid)

    def on_timer(self, name: str, txid: Any) -> None:
        tx = self.txns.get(txid)
        if name == "in-doubt" and tx is not None and tx.state == "w":
            self.ask(tx)

    def state(self) -> dict[str, Any]:
        return {"role": "participant",
                "vote": "; ".join(f"{t.txid} {t.vote}" for t in self.txns.values()
                                  if t.vote) or "-",
                "log": ", ".join(map(repr, log_records(self))) or "-",
                "decision": "; ".join(
                    f"{t.txid}: " + {"q": "-", "w": "in doubt", "c": "commit",
                                     "a": "abort"}[t.state]
                    for t in self.txns.values()) or "-"}


# --- a ready-made system ---------------------------------------------------------------------

def _setup(participants: int, vote_no: Mapping[str, Iterable[str]] | None,
           participant_class: type | None, base: type) -> tuple[tuple[str, ...], dict, type]:
    """Checked arguments of ``two_phase`` / ``three_phase``: the participant ids, the
    no-votes, and the participant class (a subclass of ``base``)."""
    _check.integer("participants", participants, minimum=1)
    ids = tuple(f"p{i + 1}" for i in range(participants))
    vote_no = dict(vote_no or {})
    for p in vote_no:
        if p not in ids:
            raise ValueError(f"vote_no names {p!r}, which is not a participant; "
                             f"participants are {list(ids)}")
    cls = base if participant_class is None else participant_class
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise TypeError(f"participant_class must be a subclass of {base.__name__}, "
                        f"got {cls!r}")
    return ids, vote_no, cls


def two_phase(seed: int = 0, *, participants: int = 3, transactions: Any = (("T1", 0.0),),
              vote_no: Mapping[str, Iterable[str]] | None = None,
              network: Network | None = None, cooperative: bool = True,
              participant_class: type | None = None,
              vote_timeout: float = 60.0, retry: float = 25.0, ask_after: float = 50.0,
              ask_every: float = 25.0) -> Simulation:
    """A simulation of a 2PC coordinator ``c`` and participants ``p1``, ``p2``, …

    ``vote_no`` maps a participant to the txids it votes no on (default: all yes).
    Nothing has run yet: schedule faults, then ``sim.run(until=...)``.
    """
    ids, vote_no, cls = _setup(participants, vote_no, participant_class, TwoPhaseParticipant)
    sim = Simulation(seed=seed, network=network)
    sim.add_node("c", TwoPhaseCoordinator, participants=ids, transactions=transactions,
                 vote_timeout=vote_timeout, retry=retry)
    for p in ids:
        sim.add_node(p, cls, vote_no=tuple(vote_no.get(p, ())),
                     ask_after=ask_after, ask_every=ask_every, cooperative=cooperative)
    return sim
